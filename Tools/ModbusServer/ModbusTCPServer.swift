import CModbus
import Dispatch
import Glibc
public import Logging
import Synchronization
public import SortgateModbus
import SortgateThreads

/// A Modbus TCP server (libmodbus' server side) for simulators and tests: several unit ids, each with
/// its own register map, and a request handler that decides per request whether to answer with
/// values, an exception code, after a delay, or not at all.
///
/// ## Threads
/// One thread accepts connections (`modbus_tcp_accept`) and one thread per client connection reads
/// its requests (`modbus_receive`) and answers them (`modbus_reply`, `modbus_reply_exception`), so a
/// slow answer on one connection never holds up another client. Within one connection, requests are
/// answered in order, as Modbus TCP devices do.
///
/// ## Lifecycle
/// `init` binds and listens (so `port` is known, also when 0 was asked for) and starts accepting;
/// `stop()` closes the listener and every connection and waits for all threads. Stop it before the
/// last reference goes: `deinit` checks.
///
/// ## Sendable
/// `@unchecked Sendable` because it owns the listening `modbus_t *`, which only the accept thread
/// uses after `init`; each connection's context is made and freed by its own thread; everything else
/// is behind a `Mutex`.
public final class ModbusTCPServer: @unchecked Sendable {
    /// The address it listens on, e.g. `127.0.0.1`.
    public let host: String
    /// The port it listens on (the one the system picked when 0 was asked for).
    public let port: Int
    private let logger: Logger
    private let handler: RequestHandler?
    private let maps: Mutex<[Int: ModbusRegisterMap]>
    private let state = Mutex(State())
    private let counters = Mutex(Statistics())
    private let stopSignal: WakeSignal
    private let clientThreads = DispatchGroup()
    private let listenContext: ListenContext

    struct State {
        var stopped = false
        var acceptThread: DedicatedThread?
        /// Open client sockets by connection number, to shut them down on `stop()`/`dropConnections()`.
        var clients: [Int: Int32] = [:]
        var nextClient = 0
    }

    /// The listening context and socket, handed to the accept thread.
    struct ListenContext: @unchecked Sendable {
        // @unchecked: only the accept thread uses the context after init; stop() frees it after
        // that thread ended.
        let context: OpaquePointer
        let socket: Int32
    }

    /// Listens on `host:port` and starts accepting clients.
    ///
    /// - Parameters:
    ///   - host: a numeric IPv4 address; 127.0.0.1 by default, so that nothing outside the machine
    ///     can reach a simulator.
    ///   - port: 0 lets the system pick a free port (see `port`).
    ///   - registerMaps: the units served, by unit id, each with its own values.
    ///   - handler: decides per request; nil answers everything from the register maps.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        registerMaps: [Int: ModbusRegisterMap] = [:],
        logger: Logger,
        handler: RequestHandler? = nil
    ) throws(ModbusError) {
        let endpoint = "\(host):\(port)"
        self.host = host
        self.handler = handler
        self.maps = Mutex(registerMaps)
        self.stopSignal = WakeSignal()
        let created = modbusCall { modbus_new_tcp(host, Int32(clamping: port)) }
        guard let context = created.result else {
            throw ModbusError(errno: created.errno, endpoint: endpoint, operation: .listen)
        }
        let listened = modbusCall { modbus_tcp_listen(context, 16) }
        guard listened.result >= 0 else {
            modbus_free(context)
            throw ModbusError(errno: listened.errno, endpoint: endpoint, operation: .listen)
        }
        let socket = listened.result
        _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listenContext = ListenContext(context: context, socket: socket)
        var logger = logger
        logger[metadataKey: "modbus.server"] = "\(host):\(self.port)"
        self.logger = logger
        do {
            let thread = try DedicatedThread.spawn(name: "modbus-accept", endpoint: endpoint) { [self] in
                acceptClients()
            }
            state.withLock { $0.acceptThread = thread }
        } catch {
            Glibc.close(socket)
            modbus_free(context)
            state.withLock { $0.stopped = true }
            throw error
        }
        logger.debug("Modbus TCP server listening")
    }

    deinit {
        // The accept thread holds a strong reference while it runs, so a server that gets here was
        // either stopped or failed to start.
        let stopped = state.withLock { $0.stopped }
        if !stopped {
            assertionFailure("ModbusTCPServer on \(host):\(port) deinitialised without stop()")
        }
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        counters.withLock { $0 }
    }

    /// The register map of `unit`, if it is served.
    public func registerMap(unit: Int) -> ModbusRegisterMap? {
        maps.withLock { $0[unit] }
    }

    /// Serves `unit` with `map` from now on (replacing its map, if any); nil stops serving it.
    public func setRegisterMap(_ map: ModbusRegisterMap?, unit: Int) {
        maps.withLock { $0[unit] = map }
    }

    /// Changes values of `unit`'s map in place (making the map if the unit had none).
    public func updateRegisterMap(unit: Int, _ body: (inout ModbusRegisterMap) -> Void) {
        maps.withLock { maps in
            var map = maps[unit] ?? ModbusRegisterMap()
            body(&map)
            maps[unit] = map
        }
    }

    /// Closes every client connection now, as a device that reboots or a flaky network would; the
    /// server keeps listening, and clients may connect again.
    public func dropConnections() {
        state.withLock { state in
            for socket in state.clients.values {
                shutdown(socket, Int32(SHUT_RDWR))
            }
        }
    }

    /// Stops listening, closes every connection and waits for every thread. Idempotent.
    public func stop() {
        let acceptThread = state.withLock { state -> DedicatedThread? in
            guard !state.stopped else {
                return nil
            }
            state.stopped = true
            return state.acceptThread
        }
        guard let acceptThread else {
            return
        }
        stopSignal.signal()
        // A blocked accept() returns (EINVAL) once its socket is shut down.
        shutdown(listenContext.socket, Int32(SHUT_RDWR))
        acceptThread.join()
        dropConnections()
        clientThreads.wait()
        Glibc.close(listenContext.socket)
        // modbus_free only frees memory: the last accepted socket it remembers belongs to (and was
        // closed by) that client's thread.
        modbus_free(listenContext.context)
        logger.debug("Modbus TCP server stopped")
    }
}

