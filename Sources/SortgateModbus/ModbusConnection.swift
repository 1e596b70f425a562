import CModbus
import Glibc
public import Logging
import SortgateCore
import Synchronization

/// A safe Modbus master connection over libmodbus: one TCP connection or one serial line, read
/// requests for any unit id on it, its own reconnect with backoff.
///
/// ## Threads: calls block
/// Every request blocks until the answer arrived or the response timeout passed (libmodbus waits in
/// `select`), and a connection attempt blocks up to the same timeout. Call them from one dedicated
/// thread per connection (`DedicatedThread`), never from Swift's cooperative pool, where a dead device
/// would stall unrelated tasks. libmodbus contexts are not thread-safe: a connection has one owner
/// thread; an internal lock serializes calls anyway, so a misuse waits instead of corrupting memory.
///
/// ## Failures and recovery
/// Errors are `ModbusError`s with `errno` read right after the failing call. What happens next
/// depends on the kind (`MODBUS_ERROR_RECOVERY_LINK` is not used: it reconnects inside the failing
/// call with no backoff and no say for the caller):
/// - *timeout*, TCP: the connection is **closed**, and the next request reconnects at once. A reply
///   that comes after the timeout then arrives on a dead socket and can never be read as the answer
///   to the next request. `modbus_flush` would not do: it only drops what has already arrived, and a
///   slow device's late reply usually comes after the flush. (libmodbus does check the MBAP
///   transaction id, but a mismatch only fails the next request and leaves the stream out of step.)
/// - *timeout*, RTU: a serial line has no transaction id and cannot be "closed" for the device, so
///   the connection waits one more response timeout for a late reply to arrive and then flushes the
///   port's input (`modbus_flush`). A reply later than twice the timeout is not caught: that is the
///   limit of the RTU protocol itself.
/// - *bad response / bad CRC*: TCP closes (the stream may be out of step), RTU flushes.
/// - *connection* (refused, reset, closed, `EPIPE`, `EBADF`, …): closed; the next request reconnects.
///   A failed connection attempt starts the reconnect backoff (`Configuration.reconnectBackoff`):
///   until it has run out, requests fail at once with `ENOTCONN` instead of trying again, so a dead
///   gateway costs nothing but a log line per poll. The backoff starts over after a request succeeds.
/// - *exception*: the device answered; nothing to recover.
///
/// ## Lifecycle
/// The context is made on the first request (or `connect()`) and freed by `close()`; the connection
/// may be used again after `close()`. Close it before the last reference goes: `deinit` checks.
///
/// ## Sendable
/// `@unchecked Sendable` because it owns a `modbus_t *`, which Swift cannot check. It is safe: the
/// context is only touched inside `io`'s lock, and counters live in their own `Mutex`.
public final class ModbusConnection: @unchecked Sendable {
    public let configuration: Configuration
    private let logger: Logger
    private let io: Mutex<IOState>
    private let counters = Mutex(Statistics())

    struct IOState {
        /// The open libmodbus context, nil while disconnected.
        var context: OpaquePointer?
        var backoff: Backoff
        /// No connection attempt before this instant (reconnect backoff).
        var nextAttempt: ContinuousClock.Instant?
        /// Why the last connection attempt failed, for the `ENOTCONN` errors during the backoff.
        var lastConnectFailure: ModbusError?
    }

    /// Makes a connection; nothing happens on the network until the first request or `connect()`.
    ///
    /// - Parameter logger: connection events at debug level; the connection adds `modbus.endpoint`.
    public init(configuration: Configuration, logger: Logger) {
        precondition(configuration.responseTimeout > .zero, "a Modbus response timeout must be positive")
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "modbus.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.io = Mutex(IOState(backoff: Backoff(bounds: configuration.reconnectBackoff)))
    }

    deinit {
        io.withLock { state in
            if let context = state.context {
                assertionFailure("ModbusConnection to \(configuration.endpoint) deinitialised without close()")
                modbus_close(context)
                modbus_free(context)
                state.context = nil
            }
        }
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        counters.withLock { $0 }
    }

    /// True while a context is open (it may still turn out dead on the next request).
    public var isConnected: Bool {
        counters.withLock { $0.isConnected }
    }

