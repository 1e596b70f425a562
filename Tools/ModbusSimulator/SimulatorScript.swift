import SortgateModbus
import SortgateModbusServer

/// What the simulator serves: units, each with registers whose values follow curves over the time
/// since start, and behaviours (offline, slow, exceptions) in time windows. Loaded from YAML by
/// `SimulatorScript.load(path:)`; the format is in README.md.
struct SimulatorScript: Sendable {
    var units: [SimulatedUnit]
}

/// One unit id the simulator answers for.
struct SimulatedUnit: Sendable {
    var unit: Int
    var name: String?
    var registers: [SimulatedRegister]
    /// Windows in which the unit does not answer at all.
    var offline: [TimeWindow]
    /// Windows in which each answer is delayed.
    var slow: [SlowWindow]
    /// Requests answered with an exception code instead of data; the first matching rule wins.
    var exceptions: [ExceptionRule]

    /// The unit's registers at `time` since start.
    func registerMap(at time: Duration) -> ModbusRegisterMap {
        var map = ModbusRegisterMap()
        for register in registers {
            map.set(register.table, address: register.address, values: register.registers(at: time))
        }
        return map
    }
}

/// A span of time since start: from `from` on, until `until` (exclusive; nil: for ever).
struct TimeWindow: Sendable, Hashable {
    var from: Duration
    var until: Duration?

    static let always = TimeWindow(from: .zero, until: nil)

    func contains(_ time: Duration) -> Bool {
        time >= from && (until.map { time < $0 } ?? true)
    }
}

/// Answers delayed by `delay` during `window`.
struct SlowWindow: Sendable, Hashable {
    var delay: Duration
    var window: TimeWindow
}

/// Requests for `tables` (all when nil) touching `addresses` (all when nil) during `window` are
/// answered with exception `code`.
struct ExceptionRule: Sendable, Hashable {
    var code: ModbusExceptionCode
    var tables: Set<ModbusTable>?
    var addresses: ClosedRange<Int>?
    var window: TimeWindow

    func matches(_ request: ModbusTCPServer.Request, at time: Duration) -> Bool {
        guard window.contains(time) else {
            return false
        }
        if let tables, !(request.table.map(tables.contains) ?? false) {
            return false
        }
        if let addresses {
            let requested = request.address...(request.address + max(request.count, 1) - 1)
            return requested.overlaps(addresses)
        }
        return true
    }
}

/// One value at an address: a curve encoded with a type, orders, scale and offset, or raw registers.
struct SimulatedRegister: Sendable {
    enum Source: Sendable {
        case curve(Curve)
        case raw([UInt16])
    }

    var table: ModbusTable
    var address: Int
    var encoding: RegisterEncoding
    var source: Source

    /// The registers (or bits) from `address` on at `time` since start.
    func registers(at time: Duration) -> [UInt16] {
        switch source {
        case .raw(let registers):
            return registers
        case .curve(let curve):
            return encoding.registers(for: curve.value(at: time), bits: table.holdsBits)
        }
    }
}
