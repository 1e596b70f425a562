import SortgateConfig
import SortgateIngest
import SortgateModbus
import SortgateTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `sortgate-modbus-sim` process, read by the Modbus master and decoded by the device
/// profile decoder: two independent implementations of the register layouts checked against each
/// other.
@Suite("Modbus simulator")
struct ModbusSimulatorTests {
    /// A value the simulator is told to serve, and the spec that decodes it.
    struct Case: Sendable {
        var spec: RegisterSpec
        var value: Double
        /// The registers the order table of RegisterSpec+Decoding.swift promises, where checked.
        var registers: [UInt16]?
    }

    static let orders: [(String, ByteOrder, ByteOrder)] = [
        ("ABCD", .big, .big), ("CDAB", .little, .big), ("BADC", .big, .little), ("DCBA", .little, .little),
    ]

    static let cases: [Case] = {
        var cases: [Case] = []
        func add(
            _ type: RegisterType,
            at address: Int,
            _ value: Double,
            word: ByteOrder = .big,
            byte: ByteOrder = .big,
            scale: Double = 1,
            offset: Double = 0,
            table: RegisterTable = .holding,
            registers: [UInt16]? = nil
        ) {
            let spec = RegisterSpec(
                name: "\(type.rawValue)@\(address)",
                table: table,
                address: address,
                type: type,
                wordOrder: word,
                byteOrder: byte,
                scale: scale,
                offset: offset
            )
            cases.append(Case(spec: spec, value: value, registers: registers))
        }
        add(.int16, at: 0, -1234, registers: [0xFB2E])
        add(.int16, at: 1, -1234, byte: .little, registers: [0x2EFB])
        add(.uint16, at: 2, 65000, registers: [0xFDE8])
        add(.uint16, at: 3, 65000, byte: .little, registers: [0xE8FD])
        let float123456: [[UInt16]] = [[0x47F1, 0x2000], [0x2000, 0x47F1], [0xF147, 0x0020], [0x0020, 0xF147]]
        for (index, (_, word, byte)) in orders.enumerated() {
            add(.int32, at: 10 + 2 * index, -123_456_789, word: word, byte: byte)
            add(.uint32, at: 20 + 2 * index, 4_000_000_000, word: word, byte: byte)
            add(.float32, at: 30 + 2 * index, 123_456.0, word: word, byte: byte, registers: float123456[index])
            add(.float32, at: 40 + 2 * index, -20.5, word: word, byte: byte)
        }
        add(.int16, at: 1, 4.0, scale: 0.1, table: .input, registers: [40])
        add(.uint16, at: 2, 62.5, scale: 0.1, table: .input, registers: [625])
        add(.int16, at: 3, -20.0, scale: 0.1, table: .input, registers: [UInt16(bitPattern: -200)])
        add(.uint16, at: 4, 21.37, scale: 0.01, offset: -40, table: .input, registers: [6137])
        add(.float32, at: 6, -18.25, word: .little, scale: 1, table: .input)
        add(.uint16, at: 0, 1, table: .coil, registers: [1])
        add(.uint16, at: 1, 0, table: .coil, registers: [0])
        add(.uint16, at: 5, 1, table: .discrete, registers: [1])
        return cases
    }()