    /// Connects now if not connected, ignoring the reconnect backoff. Requests connect by themselves;
    /// this is for checking a configuration at start-up. Blocks up to the response timeout.
    public func connect() throws(ModbusError) {
        try io.withLock { state throws(ModbusError) in
            state.nextAttempt = nil
            _ = try connectedContext(&state, unit: nil, operation: .connect)
        }
    }

    /// Closes the connection (TCP) or the serial port; the next request opens it again.
    public func close() {
        io.withLock { state in
            closeContext(&state)
            state.nextAttempt = nil
        }
    }

    /// Reads `count` values of `table` from `address` on, from unit `unit`. Blocks (see "Threads").
    ///
    /// - Parameters:
    ///   - unit: the unit (slave) id, 0…247, or 255 over TCP; set on every request, since one
    ///     connection to a gateway serves several units.
    ///   - count: 1…125 registers or 1…2000 bits, the protocol's limit for one request.
    ///   - timeout: this request's response timeout; `configuration.responseTimeout` when nil.
    /// - Returns: the registers, or for coils and discrete inputs one 0 or 1 per bit.
    public func read(
        _ table: ModbusTable,
        unit: Int,
        address: Int,
        count: Int,
        timeout: Duration? = nil
    ) throws(ModbusError) -> [UInt16] {
        let operation = ModbusError.Operation.read(table: table, address: address, count: count)
        guard (1...table.maximumReadCount).contains(count), address >= 0, address + count <= 0x1_0000,
            (0...255).contains(unit)
        else {
            throw ModbusError(
                errno: EINVAL,
                endpoint: configuration.endpoint.description,
                unit: unit,
                operation: operation,
                detail: "a request reads 1...\(table.maximumReadCount) \(table) within addresses 0...65535, "
                    + "from a unit 0...255"
            )
        }
        return try io.withLock { state throws(ModbusError) -> [UInt16] in
            let context = try connectedContext(&state, unit: unit, operation: operation)
            counters.withLock { $0.requests += 1 }
            Self.setTimeouts(context, timeout ?? configuration.responseTimeout)
            let selected = modbusCall { modbus_set_slave(context, Int32(unit)) }
            if selected.result == -1 {
                throw ModbusError(
                    errno: selected.errno,
                    endpoint: configuration.endpoint.description,
                    unit: unit,
                    operation: operation,
                    detail: "unit id not allowed on this transport (RTU: 0...247)"
                )
            }
            let outcome = Self.perform(table, context: context, address: address, count: count)
            switch outcome {
            case .success(let values):
                state.backoff.recordSuccess()
                counters.withLock { $0.successfulRequests += 1 }
                return values
            case .failure(let failure):
                let error = ModbusError(
                    errno: failure.code,
                    endpoint: configuration.endpoint.description,
                    unit: unit,
                    operation: operation
                )
                recover(&state, context: context, after: error)
                throw error
            }
        }
    }

    /// Reads coils (function 0x01); each value is 0 or 1.
    public func readCoils(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(.coils, unit: unit, address: address, count: count)
    }

    /// Reads discrete inputs (function 0x02); each value is 0 or 1.
    public func readDiscreteInputs(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(.discreteInputs, unit: unit, address: address, count: count)
    }

    /// Reads input registers (function 0x04).
    public func readInputRegisters(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(.inputRegisters, unit: unit, address: address, count: count)
    }

    /// Reads holding registers (function 0x03).
    public func readHoldingRegisters(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(.holdingRegisters, unit: unit, address: address, count: count)
    }
}

// MARK: - Connecting and recovering

extension ModbusConnection {
    /// The open context, connecting first when there is none and the backoff allows it.
    private func connectedContext(
        _ state: inout IOState,
        unit: Int?,
        operation: ModbusError.Operation
    ) throws(ModbusError) -> OpaquePointer {
        if let context = state.context {
            return context
        }
        let now = ContinuousClock.now
        if let next = state.nextAttempt, now < next {
            var detail = "next connection attempt in \(now.duration(to: next).logText)"
            if let last = state.lastConnectFailure {
                detail += "; last attempt: \(last.message)"
            }
            throw ModbusError(
                errno: ENOTCONN,
                endpoint: configuration.endpoint.description,
                unit: unit,
                operation: operation,
                detail: detail
            )
        }
        do {
            let context = try open()
            state.context = context
            state.nextAttempt = nil
            state.lastConnectFailure = nil
            counters.withLock {
                $0.connects += 1
                $0.isConnected = true
            }
            logger.debug("Modbus connection opened")
            return context
        } catch {
            var error = error
            error.unit = unit
            let delay = state.backoff.recordFailure()
            state.nextAttempt = now + delay
            state.lastConnectFailure = error
            counters.withLock { $0.failedConnects += 1 }
            logger.debug(
                "Modbus connection failed",
                metadata: ["modbus.error": "\(error)", "modbus.retry_in": "\(delay.logText)"]
            )
            throw error
        }
    }

