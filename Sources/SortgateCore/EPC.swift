/// The bits of an Electronic Product Code as read from a tag, up to 256 bits, held inline.
///
/// The hot path moves EPCs by value millions of times a second, so an EPC is four machine words
/// and a length rather than a `String` or an `Array`: copying, hashing and comparing it never
/// touches the heap. Bits are left-aligned: bit 0 of the EPC (its most significant bit, where
/// the 8-bit header lives) is the top bit of `w0`. 256 bits cover every scheme of the EPC Tag
/// Data Standard that sortgate decodes (the largest, GIAI-202, has 202); longer EPCs are
/// rejected with a reason. Decoding into GS1 identities lives in `EPCIdentity`.
public struct EPC: Hashable, Sendable, CustomStringConvertible {
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64
    /// Number of valid bits, a multiple of 8 when read from hex.
    public var bitCount: UInt16

    /// The largest EPC this type holds.
    public static let maximumBits = 256

    @inlinable
    public init(w0: UInt64, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0, bitCount: Int) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
        self.bitCount = UInt16(bitCount)
    }

    /// The 8-bit EPC header (the scheme selector of the Tag Data Standard).
    @inlinable
    public var header: UInt8 { UInt8(truncatingIfNeeded: w0 >> 56) }

    /// Reads `count` (≤ 64) bits starting at bit `offset` (0 = most significant).
    @inlinable
    public func bits(at offset: Int, count: Int) -> UInt64 {
        precondition(count >= 0 && count <= 64 && offset >= 0 && offset + count <= EPC.maximumBits)
        if count == 0 { return 0 }
        let word = offset >> 6
        let shift = offset & 63
        let hi = self.word(word) << UInt64(shift)
        let lo: UInt64 = shift == 0 || word == 3 ? 0 : self.word(word + 1) >> UInt64(64 - shift)
        return (hi | lo) >> UInt64(64 - count)
    }

    /// Writes the low `count` (≤ 64) bits of `value` at bit `offset`.
    @inlinable
    public mutating func setBits(at offset: Int, count: Int, to value: UInt64) {
        precondition(count >= 0 && count <= 64 && offset >= 0 && offset + count <= EPC.maximumBits)
        for k in 0..<count {
            let bit = (value >> UInt64(count - 1 - k)) & 1
            let position = offset + k
            let word = position >> 6
            let mask: UInt64 = 1 << UInt64(63 - (position & 63))
            let current = self.word(word)
            setWord(word, bit == 1 ? current | mask : current & ~mask)
        }
    }

    @inlinable
    func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: return w0
        case 1: return w1
        case 2: return w2
        default: return w3
        }
    }

    @inlinable
    mutating func setWord(_ index: Int, _ value: UInt64) {
        switch index {
        case 0: w0 = value
        case 1: w1 = value
        case 2: w2 = value
        default: w3 = value
        }
    }

    public var description: String { hex }
}

/// Why an EPC (hex, bytes or URI) was rejected.
public struct EPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offending input, shortened for messages.
    public var input: String
    /// What is wrong with it, for a person.
    public var reason: String

    public init(input: String, reason: String) {
        self.input = String(input.prefix(80))
        self.reason = reason
    }

    public var description: String { "invalid EPC '\(input)': \(reason)" }
}

extension EPC {
    /// Parses hexadecimal EPC digits (either case). Rejects empty, odd-length, non-hex and
    /// over-long input with the reason.
    public init(hex: String) throws(EPCError) {
        var copy = hex
        let result: Result<EPC, EPCError> = copy.withUTF8 { bytes in
            if let epc = EPC(hexBytes: bytes) { return .success(epc) }
            return .failure(EPC.diagnoseHex(bytes, text: hex))
        }
        self = try result.get()
    }

