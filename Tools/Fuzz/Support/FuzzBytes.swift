/// Reads structured values from the front of a fuzz input, as LLVM's `FuzzedDataProvider` does:
/// every read succeeds, past the end it yields zeros, so any input maps to one value.
public struct FuzzBytes {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remaining: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[min(position, bytes.count)...])
    }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func uint16() -> UInt16 {
        UInt16(byte()) << 8 | UInt16(byte())
    }

    public mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return value
    }

    /// One of `choices`, picked by the next byte.
    public mutating func pick<T>(_ choices: [T]) -> T {
        choices[Int(byte()) % choices.count]
    }

    /// An integer biased toward the edges that break arithmetic: small values, the register
    /// range, and the extremes of `Int`, each chosen by a selector byte.
    public mutating func edgyInt() -> Int {
        switch byte() % 6 {
        case 0: return Int(byte())
        case 1: return Int(uint16())
        case 2: return Int.max - Int(byte())
        case 3: return Int.min + Int(byte())
        case 4: return -Int(uint16())
        default: return Int(truncatingIfNeeded: uint64())
        }
    }

    /// A double from eight bytes, so NaN, infinities and subnormals all occur.
    public mutating func double() -> Double {
        Double(bitPattern: uint64())
    }
}