    /// Makes a context for the endpoint and connects it.
    private func open() throws(ModbusError) -> OpaquePointer {
        let endpoint = configuration.endpoint.description
        let created: (result: OpaquePointer?, errno: Int32)
        switch configuration.endpoint {
        case .tcp(let host, let port):
            guard (1...65535).contains(port) else {
                throw ModbusError(errno: EINVAL, endpoint: endpoint, operation: .connect, detail: "port out of range")
            }
            // modbus_new_tcp takes a numeric IPv4 address only; modbus_new_tcp_pi resolves with
            // AI_ADDRCONFIG, which finds nothing on a box whose only IPv4 address is loopback. So
            // resolve here, on every connect (a gateway's address may change), and hand over a number.
            let address = try Self.resolve(host: host, endpoint: endpoint)
            if address.isIPv6 {
                created = modbusCall { modbus_new_tcp_pi(address.text, String(port)) }
            } else {
                created = modbusCall { modbus_new_tcp(address.text, Int32(port)) }
            }
        case .rtu(let path, let baud, let parity, let dataBits, let stopBits):
            let parityCharacter = CChar(bitPattern: parity.rawValue.utf8.first!)
            created = modbusCall {
                modbus_new_rtu(
                    path,
                    Int32(clamping: baud),
                    parityCharacter,
                    Int32(clamping: dataBits),
                    Int32(clamping: stopBits)
                )
            }
        }
        guard let context = created.result else {
            throw ModbusError(
                errno: created.errno,
                endpoint: endpoint,
                operation: .connect,
                detail: "libmodbus refused the connection settings"
            )
        }
        _ = modbus_set_error_recovery(context, MODBUS_ERROR_RECOVERY_NONE)
        Self.setTimeouts(context, configuration.responseTimeout)
        let connected = modbusCall { modbus_connect(context) }
        guard connected.result == 0 else {
            modbus_free(context)
            // libmodbus' TCP connect waits in select() for the response timeout and, when that runs
            // out, returns -1 without setting errno: what is left is connect()'s EINPROGRESS.
            if connected.errno == EINPROGRESS || connected.errno == ETIMEDOUT {
                throw ModbusError(
                    errno: ETIMEDOUT,
                    endpoint: endpoint,
                    operation: .connect,
                    detail: "not accepted within \(configuration.responseTimeout.logText)"
                )
            }
            throw ModbusError(errno: connected.errno, endpoint: endpoint, operation: .connect)
        }
        return context
    }

    /// Makes sure a failed request cannot leave anything behind that the next one would read.
    private func recover(_ state: inout IOState, context: OpaquePointer, after error: ModbusError) {
        let isSerial: Bool
        if case .rtu = configuration.endpoint { isSerial = true } else { isSerial = false }
        switch error.kind {
        case .exception, .invalidRequest:
            return
        case .timeout where isSerial:
            // Give a late reply the time to arrive, then drop it (see "Failures and recovery").
            Self.sleep(configuration.responseTimeout)
            _ = modbus_flush(context)
        case .badCRC where isSerial, .badResponse where isSerial:
            _ = modbus_flush(context)
        case .timeout:
            counters.withLock { $0.closesAfterTimeout += 1 }
            closeContext(&state)
            logger.debug("Modbus connection closed after a timeout, so that a late reply is never read")
        case .connection:
            counters.withLock { $0.connectionsLost += 1 }
            closeContext(&state)
            logger.debug("Modbus connection lost", metadata: ["modbus.error": "\(error)"])
        case .badCRC, .badResponse, .other:
            closeContext(&state)
        }
    }

    private func closeContext(_ state: inout IOState) {
        guard let context = state.context else {
            return
        }
        modbus_close(context)
        modbus_free(context)
        state.context = nil
        counters.withLock { $0.isConnected = false }
    }
}

// MARK: - libmodbus calls

