public import SortgateConfig

/// Turning the 16-bit registers a device returned into the value a register spec describes.
///
/// ## Word and byte order
/// A 32-bit value spans two registers. `wordOrder` says which register holds the most significant
/// half (big: the first one), `byteOrder` which byte of each register is the more significant (big:
/// the first one, as Modbus itself sends a register). The four combinations are the orders real
/// devices use, named after the bytes A (most significant) … D of the IEEE 754 / two's-complement
/// value, in the order they travel:
///
/// | order | word_order | byte_order | 123456.0 (0x47F12000) as registers |
/// |---|---|---|---|
/// | ABCD | big | big | 0x47F1, 0x2000 |
/// | CDAB | little | big | 0x2000, 0x47F1 |
/// | BADC | big | little | 0xF147, 0x0020 |
/// | DCBA | little | little | 0x0020, 0xF147 |
///
/// A 16-bit value uses `byteOrder` only. Coils and discrete inputs read as 0 or 1.
///
/// (libmodbus' own documentation gives "0x0020F147" as the ABCD form of 123456.0; by the definition
/// above, which DeviceProfile and the shipped profiles use, that is DCBA. libmodbus 3.1.6's
/// `modbus_get_float_abcd` and `modbus_set_float_abcd` do not even agree with each other, which is
/// one reason this is done here in plain Swift.)
///
/// ## Value
/// `raw × scale + offset`; a `temperature` in `fahrenheit` is then converted to °C, so that every
/// temperature leaving the decoder is in °C.
extension RegisterSpec {
    /// Registers (or bits) the value spans: 1 for coils and discrete inputs whatever `type` says.
    public var span: Int {
        table == .coil || table == .discrete ? 1 : type.registerCount
    }

    /// True when the value is in °F and `value(from:)` converts it to °C.
    public var isFahrenheit: Bool {
        unit?.lowercased() == "fahrenheit"
    }

    /// The value's unit after decoding: `celsius` for any temperature unit, `unit` otherwise.
    public var decodedUnit: String? {
        isFahrenheit ? "celsius" : unit
    }

    /// The number the registers hold, before scale and offset: the signed or unsigned integer, or
    /// the float, in the spec's word and byte order. `registers` are the `span` registers from the
    /// spec's address on, in the order they were read.
    public func rawValue(from registers: some Collection<UInt16>) -> Double {
        precondition(registers.count >= span, "\(name): \(span) registers needed, \(registers.count) given")
        let first = registers[registers.startIndex]
        if table == .coil || table == .discrete {
            return first == 0 ? 0 : 1
        }
        switch type {
        case .int16:
            return Double(Int16(bitPattern: word(first)))
        case .uint16:
            return Double(word(first))
        case .int32, .uint32, .float32:
            let second = registers[registers.index(after: registers.startIndex)]
            let (high, low) = wordOrder == .big ? (word(first), word(second)) : (word(second), word(first))
            let bits = UInt32(high) << 16 | UInt32(low)
            switch type {
            case .int32: return Double(Int32(bitPattern: bits))
            case .uint32: return Double(bits)
            default: return Double(Float(bitPattern: bits))
            }
        }
    }

    /// The reading: `raw × scale + offset`, in °C for a Fahrenheit temperature.
    public func value(from registers: some Collection<UInt16>) -> Double {
        let value = rawValue(from: registers) * scale + offset
        return isFahrenheit ? (value - 32) * 5 / 9 : value
    }

    /// The reading from a recorded poll, when the poll succeeded, read this spec's table, and covered
    /// all of its registers; nil otherwise.
    public func value(in poll: CaptureRecord.ModbusPoll) -> Double? {
        guard poll.error == nil, poll.table == table.rawValue, let registers = poll.registers else {
            return nil
        }
        // A capture line's `address` is any JSON integer: the subtraction and the bound must not trap.
        let (start, overflow) = address.subtractingReportingOverflow(poll.address)
        guard !overflow, start >= 0, start <= registers.count - span else {
            return nil
        }
        return value(from: registers[start..<(start + span)])
    }

    /// A register as it travels, with the bytes put back in big-endian order.
    private func word(_ register: UInt16) -> UInt16 {
        byteOrder == .big ? register : register.byteSwapped
    }
}

/// One decoded value of a Modbus device: a register spec's name, its value, and its unit after
/// decoding (`celsius` for any temperature).
public struct RegisterReading: Sendable, Hashable {
    public var name: String
    public var value: Double
    public var unit: String?

    public init(name: String, value: Double, unit: String?) {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

extension DeviceProfile {
    /// The values a recorded poll holds, in profile order: every register spec the poll covers
    /// entirely. A failed poll holds none.
    public func readings(from poll: CaptureRecord.ModbusPoll) -> [RegisterReading] {
        registers.compactMap { spec in
            spec.value(in: poll).map { RegisterReading(name: spec.name, value: $0, unit: spec.decodedUnit) }
        }
    }
}
