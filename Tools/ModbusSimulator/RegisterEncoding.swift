/// How the simulator turns a value into registers, the inverse of a device profile's decoding:
/// `raw = (value − offset) / scale`, rounded to the nearest integer for the integer types (and
/// clamped to their range) or converted to float32, then laid out in the word and byte order.
///
/// Written independently of SortgateIngest's decoder on purpose: the tests check one against the
/// other. Orders, for 123456.0 (0x47F12000): ABCD (word big, byte big) 0x47F1 0x2000; CDAB (word
/// little) 0x2000 0x47F1; BADC (byte little) 0xF147 0x0020; DCBA (both little) 0x0020 0xF147.
struct RegisterEncoding: Sendable, Hashable {
    enum ValueType: String, Sendable, Hashable, CaseIterable {
        case int16, uint16, int32, uint32, float32
    }

    enum Order: String, Sendable, Hashable, CaseIterable {
        case big, little
    }

    var type: ValueType = .uint16
    var wordOrder: Order = .big
    var byteOrder: Order = .big
    var scale: Double = 1
    var offset: Double = 0

    /// The registers holding `value`; for a bit table, one 0 or 1.
    func registers(for value: Double, bits: Bool) -> [UInt16] {
        if bits {
            return [value == 0 ? 0 : 1]
        }
        let raw = (value - offset) / scale
        switch type {
        case .int16:
            return [order(UInt16(bitPattern: Int16(Self.clamp(raw, Double(Int16.min), Double(Int16.max)))))]
        case .uint16:
            return [order(UInt16(Self.clamp(raw, 0, Double(UInt16.max))))]
        case .int32:
            return split(UInt32(bitPattern: Int32(Self.clamp(raw, Double(Int32.min), Double(Int32.max)))))
        case .uint32:
            return split(UInt32(Self.clamp(raw, 0, Double(UInt32.max))))
        case .float32:
            return split(Float(raw).bitPattern)
        }
    }

    private func split(_ bits: UInt32) -> [UInt16] {
        let high = UInt16(truncatingIfNeeded: bits >> 16)
        let low = UInt16(truncatingIfNeeded: bits)
        return wordOrder == .big ? [order(high), order(low)] : [order(low), order(high)]
    }

    private func order(_ word: UInt16) -> UInt16 {
        byteOrder == .big ? word : word.byteSwapped
    }

    private static func clamp(_ value: Double, _ lowest: Double, _ highest: Double) -> Double {
        min(max(value.rounded(), lowest), highest)
    }
}