// MARK: - Accepting and serving

extension ModbusTCPServer {
    private func acceptClients() {
        while true {
            var listenSocket = listenContext.socket
            let accepted = modbusCall { modbus_tcp_accept(listenContext.context, &listenSocket) }
            if accepted.result < 0 {
                if state.withLock({ $0.stopped }) {
                    return
                }
                switch accepted.errno {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of resources: wait for connections to end rather than spin.
                    if stopSignal.wait(for: .milliseconds(100)) {
                        return
                    }
                    continue
                default:
                    logger.error(
                        "Modbus TCP server stopped accepting connections",
                        metadata: [
                            "modbus.error":
                                "\(ModbusError(errno: accepted.errno, endpoint: "\(host):\(port)", operation: .listen))"
                        ]
                    )
                    return
                }
            }
            let socket = accepted.result
            let number = state.withLock { state -> Int? in
                guard !state.stopped else {
                    return nil
                }
                state.nextClient += 1
                state.clients[state.nextClient] = socket
                return state.nextClient
            }
            guard let number else {
                Glibc.close(socket)
                return
            }
            counters.withLock {
                $0.connectionsAccepted += 1
                $0.openConnections += 1
            }
            clientThreads.enter()
            do {
                _ = try DedicatedThread.spawn(name: "modbus-client", endpoint: "\(host):\(port)") { [self] in
                    serve(connection: number, socket: socket)
                    clientThreads.leave()
                }
            } catch {
                clientThreads.leave()
                forget(connection: number)
                Glibc.close(socket)
                counters.withLock { $0.openConnections -= 1 }
                logger.warning("Modbus TCP server refused a connection", metadata: ["modbus.error": "\(error)"])
            }
        }
    }

    /// Reads and answers the requests of one client until it goes away or the server stops.
    private func serve(connection number: Int, socket: Int32) {
        defer {
            counters.withLock { $0.openConnections -= 1 }
        }
        // A context per connection: contexts are not thread-safe, and the socket is all it needs.
        guard let context = modbus_new_tcp("127.0.0.1", Int32(clamping: port)) else {
            forget(connection: number)
            Glibc.close(socket)
            return
        }
        _ = modbus_set_socket(context, socket)
        defer {
            // Forget the socket before closing it, so that dropConnections() can never shut down a
            // descriptor number the system has handed to someone else meanwhile.
            forget(connection: number)
            modbus_close(context)
            modbus_free(context)
        }
        var buffer = [UInt8](repeating: 0, count: 260)
        while true {
            let received = buffer.withUnsafeMutableBufferPointer { pointer in
                modbusCall { modbus_receive(context, pointer.baseAddress) }
            }
            if received.result < 0 {
                // The client closed or reset the connection, or stop()/dropConnections() shut it down.
                return
            }
            if received.result == 0 {
                continue
            }
            let length = Int(received.result)
            let request = Self.parse(buffer, length: length)
            counters.withLock { $0.requests += 1 }
            var response = handler?(request) ?? .registerMap
            while case .delayed(let delay, let next) = response {
                if stopSignal.wait(for: delay) {
                    return
                }
                response = next
            }
            if response == .registerMap {
                response = answerFromMap(request)
            }
            guard answer(response, to: request, buffer: buffer, length: length, context: context) else {
                return
            }
        }
    }

