/// The values one simulated or served unit holds in its four tables, by 0-based address.
///
/// A plain value: a server keeps one per unit id and answers reads from it. Bits are stored as
/// 0 or 1. Reading a range that includes an address the map has no value for fails, as a real
/// device answers "illegal data address" for registers it does not have.
public struct ModbusRegisterMap: Sendable, Hashable {
    private var tables: [ModbusTable: [Int: UInt16]] = [:]

    public init() {}

    /// The value at `address` of `table`, if the map has one.
    public subscript(table: ModbusTable, address: Int) -> UInt16? {
        get { tables[table]?[address] }
        set { tables[table, default: [:]][address] = newValue.map { table.holdsBits ? ($0 == 0 ? 0 : 1) : $0 } }
    }

    /// Sets consecutive values from `address` on.
    public mutating func set(_ table: ModbusTable, address: Int, values: [UInt16]) {
        for (offset, value) in values.enumerated() {
            self[table, address + offset] = value
        }
    }

    /// `count` values from `address` on, or nil when any of them is missing.
    public func values(_ table: ModbusTable, address: Int, count: Int) -> [UInt16]? {
        guard let values = tables[table] else {
            return nil
        }
        var result: [UInt16] = []
        result.reserveCapacity(count)
        for address in address..<(address + count) {
            guard let value = values[address] else {
                return nil
            }
            result.append(value)
        }
        return result
    }
}
