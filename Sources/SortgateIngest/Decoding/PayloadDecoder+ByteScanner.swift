import Foundation
import SortgateCore
import SortgateConfig

/// Thrown by the fast path when it meets anything it leaves to the tree path: a rejection of
/// any kind, an escape in a string it must read, an unusual shape or number. It carries
/// nothing, so throwing it allocates nothing.
struct FastPathExit: Error {}

/// A forward-only scanner over the UTF-8 bytes of one JSON text, for the allocation-free fast
/// paths of ``PayloadDecoder`` and ``CaptureLineParser``.
///
/// It accepts a strict subset of RFC 8259 on which the result of Foundation's parser is beyond
/// doubt, and throws ``FastPathExit`` on everything else, so that the caller hands the message
/// to the tree path and its exact diagnosis: skipped numbers with an exponent or more than 18
/// digits, `\u` escapes of surrogates or NUL, control characters in strings, nesting deeper
/// than 64 levels. The bytes must be valid UTF-8 (checked by the caller). Member values are
/// located by offset; the small readers (`plainString`, `integer`, `number`) interpret one
/// value at a given offset without copying it.
///
/// Cost: one pass over the bytes with no allocation; a value read through an offset is
/// scanned a second time, which is cheap for the scalars it is used on.
struct JSONByteScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index: Int

    /// Deepest nesting `skipValue` follows before giving up (one bit per level in a `UInt64`).
    static let maximumDepth = 64

    init(base: UnsafePointer<UInt8>, count: Int, index: Int = 0) {
        self.base = base
        self.count = count
        self.index = index
    }

    @inline(__always)
    func byte(at offset: Int) -> UInt8 { base[offset] }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            switch base[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    mutating func peekSignificant() throws(FastPathExit) -> UInt8 {
        skipWhitespace()
        guard index < count else { throw FastPathExit() }
        return base[index]
    }

    @inline(__always)
    mutating func expect(_ expected: UInt8) throws(FastPathExit) {
        guard try peekSignificant() == expected else { throw FastPathExit() }
        index += 1
    }

    /// True when only whitespace is left.
    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == count
    }

    // MARK: Objects and arrays

    /// Consumes `{` and returns whether a member follows (false for `{}`, whose `}` is consumed).
    mutating func beginObject() throws(FastPathExit) -> Bool {
        try expect(UInt8(ascii: "{"))
        if try peekSignificant() == UInt8(ascii: "}") {
            index += 1
            return false
        }
        return true
    }

    /// After a member's value: consumes `,` (true: another member follows) or `}` (false).
    mutating func nextMember() throws(FastPathExit) -> Bool {
        switch try peekSignificant() {
        case UInt8(ascii: ","):
            index += 1
            return true
        case UInt8(ascii: "}"):
            index += 1
            return false
        default:
            throw FastPathExit()
        }
    }

    /// Consumes `[` and returns whether an element follows (false for `[]`).
    mutating func beginArray() throws(FastPathExit) -> Bool {
        try expect(UInt8(ascii: "["))
        if try peekSignificant() == UInt8(ascii: "]") {
            index += 1
            return false
        }
        return true
    }

    /// After an element: consumes `,` (true) or `]` (false).
    mutating func nextElement() throws(FastPathExit) -> Bool {
        switch try peekSignificant() {
        case UInt8(ascii: ","):
            index += 1
            return true
        case UInt8(ascii: "]"):
            index += 1
            return false
        default:
            throw FastPathExit()
        }
    }

    /// Scans a member name and the `:` after it; the name must be plain ASCII without escapes,
    /// since only then do byte equality and Swift `String` equality (which the tree path's
    /// dictionaries use) agree.
    mutating func memberName() throws(FastPathExit) -> Range<Int> {
        guard try peekSignificant() == UInt8(ascii: "\"") else { throw FastPathExit() }
        let name = try scanString()
        guard name.plainASCII else { throw FastPathExit() }
        try expect(UInt8(ascii: ":"))
        return name.content
    }

    /// Whether the bytes in `range` spell `literal`.
    @inline(__always)
    func bytes(_ range: Range<Int>, equal literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard range.count == length else { return false }
        return memcmp(base + range.lowerBound, literal.utf8Start, length) == 0
    }

    /// Where the value starting at the current position begins, after whitespace, and whether it
    /// is `null` (which every reader of the formats treats as an absent member).
    mutating func valueStart() throws(FastPathExit) -> (offset: Int, isNull: Bool) {
        let first = try peekSignificant()
        return (index, first == UInt8(ascii: "n"))
    }

    // MARK: Skipping

    /// Skips one value of any kind, checking its syntax.
    mutating func skipValue() throws(FastPathExit) {
        // One bit per open container: 1 for an object, 0 for an array.
        var kinds: UInt64 = 0
        var depth = 0
        while true {
            // A value.
            switch try peekSignificant() {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JSONByteScanner.maximumDepth else { throw FastPathExit() }
                let isObject = base[index] == UInt8(ascii: "{")
                index += 1
                kinds = kinds << 1 | (isObject ? 1 : 0)
                depth += 1
                let closing = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if try peekSignificant() == closing {
                    index += 1
                    depth -= 1
                    kinds >>= 1
                } else {
                    if isObject { _ = try skipMemberName() }
                    continue
                }
            case UInt8(ascii: "\""):
                _ = try scanString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                _ = try scanNumber()
            case UInt8(ascii: "t"):
                try scanLiteral("true")
            case UInt8(ascii: "f"):
                try scanLiteral("false")
            case UInt8(ascii: "n"):
                try scanLiteral("null")
            default:
                throw FastPathExit()
            }
            // After a value: close containers or move to the next member / element.
            while true {
                guard depth > 0 else { return }
                let isObject = kinds & 1 == 1
                let separator = try peekSignificant()
                index += 1
                if separator == UInt8(ascii: ",") {
                    if isObject { _ = try skipMemberName() }
                    break
                }
                guard separator == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw FastPathExit() }
                depth -= 1
                kinds >>= 1
            }
        }
    }

    /// A member name in a skipped object: any valid string, then `:`.
    private mutating func skipMemberName() throws(FastPathExit) {
        guard try peekSignificant() == UInt8(ascii: "\"") else { throw FastPathExit() }
        _ = try scanString()
        try expect(UInt8(ascii: ":"))
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(FastPathExit) {
        let length = literal.utf8CodeUnitCount
        guard index + length <= count, memcmp(base + index, literal.utf8Start, length) == 0 else {
            throw FastPathExit()
        }
        index += length
    }

    // MARK: Strings

    /// A scanned string: its content between the quotes, and whether that content is plain
    /// ASCII without escapes (only then can it be read as bytes).
    struct StringToken {
        var content: Range<Int>
        var plainASCII: Bool
        var hasEscapes: Bool
    }

    /// Scans a string starting at its opening quote.
    mutating func scanString() throws(FastPathExit) -> StringToken {
        index += 1
        let start = index
        var nonASCII = false
        var escapes = false
        while true {
            // Eight bytes at a time while none is a quote, a backslash, a control or non-ASCII byte.
            while index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let special =
                    ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (word &- ones &* 0x20) | word
                guard special & highs == 0 else { break }
                index += 8
            }
            guard index < count else { throw FastPathExit() }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return StringToken(content: start..<(index - 1), plainASCII: !nonASCII && !escapes, hasEscapes: escapes)
            }
            if byte == UInt8(ascii: "\\") {
                escapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw FastPathExit()
            } else {
                if byte >= 0x80 { nonASCII = true }
                index += 1
            }
        }
    }

    /// Scans one escape; `\u` escapes of surrogates and of NUL are left to the tree path.
    private mutating func scanEscape() throws(FastPathExit) {
        guard index + 1 < count else { throw FastPathExit() }
        switch base[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard let unit = hexUnit(at: index + 2), unit != 0, !(0xD800...0xDFFF).contains(unit) else {
                throw FastPathExit()
            }
            index += 6
        default:
            throw FastPathExit()
        }
    }

    /// The four hex digits at `offset` as a UTF-16 code unit, or nil.
    func hexUnit(at offset: Int) -> UInt16? {
        guard offset + 4 <= count else { return nil }
        var unit: UInt16 = 0
        for position in offset..<(offset + 4) {
            let byte = base[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    // MARK: Numbers

    /// A scanned number: where it is, and whether it is a plain integer (no fraction, no
    /// exponent) of at most 18 digits, whose value is then exact.
    struct NumberToken {
        var range: Range<Int>
        var integer: Int64?
    }

    /// Scans a number; more than 18 digits or an exponent leave the message to the tree path.
    mutating func scanNumber() throws(FastPathExit) -> NumberToken {
        let start = index
        var negative = false
        if base[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < count else { throw FastPathExit() }
        var value: Int64 = 0
        var digits = 0
        if base[index] == UInt8(ascii: "0") {
            index += 1
            digits = 1
            if index < count, isDigit(base[index]) { throw FastPathExit() }
        } else {
            while index < count, isDigit(base[index]) {
                value = value &* 10 &+ Int64(base[index] &- UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0, digits <= 18 else { throw FastPathExit() }
        }
        var isInteger = true
        if index < count, base[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            var fractionDigits = 0
            while index < count, isDigit(base[index]) {
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0, digits + fractionDigits <= 18 else { throw FastPathExit() }
        }
        if index < count, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            // Exponents may push a value out of a Double's range, where parsers differ.
            throw FastPathExit()
        }
        // `-0` is left to the tree path too: parsers disagree on whether it is an integer.
        if negative && value == 0 && isInteger { throw FastPathExit() }
        return NumberToken(range: start..<index, integer: isInteger ? (negative ? -value : value) : nil)
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    // MARK: Reading values at an offset

    /// The content of the plain-ASCII string at `offset`; anything else (another type, escapes,
    /// non-ASCII text) throws.
    func plainString(at offset: Int) throws(FastPathExit) -> Range<Int> {
        guard base[offset] == UInt8(ascii: "\"") else { throw FastPathExit() }
        var scanner = self
        scanner.index = offset
        let token = try scanner.scanString()
        guard token.plainASCII else { throw FastPathExit() }
        return token.content
    }

    /// The plain integer at `offset` when it lies in `range`; anything else throws.
    func integer<T: FixedWidthInteger>(at offset: Int, in range: ClosedRange<T>) throws(FastPathExit) -> T {
        let first = base[offset]
        guard first == UInt8(ascii: "-") || isDigit(first) else { throw FastPathExit() }
        var scanner = self
        scanner.index = offset
        guard let value = try scanner.scanNumber().integer, let result = T(exactly: value), range.contains(result)
        else { throw FastPathExit() }
        return result
    }

    /// The number at `offset` as the Double Foundation's parser makes of it: integers converted,
    /// fractions read by `strtod` (correctly rounded, as Swift's `Double(String)` is).
    func number(at offset: Int) throws(FastPathExit) -> Double {
        let value = try numberValue(at: offset)
        return value.integer.map(Double.init) ?? value.double
    }

    /// The number at `offset`: its exact value when it is a plain integer, else the Double
    /// Foundation's parser makes of it (see `number(at:)`); anything but a number throws.
    func numberValue(at offset: Int) throws(FastPathExit) -> (integer: Int64?, double: Double) {
        let first = base[offset]
        guard first == UInt8(ascii: "-") || isDigit(first) else { throw FastPathExit() }
        var scanner = self
        scanner.index = offset
        let token = try scanner.scanNumber()
        if let integer = token.integer { return (integer, Double(integer)) }
        // At most 18 digits, a sign and a point: the text fits a small stack buffer.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { text in
            let length = token.range.count
            for position in 0..<length {
                text[position] = CChar(bitPattern: base[token.range.lowerBound + position])
            }
            text[length] = 0
            return (nil, strtod(text.baseAddress!, nil))
        }
    }

    /// The bytes in `range` as a buffer, valid while the scanned bytes are.
    @inline(__always)
    func buffer(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