    /// The simulator script that serves `cases` on unit 1.
    static var typesScript: String {
        var lines = ["units:", "  - unit: 1", "    registers:"]
        for entry in cases {
            let spec = entry.spec
            lines.append(
                "      - {table: \(spec.table.rawValue), address: \(spec.address), type: \(spec.type.rawValue), "
                    + "word_order: \(spec.wordOrder.rawValue), byte_order: \(spec.byteOrder.rawValue), "
                    + "scale: \(spec.scale), offset: \(spec.offset), value: \(entry.value)}"
            )
        }
        lines.append("      - {table: holding, address: 50, raw: [0x0020, 0xF147]}")
        // The unused registers between the values, so that the planner's merged request (it reads
        // through gaps of up to 8 registers) finds every address it asks for.
        lines.append("      - {table: holding, address: 4, raw: [0, 0, 0, 0, 0, 0]}")
        for address in [18, 28, 38] {
            lines.append("      - {table: holding, address: \(address), raw: [0xDEAD, 0xBEEF]}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("every type and word/byte order decodes exactly as the simulator set it")
    func typesAndOrders() async throws {
        let simulator = try await ModbusSimulatorProcess(script: Self.typesScript)
        defer { simulator.stop() }
        let connection = loopbackConnection(port: simulator.port)
        defer { connection.close() }
        let cases = Self.cases
        let read = try await onDedicatedThread {
            try cases.map { entry in
                try connection.read(
                    ModbusTable(rawValue: entry.spec.table.rawValue)!,
                    unit: 1,
                    address: entry.spec.address,
                    count: entry.spec.span
                )
            }
        }
        for (entry, registers) in zip(cases, read) {
            let decoded = entry.spec.value(from: registers)
            if entry.spec.scale == 1, entry.spec.offset == 0 {
                #expect(decoded == entry.value, "\(entry.spec.name) \(entry.spec.wordOrder)/\(entry.spec.byteOrder)")
            } else {
                #expect(abs(decoded - entry.value) < 1e-9, "\(entry.spec.name): \(decoded) != \(entry.value)")
            }
            if let expected = entry.registers {
                #expect(registers == expected, "\(entry.spec.name) \(entry.spec.wordOrder)/\(entry.spec.byteOrder)")
            }
        }
        let raw = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 50, count: 2) }
        #expect(raw == [0x0020, 0xF147])
        let dcba = RegisterSpec(
            name: "t",
            table: .holding,
            address: 50,
            type: .float32,
            wordOrder: .little,
            byteOrder: .little
        )
        #expect(dcba.value(from: raw) == 123_456.0)
        // The whole holding block in the planner's one request (gaps of 6 and 2 registers are read
        // through), decoded from the poll as replay does.
        let plan = ModbusReadPlan(registers: cases.map(\.spec).filter { $0.table == .holding })
        #expect(plan.requests.map(\.address) == [0])
        #expect(plan.requests.map(\.count) == [48])
        let block = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 0, count: 48) }
        let poll = CaptureRecord.ModbusPoll(table: "holding", address: 0, registers: block)
        for entry in cases where entry.spec.table == .holding {
            #expect(entry.spec.value(in: poll) == entry.value, "\(entry.spec.name)")
        }
    }

    @Test("exceptions, offline and slow units behave as scripted")
    func behaviours() async throws {
        let script = """
            units:
              - unit: 1
                registers:
                  - {table: input, address: 1, type: int16, scale: 0.1, value: 4.0}
                exceptions:
                  - {code: 6, table: holding}
                  - {code: 0x0B, table: input, first_address: 100, last_address: 199}
              - unit: 2
                offline: true
                registers:
                  - {table: input, address: 1, value: 1}
              - unit: 3
                slow: {delay: 600ms}
                registers:
                  - {table: input, address: 1, value: 33}
            """
        let simulator = try await ModbusSimulatorProcess(script: script)
        defer { simulator.stop() }
        let connection = loopbackConnection(port: simulator.port, timeout: .milliseconds(250))
        defer { connection.close() }

        let value = try await onDedicatedThread { try connection.readInputRegisters(unit: 1, address: 1, count: 1) }
        #expect(value == [40])
        let busy = try await readFailure { try connection.readHoldingRegisters(unit: 1, address: 0, count: 1) }
        #expect(busy?.kind == .exception(.serverBusy))
        #expect(busy?.errnoName == "EMBXSBUSY")
        let gateway = try await readFailure { try connection.readInputRegisters(unit: 1, address: 150, count: 2) }
        #expect(gateway?.errnoName == "EMBXGTAR")
        let missing = try await readFailure { try connection.readInputRegisters(unit: 1, address: 2, count: 1) }
        #expect(missing?.errnoName == "EMBXILADD")
        let offline = try await readFailure { try connection.readInputRegisters(unit: 2, address: 1, count: 1) }
        #expect(offline?.kind == .timeout)
        let slow = try await readFailure { try connection.readInputRegisters(unit: 3, address: 1, count: 1) }
        #expect(slow?.kind == .timeout)
        let patient = ModbusConnection(
            configuration: ModbusConnection.Configuration(
                endpoint: .tcp(host: "127.0.0.1", port: simulator.port),
                responseTimeout: .seconds(2)
            ),
            logger: quietLogger
        )
        defer { patient.close() }
        let started = ContinuousClock.now
        let late = try await onDedicatedThread { try patient.readInputRegisters(unit: 3, address: 1, count: 1) }
        #expect(late == [33])
        #expect(started.duration(to: .now) >= .milliseconds(590))
    }

    @Test("curves follow script time: an excursion rises and ends, a drift moves")
    func curves() async throws {
        // At 60× speed one script minute is one real second.
        let script = """
            units:
              - unit: 5
                registers:
                  - table: input
                    address: 1
                    type: int16
                    scale: 0.1
                    curve: {excursion: {base: 4.5, high: 11.0, start: 1m, duration: 1m}}
                  - table: input
                    address: 2
                    type: int16
                    scale: 0.1
                    curve: {drift: {from: -20.0, per_minute: 1.0}}
                  - table: input
                    address: 3
                    type: int16
                    scale: 0.1
                    curve: {stuck: {at: 0s, curve: {drift: {from: 7.5, per_minute: 100}}}}
            """
        // At 10× the excursion starts 6 s after start and lasts 6 s: room for a busy machine's first read.
        let simulator = try await ModbusSimulatorProcess(script: script, speed: 10)
        defer { simulator.stop() }
        let connection = loopbackConnection(port: simulator.port)
        defer { connection.close() }
        let spec = xyMD02Profile.registers[0]
        @Sendable func temperature(_ address: Int) throws -> Double {
            var shifted = spec
            shifted.address = address
            return shifted.value(from: try connection.readInputRegisters(unit: 5, address: address, count: 1))
        }
        let first = try await onDedicatedThread { try temperature(1) }
        #expect(first == 4.5)
        let drift = try await onDedicatedThread { try temperature(2) }
        #expect(drift >= -20.0 && drift < -19.0)
        var seen: [Double] = []
        let completed = try await onDedicatedThread { () -> [Double] in
            var values: [Double] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let value = try temperature(1)
                if values.last != value {
                    values.append(value)
                }
                if values == [4.5, 11.0, 4.5] {
                    break
                }
                ModbusThreadTestSleep.milliseconds(20)
            }
            return values
        }
        seen = completed
        #expect(seen == [4.5, 11.0, 4.5])
        let laterDrift = try await onDedicatedThread { try temperature(2) }
        #expect(laterDrift > drift + 1)
        let stuck = try await onDedicatedThread { try temperature(3) }
        #expect(stuck == 7.5)
    }

    @Test("a restart on the same port cuts the connection, and the master recovers by itself; SIGTERM exits 0")
    func restartRecovery() async throws {
        let script = """
            units:
              - unit: 1
                registers:
                  - {table: holding, address: 0, type: float32, word_order: little, value: 123456.0}
            """
        let simulator = try await ModbusSimulatorProcess(script: script)
        defer { simulator.stop() }
        let connection = loopbackConnection(port: simulator.port)
        defer { connection.close() }

        let before = try await onDedicatedThread { try connection.readHoldingRegisters(unit: 1, address: 0, count: 2) }
        #expect(before == [0x2000, 0x47F1])
        #expect(simulator.stop() == 0)
        let down = try await readFailure { try connection.readHoldingRegisters(unit: 1, address: 0, count: 2) }
        #expect(down?.kind == .connection)
        try await simulator.restart()
        let after = try await onDedicatedThread { () -> [UInt16]? in
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if let values = try? connection.readHoldingRegisters(unit: 1, address: 0, count: 2) {
                    return values
                }
                ModbusThreadTestSleep.milliseconds(20)
            }
            return nil
        }
        #expect(after == [0x2000, 0x47F1])
        #expect(connection.statistics.connects == 2)
    }

    @Test("a script with a mistake is refused with file:line:column")
    func scriptErrors() async throws {
        let script = """
            units:
              - unit: 1
                registers:
                  - {table: inputs, address: 1, value: 1}
            """
        await #expect(throws: TestSupportError.self) {
            _ = try await ModbusSimulatorProcess(script: script)
        }
        do {
            _ = try await ModbusSimulatorProcess(script: script)
        } catch let error as TestSupportError {
            #expect(
                error.description.contains(
                    "script.yaml:4:17: unknown table 'inputs'; expected coil, discrete, input or holding"
                )
            )
        }
    }
}

/// Short pauses between polls of a dedicated test thread.
enum ModbusThreadTestSleep {
    static func milliseconds(_ count: Int) {
        var request = timespec(tv_sec: 0, tv_nsec: count * 1_000_000)
        nanosleep(&request, nil)
    }
}