    private func forget(connection number: Int) {
        state.withLock { _ = $0.clients.removeValue(forKey: number) }
    }

    /// The register-map answer to a request (see `Response.registerMap`).
    private func answerFromMap(_ request: Request) -> Response {
        guard let map = maps.withLock({ $0[request.unit] }) else {
            return .noAnswer
        }
        guard let table = request.table else {
            return .exception(.illegalFunction)
        }
        guard (1...table.maximumReadCount).contains(request.count) else {
            return .exception(.illegalDataValue)
        }
        guard let values = map.values(table, address: request.address, count: request.count) else {
            return .exception(.illegalDataAddress)
        }
        return .values(values)
    }

    /// Sends the answer; false when the connection is gone.
    private func answer(
        _ response: Response,
        to request: Request,
        buffer: [UInt8],
        length: Int,
        context: OpaquePointer
    ) -> Bool {
        switch response {
        case .noAnswer, .registerMap, .delayed:
            counters.withLock { $0.unanswered += 1 }
            return true
        case .exception(let code):
            counters.withLock { $0.exceptionReplies += 1 }
            let sent = buffer.withUnsafeBufferPointer { pointer in
                modbusCall { modbus_reply_exception(context, pointer.baseAddress, UInt32(code.rawValue)) }
            }
            return sent.result >= 0
        case .values(let values):
            guard let table = request.table, (1...table.maximumReadCount).contains(request.count),
                values.count == request.count
            else {
                // A handler answering values to something that is not a read, or the wrong number of
                // them: what a device with a firmware bug would do is fail.
                logger.warning(
                    "request handler gave \(values.count) values for \(request); answering server failure"
                )
                return answer(.exception(.serverFailure), to: request, buffer: buffer, length: length, context: context)
            }
            guard let mapping = Self.mapping(table, address: request.address, values: values) else {
                return answer(.exception(.serverFailure), to: request, buffer: buffer, length: length, context: context)
            }
            defer { modbus_mapping_free(mapping) }
            counters.withLock { $0.valueReplies += 1 }
            let sent = buffer.withUnsafeBufferPointer { pointer in
                modbusCall { modbus_reply(context, pointer.baseAddress, Int32(length), mapping) }
            }
            return sent.result >= 0
        }
    }

    /// A libmodbus mapping holding exactly the requested values at their addresses, so that
    /// `modbus_reply` builds the answer (and its header) exactly as a libmodbus device would.
    static func mapping(
        _ table: ModbusTable,
        address: Int,
        values: [UInt16]
    ) -> UnsafeMutablePointer<modbus_mapping_t>? {
        let start = UInt32(address)
        let count = UInt32(values.count)
        let created: UnsafeMutablePointer<modbus_mapping_t>?
        switch table {
        case .coils:
            created = modbus_mapping_new_start_address(start, count, 0, 0, 0, 0, 0, 0)
            if let created {
                for (index, value) in values.enumerated() {
                    created.pointee.tab_bits[index] = value == 0 ? 0 : 1
                }
            }
        case .discreteInputs:
            created = modbus_mapping_new_start_address(0, 0, start, count, 0, 0, 0, 0)
            if let created {
                for (index, value) in values.enumerated() {
                    created.pointee.tab_input_bits[index] = value == 0 ? 0 : 1
                }
            }
        case .holdingRegisters:
            created = modbus_mapping_new_start_address(0, 0, 0, 0, start, count, 0, 0)
            if let created {
                for (index, value) in values.enumerated() {
                    created.pointee.tab_registers[index] = value
                }
            }
        case .inputRegisters:
            created = modbus_mapping_new_start_address(0, 0, 0, 0, 0, 0, start, count)
            if let created {
                for (index, value) in values.enumerated() {
                    created.pointee.tab_input_registers[index] = value
                }
            }
        }
        return created
    }

    /// Reads unit, function, address and count out of a Modbus TCP request (MBAP header: 7 bytes).
    static func parse(_ buffer: [UInt8], length: Int) -> Request {
        let unit = Int(buffer[6])
        let function = buffer[7]
        let table = ModbusTable(functionCode: function)
        guard table != nil, length >= 12 else {
            return Request(unit: unit, functionCode: function, table: nil, address: 0, count: 0)
        }
        let address = Int(buffer[8]) << 8 | Int(buffer[9])
        let count = Int(buffer[10]) << 8 | Int(buffer[11])
        return Request(unit: unit, functionCode: function, table: table, address: address, count: count)
    }
}