extension ModbusConnection {
    /// One read call; `errno` on failure, read at once.
    private static func perform(
        _ table: ModbusTable,
        context: OpaquePointer,
        address: Int,
        count: Int
    ) -> Result<[UInt16], Int32Error> {
        let address = Int32(address)
        let number = Int32(count)
        let call: (result: Int32, errno: Int32)
        var values = [UInt16](repeating: 0, count: count)
        switch table {
        case .coils, .discreteInputs:
            var bits = [UInt8](repeating: 0, count: count)
            call = bits.withUnsafeMutableBufferPointer { buffer in
                modbusCall {
                    table == .coils
                        ? modbus_read_bits(context, address, number, buffer.baseAddress)
                        : modbus_read_input_bits(context, address, number, buffer.baseAddress)
                }
            }
            for index in bits.indices {
                values[index] = bits[index] == 0 ? 0 : 1
            }
        case .inputRegisters, .holdingRegisters:
            call = values.withUnsafeMutableBufferPointer { buffer in
                modbusCall {
                    table == .inputRegisters
                        ? modbus_read_input_registers(context, address, number, buffer.baseAddress)
                        : modbus_read_registers(context, address, number, buffer.baseAddress)
                }
            }
        }
        guard call.result == number else {
            // A count other than asked for cannot come back (libmodbus checks the byte count), but if
            // it did it would be a bad response, not data.
            return .failure(Int32Error(call.result == -1 ? call.errno : ModbusErrno.badData))
        }
        return .success(values)
    }

    /// Sets the response timeout (first byte) and the byte timeout (between the bytes of one answer).
    static func setTimeouts(_ context: OpaquePointer, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var wholeSeconds = UInt32(clamping: seconds)
        var microseconds = UInt32(clamping: attoseconds / 1_000_000_000_000)
        if wholeSeconds == 0, microseconds == 0 {
            // Zero means "no timeout" to libmodbus' byte timeout: never that.
            microseconds = 1
        }
        if microseconds > 999_999 {
            wholeSeconds += 1
            microseconds = 0
        }
        _ = modbus_set_response_timeout(context, wholeSeconds, microseconds)
        _ = modbus_set_byte_timeout(context, wholeSeconds, microseconds)
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR {
            request = remaining
        }
    }

    /// A host name or address as a numeric address libmodbus can take; IPv4 preferred.
    private static func resolve(host: String, endpoint: String) throws(ModbusError) -> (text: String, isIPv6: Bool) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        let code = errno
        guard status == 0, let list else {
            let (name, message) = resolverError(status, errno: code)
            throw ModbusError(
                kind: .connection,
                errno: status == EAI_SYSTEM ? code : 0,
                errnoName: name,
                message: message,
                endpoint: endpoint,
                operation: .connect,
                detail: "cannot resolve host '\(host)'"
            )
        }
        defer { freeaddrinfo(list) }
        var ipv6: String?
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = current.pointee.ai_family
            if family == AF_INET, let address = current.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                    var raw = ipv4.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                }
                return (Self.string(buffer), false)
            }
            if family == AF_INET6, ipv6 == nil, let address = current.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var raw = pointer.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                }
                ipv6 = Self.string(buffer)
            }
            entry = current.pointee.ai_next
        }
        if let ipv6 {
            return (ipv6, true)
        }
        throw ModbusError(
            kind: .connection,
            errno: 0,
            errnoName: "EAI_NODATA",
            message: "No address associated with hostname",
            endpoint: endpoint,
            operation: .connect,
            detail: "cannot resolve host '\(host)'"
        )
    }

    private static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func resolverError(_ status: Int32, errno code: Int32) -> (name: String, message: String) {
        if status == EAI_SYSTEM {
            return (ModbusErrno.name(of: code), String(cString: strerror(code)))
        }
        let names: [Int32: String] = [
            EAI_NONAME: "EAI_NONAME", EAI_AGAIN: "EAI_AGAIN", EAI_FAIL: "EAI_FAIL", EAI_FAMILY: "EAI_FAMILY",
            EAI_MEMORY: "EAI_MEMORY", EAI_SERVICE: "EAI_SERVICE", EAI_SOCKTYPE: "EAI_SOCKTYPE",
        ]
        return (names[status] ?? "EAI \(status)", String(cString: gai_strerror(status)))
    }
}

/// An `errno` as an `Error`, so that a read's outcome can be a `Result`.
struct Int32Error: Error {
    let code: Int32

    init(_ code: Int32) {
        self.code = code
    }
}
