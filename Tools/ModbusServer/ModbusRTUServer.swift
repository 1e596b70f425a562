import CModbus
import Glibc
public import SortgateModbus
import SortgateThreads
import Synchronization

/// A Modbus RTU server (libmodbus' server side on a serial line) for the tests: one unit answering
/// reads from its register map, on a serial device such as one end of a pseudo-terminal pair made
/// by `socat`. `corruptNext(_:)` makes the next answers arrive with a wrong CRC, as line noise does.
///
/// One thread reads requests (`modbus_receive`, which ignores frames for other units) and answers
/// them until `stop()`.
///
/// `@unchecked Sendable`: the `modbus_t *` is used only by the server's thread after `init`; the
/// rest is behind a `Mutex` or atomic.
public final class ModbusRTUServer: @unchecked Sendable {
    public let path: String
    public let unit: Int
    private let context: OpaquePointer
    private let map: Mutex<ModbusRegisterMap>
    private let corruptions = Mutex(0)
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<DedicatedThread?>(nil)
    private let counters = Mutex((answered: 0, corrupted: 0))

    /// Opens `path` at `baud` (8N1) and starts answering `unit`'s requests from `map`.
    public init(path: String, baud: Int, unit: Int, map: ModbusRegisterMap) throws {
        self.path = path
        self.unit = unit
        self.map = Mutex(map)
        let created = modbusCall { modbus_new_rtu(path, Int32(baud), CChar(UInt8(ascii: "N")), 8, 1) }
        guard let context = created.result else {
            throw ModbusError(errno: created.errno, endpoint: path, operation: .connect)
        }
        self.context = context
        _ = modbus_set_slave(context, Int32(unit))
        let connected = modbusCall { modbus_connect(context) }
        guard connected.result == 0 else {
            modbus_free(context)
            throw ModbusError(errno: connected.errno, endpoint: path, operation: .connect)
        }
        // Wake up every 100 ms to notice stop().
        _ = modbus_set_indication_timeout(context, 0, 100_000)
        let started = try DedicatedThread.spawn(name: "modbus-rtu-server", endpoint: path) { [self] in serve() }
        thread.withLock { $0 = started }
    }

    deinit { stop() }

    /// The next `count` answers go out with their CRC bytes inverted.
    public func corruptNext(_ count: Int) { corruptions.withLock { $0 = count } }

    /// Answers sent so far, and how many of them were corrupted.
    public var statistics: (answered: Int, corrupted: Int) { counters.withLock { $0 } }

    /// Stops answering and closes the line; waits for the thread.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread.withLock { $0 }?.join()
        modbus_close(context)
        modbus_free(context)
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 260)
        while !stopped.load(ordering: .acquiring) {
            let received = buffer.withUnsafeMutableBufferPointer { pointer in
                modbus_receive(context, pointer.baseAddress)
            }
            guard received > 0 else { continue }
            // RTU request: unit, function, address (2 bytes), count (2 bytes), CRC.
            let function = buffer[1]
            guard let table = ModbusTable(functionCode: function), received >= 8 else { continue }
            let address = Int(buffer[2]) << 8 | Int(buffer[3])
            let count = Int(buffer[4]) << 8 | Int(buffer[5])
            guard let values = map.withLock({ $0.values(table, address: address, count: count) }),
                let mapping = ModbusTCPServer.mapping(table, address: address, values: values)
            else {
                _ = buffer.withUnsafeBufferPointer { modbus_reply_exception(context, $0.baseAddress, 2) }
                continue
            }
            defer { modbus_mapping_free(mapping) }
            let corrupt = corruptions.withLock { count -> Bool in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
            if corrupt {
                writeCorrupted(table: table, values: values)
            } else {
                _ = buffer.withUnsafeBufferPointer { modbus_reply(context, $0.baseAddress, received, mapping) }
            }
            counters.withLock {
                $0.answered += 1
                if corrupt { $0.corrupted += 1 }
            }
        }
    }

    /// Writes a register answer whose CRC does not match its bytes.
    private func writeCorrupted(table: ModbusTable, values: [UInt16]) {
        var frame: [UInt8] = [UInt8(unit), table.functionCode, UInt8(values.count * 2)]
        for value in values { frame += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        frame += [0xDE, 0xAD]
        let socket = modbus_get_socket(context)
        _ = frame.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
    }
}
