import SortgateCore
import SortgateModbus
import SortgateModbusServer
import SortgateTestSupport
import Testing

/// The Modbus master against an in-process `ModbusTCPServer` (libmodbus on both sides) on a free
/// loopback port.
@Suite("ModbusConnection against a libmodbus server")
struct ModbusConnectionTests {
    @Test("reads coils, discrete inputs, input and holding registers of a unit")
    func readsAllFourTables() async throws {
        var map = ModbusRegisterMap()
        map.set(.coils, address: 0, values: [1, 0, 1])
        map.set(.discreteInputs, address: 10, values: [0, 1])
        map.set(.inputRegisters, address: 100, values: [42, 65535])
        map.set(.holdingRegisters, address: 0, values: [0x47F1, 0x2000, 7])
        let server = try ModbusTCPServer(registerMaps: [7: map], logger: quietLogger)
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port)
        defer { connection.close() }

        let values = try await onDedicatedThread {
            [
                try connection.readCoils(unit: 7, address: 0, count: 3),
                try connection.readDiscreteInputs(unit: 7, address: 10, count: 2),
                try connection.readInputRegisters(unit: 7, address: 100, count: 2),
                try connection.readHoldingRegisters(unit: 7, address: 0, count: 3),
            ]
        }
        #expect(values == [[1, 0, 1], [0, 1], [42, 65535], [0x47F1, 0x2000, 7]])
        let statistics = connection.statistics
        #expect(statistics.connects == 1)
        #expect(statistics.requests == 4)
        #expect(statistics.successfulRequests == 4)
        #expect(server.statistics.valueReplies == 4)
    }

    @Test("reads the protocol's maximum in one request and refuses more without sending anything")
    func requestSizeLimits() async throws {
        let server = try ModbusTCPServer(logger: quietLogger) { request in
            .values((0..<request.count).map { UInt16(request.table!.holdsBits ? $0 % 2 : $0 * 3) })
        }
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port)
        defer { connection.close() }

        let registers = try await onDedicatedThread {
            try connection.readInputRegisters(unit: 1, address: 0, count: 125)
        }
        #expect(registers == (0..<125).map { UInt16($0 * 3) })
        let bits = try await onDedicatedThread { try connection.readCoils(unit: 1, address: 0, count: 2000) }
        #expect(bits.count == 2000)
        #expect(bits.prefix(4) == [0, 1, 0, 1])

        let tooManyRegisters = try await readFailure {
            try connection.readHoldingRegisters(unit: 1, address: 0, count: 126)
        }
        #expect(tooManyRegisters?.kind == .invalidRequest)
        #expect(tooManyRegisters?.errnoName == "EINVAL")
        let tooManyBits = try await readFailure { try connection.readDiscreteInputs(unit: 1, address: 0, count: 2001) }
        #expect(tooManyBits?.kind == .invalidRequest)
        let pastTheEnd = try await readFailure { try connection.readInputRegisters(unit: 1, address: 65535, count: 2) }
        #expect(pastTheEnd?.kind == .invalidRequest)
        #expect(server.statistics.requests == 2)
        #expect(connection.statistics.requests == 2)
    }

    @Test(
        "each exception code is its own kind with libmodbus' errno name",
        arguments: [
            (ModbusExceptionCode.illegalFunction, "EMBXILFUN", "Illegal function"),
            (.illegalDataAddress, "EMBXILADD", "Illegal data address"),
            (.illegalDataValue, "EMBXILVAL", "Illegal data value"),
            (.serverFailure, "EMBXSFAIL", "Slave device or server failure"),
            (.acknowledge, "EMBXACK", "Acknowledge"),
            (.serverBusy, "EMBXSBUSY", "Slave device or server is busy"),
            (.negativeAcknowledge, "EMBXNACK", "Negative acknowledge"),
            (.memoryParityError, "EMBXMEMPAR", "Memory parity error"),
            (.gatewayPathUnavailable, "EMBXGPATH", "Gateway path unavailable"),
            (.gatewayTargetFailedToRespond, "EMBXGTAR", "Target device failed to respond"),
        ]
    )
    func exceptionCodes(code: ModbusExceptionCode, errnoName: String, message: String) async throws {
        // The handler answers with the exception whose code is the requested address.
        let server = try ModbusTCPServer(logger: quietLogger) { request in
            .exception(ModbusExceptionCode(rawValue: UInt8(request.address)))
        }
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port)
        defer { connection.close() }

        let error = try await readFailure {
            try connection.readHoldingRegisters(unit: 3, address: Int(code.rawValue), count: 1)
        }
        #expect(error?.kind == .exception(code))
        #expect(error?.exceptionCode == code)
        #expect(error?.errnoName == errnoName)
        #expect(error?.message == message)
        #expect(error?.unit == 3)
        // An exception is an answer: the connection stays up and the next request uses it.
        let second = try await readFailure { try connection.readHoldingRegisters(unit: 3, address: 2, count: 1) }
        #expect(second?.kind == .exception(.illegalDataAddress))
        #expect(connection.statistics.connects == 1)
        #expect(connection.isConnected)
    }

    @Test("a timeout is a timeout, and the next request gets its own answer, never the late one")
    func lateReplyIsNeverTakenForTheNextAnswer() async throws {
        let counter = Counter()
        // The first request is answered 800 ms late (after the 200 ms timeout) with 1111; every
        // later one at once with 2222, 3333, …: the same table, address and count, so only the
        // connection handling can tell the late answer from the right one.
        let server = try ModbusTCPServer(logger: quietLogger) { _ in
            let number = counter.next()
            let value = UInt16(number * 1111)
            return number == 1 ? .delayed(.seconds(3), .values([value])) : .values([value])
        }
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port, timeout: .milliseconds(200))
        defer { connection.close() }

        let started = ContinuousClock.now
        let timeout = try await readFailure { try connection.readHoldingRegisters(unit: 1, address: 0, count: 1) }
        let waited = started.duration(to: .now)
        #expect(timeout?.kind == .timeout)
        #expect(timeout?.errnoName == "ETIMEDOUT")
        #expect(timeout?.message == "Connection timed out")
        // Well below the 3 s the late reply takes, with room for a busy machine.
        #expect(waited >= .milliseconds(190) && waited < .milliseconds(2500))

        let second = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 0, count: 1) }
        #expect(second == [2222])
        // Once the server has sent the late 1111 (to the closed connection), ask again.
        let lateReplySent = await eventually(timeout: .seconds(5)) { server.statistics.valueReplies >= 2 }
        #expect(lateReplySent)
        let third = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 0, count: 1) }
        #expect(third == [3333])
        let statistics = connection.statistics
        #expect(statistics.closesAfterTimeout == 1)
        #expect(statistics.connects == 2)
        #expect(statistics.successfulRequests == 2)
    }

    @Test("a connection the server closes mid-stream is reopened by the next request")
    func recoversFromAConnectionCut() async throws {
        var map = ModbusRegisterMap()
        map.set(.inputRegisters, address: 1, values: [40, 625])
        let server = try ModbusTCPServer(registerMaps: [1: map], logger: quietLogger)
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port)
        defer { connection.close() }

        let before = try await onDedicatedThread { try connection.readInputRegisters(unit: 1, address: 1, count: 2) }
        #expect(before == [40, 625])
        server.dropConnections()
        let dropped = await eventually { server.statistics.openConnections == 0 }
        #expect(dropped)

        let cut = try await readFailure { try connection.readInputRegisters(unit: 1, address: 1, count: 2) }
        #expect(cut?.kind == .connection)
        #expect(["ECONNRESET", "EPIPE"].contains(cut?.errnoName))
        #expect(!connection.isConnected)
        server.updateRegisterMap(unit: 1) { $0[.inputRegisters, 1] = 41 }
        let after = try await onDedicatedThread { try connection.readInputRegisters(unit: 1, address: 1, count: 2) }
        #expect(after == [41, 625])
        #expect(connection.statistics.connects == 2)
        #expect(connection.statistics.connectionsLost == 1)
        #expect(server.statistics.connectionsAccepted == 2)
    }

    @Test("an unreachable device is refused, then waits for its backoff, then connects when it is back")
    func reconnectBackoff() async throws {
        let port = freeLoopbackPort()
        // A backoff long enough that the second request surely falls within it, even on a busy machine.
        let connection = loopbackConnection(
            port: port,
            backoff: Backoff.Bounds(minimum: .seconds(3), maximum: .seconds(3))
        )
        defer { connection.close() }

        let refused = try await readFailure { try connection.readInputRegisters(unit: 1, address: 1, count: 1) }
        #expect(refused?.kind == .connection)
        #expect(refused?.errnoName == "ECONNREFUSED")
        #expect(refused?.operation == .connect)
        #expect(refused?.unit == 1)
        // Within the backoff nothing is tried: the request fails at once.
        let waiting = try await readFailure { try connection.readInputRegisters(unit: 1, address: 1, count: 1) }
        #expect(waiting?.kind == .connection)
        #expect(waiting?.errnoName == "ENOTCONN")
        #expect(waiting?.detail?.contains("next connection attempt in") == true)
        #expect(waiting?.detail?.contains("Connection refused") == true)
        #expect(connection.statistics.failedConnects == 1)

        var map = ModbusRegisterMap()
        map[.inputRegisters, 1] = 55
        let server = try ModbusTCPServer(port: port, registerMaps: [1: map], logger: quietLogger)
        defer { server.stop() }
        let recovered = try await onDedicatedThread { () -> [UInt16]? in
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                if let values = try? connection.readInputRegisters(unit: 1, address: 1, count: 1) {
                    return values
                }
                ModbusThreadTestSleep.milliseconds(20)
            }
            return nil
        }
        #expect(recovered == [55])
        #expect(connection.statistics.connects == 1)
    }

    @Test("a unit the server has no map for never answers: a timeout")
    func unknownUnitTimesOut() async throws {
        var map = ModbusRegisterMap()
        map[.holdingRegisters, 0] = 1
        let server = try ModbusTCPServer(registerMaps: [1: map], logger: quietLogger)
        defer { server.stop() }
        let connection = loopbackConnection(port: server.port, timeout: .milliseconds(150))
        defer { connection.close() }

        let silent = try await readFailure { try connection.readHoldingRegisters(unit: 9, address: 0, count: 1) }
        #expect(silent?.kind == .timeout)
        let missing = try await readFailure { try connection.readHoldingRegisters(unit: 1, address: 5, count: 1) }
        #expect(missing?.kind == .exception(.illegalDataAddress))
        let known = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 0, count: 1) }
        #expect(known == [1])
        #expect(server.statistics.unanswered == 1)
    }

    @Test("a host name is resolved; an unknown one is a connection failure with the resolver's name")
    func resolvesHostNames() async throws {
        var map = ModbusRegisterMap()
        map[.inputRegisters, 0] = 99
        let server = try ModbusTCPServer(registerMaps: [1: map], logger: quietLogger)
        defer { server.stop() }
        let named = ModbusConnection(
            configuration: ModbusConnection.Configuration(endpoint: .tcp(host: "localhost", port: server.port)),
            logger: quietLogger
        )
        defer { named.close() }
        let values = try await onDedicatedThread { try named.readInputRegisters(unit: 1, address: 0, count: 1) }
        #expect(values == [99])

        let unknown = ModbusConnection(
            configuration: ModbusConnection.Configuration(endpoint: .tcp(host: "no-such-host.invalid", port: 502)),
            logger: quietLogger
        )
        defer { unknown.close() }
        let error = try await readFailure { try unknown.readInputRegisters(unit: 1, address: 0, count: 1) }
        #expect(error?.kind == .connection)
        #expect(error?.errnoName.hasPrefix("EAI_") == true)
        #expect(error?.detail == "cannot resolve host 'no-such-host.invalid'")
    }

    @Test("a serial port that does not exist is a connection failure naming the port")
    func missingSerialPort() async throws {
        let connection = ModbusConnection(
            configuration: ModbusConnection.Configuration(
                endpoint: .rtu(path: "/dev/sortgate-no-such-tty", baud: 9600, parity: .none, dataBits: 8, stopBits: 1)
            ),
            logger: quietLogger
        )
        defer { connection.close() }
        let error = try await readFailure { try connection.readInputRegisters(unit: 1, address: 1, count: 2) }
        #expect(error?.kind == .connection)
        #expect(error?.errnoName == "ENOENT")
        #expect(error?.endpoint == "/dev/sortgate-no-such-tty")
        #expect(error?.description == "/dev/sortgate-no-such-tty unit 1: connect failed: No such file or directory")
    }
}