    /// Parses hexadecimal digits from UTF-8 bytes without allocating; nil when invalid.
    @inlinable
    public init?(hexBytes bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0, n & 1 == 0, n * 4 <= EPC.maximumBits else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for i in 0..<n {
            let c = bytes[i]
            let v: UInt64
            switch c {
            case 48...57: v = UInt64(c &- 48)
            case 65...70: v = UInt64(c &- 55)
            case 97...102: v = UInt64(c &- 87)
            default: return nil
            }
            let shift = UInt64(60 - (i & 15) * 4)
            switch i >> 4 {
            case 0: words.0 |= v << shift
            case 1: words.1 |= v << shift
            case 2: words.2 |= v << shift
            default: words.3 |= v << shift
            }
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3, bitCount: n * 4)
    }

    /// Builds an EPC from raw bytes (for base64-encoded EPCs).
    public init(bytes: some Collection<UInt8>) throws(EPCError) {
        guard !bytes.isEmpty else { throw EPCError(input: "", reason: "empty EPC") }
        guard bytes.count * 8 <= EPC.maximumBits else {
            throw EPCError(
                input: "\(bytes.count) bytes",
                reason: "EPC of \(bytes.count * 8) bits is longer than the \(EPC.maximumBits) bits supported"
            )
        }
        var epc = EPC(w0: 0, bitCount: bytes.count * 8)
        for (i, byte) in bytes.enumerated() {
            epc.setBits(at: i * 8, count: 8, to: UInt64(byte))
        }
        self = epc
    }

    static func diagnoseHex(_ bytes: UnsafeBufferPointer<UInt8>, text: String) -> EPCError {
        if bytes.isEmpty { return EPCError(input: text, reason: "empty EPC") }
        for (offset, c) in bytes.enumerated() {
            let isHex = (48...57).contains(c) || (65...70).contains(c) || (97...102).contains(c)
            if !isHex { return EPCError(input: text, reason: "non-hex character at offset \(offset)") }
        }
        if bytes.count & 1 == 1 {
            return EPCError(input: text, reason: "odd number of hex digits (\(bytes.count)); an EPC is whole bytes")
        }
        return EPCError(
            input: text,
            reason: "EPC of \(bytes.count * 4) bits is longer than the \(EPC.maximumBits) bits supported"
        )
    }

    /// Upper-case hex of the EPC's bits, the form stored in `inventory.epc`.
    public var hex: String {
        String(unsafeUninitializedCapacity: hexDigitCount) { writeHex(into: $0) }
    }

    /// The number of digits of `hex`.
    public var hexDigitCount: Int { Int(bitCount + 3) / 4 }

    /// Writes `hex` as UTF-8 into `buffer` (at least `hexDigitCount` bytes) and returns the number
    /// of bytes written: the SQLite writer binds it from its own buffer, without a `String`.
    public func writeHex(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let digits = hexDigitCount
        precondition(buffer.count >= digits, "a buffer of \(buffer.count) bytes for \(digits) hex digits")
        let table: StaticString = "0123456789ABCDEF"
        let chars = table.utf8Start
        for i in 0..<digits {
            buffer[i] = chars[Int(bits(at: i * 4, count: 4))]
        }
        return digits
    }

    /// The EPC's bytes, most significant first.
    public var bytes: [UInt8] {
        (0..<(Int(bitCount) + 7) / 8).map { UInt8(truncatingIfNeeded: bits(at: $0 * 8, count: 8)) }
    }
}

extension EPC {
    /// Why these bits cannot be the EPC a tag's memory bank holds, or nil when they can.
    ///
    /// The Tag Data Standard (§15.1.1, the EPC memory bank) stores the EPC in 16-bit words and
    /// gives its length in the Protocol Control word as a number of words, so an EPC read from
    /// a tag is a whole number of 16-bit words, at least one: `E2` (8 bits) or `E2E2E2` (24) is
    /// a truncated or garbled read. ``init(hex:)`` accepts any whole number of bytes, since EPCs
    /// typed into a configuration or a URI may be partial; decoders of tag reads apply this rule.
    public var tagMemoryProblem: String? {
        guard bitCount % 16 != 0 else { return nil }
        return "EPC of \(bitCount) bits is not a whole number of 16-bit words, as a tag's EPC memory bank holds"
    }
}
