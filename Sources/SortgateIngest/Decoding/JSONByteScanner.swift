import Foundation
import SortgateCore

/// Why bytes are not one JSON text (RFC 8259), and where: `byte offset 17: unexpected end of
/// JSON (object opened at byte 0 is not closed)`.
///
/// `message` is built only when the error is thrown, so a scan that succeeds allocates nothing.
struct JSONSyntaxError: Error, CustomStringConvertible {
    /// The byte at which the text stops being JSON (the byte count for a text cut short).
    var offset: Int
    var message: String

    var description: String { "byte offset \(offset): \(message)" }
}

/// The module's one reader of JSON: a forward-only scanner over the UTF-8 bytes of one JSON
/// text, used by every ``PayloadDecoder`` format and by ``CaptureLineParser``.
///
/// It accepts exactly RFC 8259 (strings with every escape and paired surrogates, numbers with
/// fractions and exponents, nesting up to ``maximumDepth``, a leading UTF-8 byte order mark as
/// §8.1 allows) and throws ``JSONSyntaxError`` naming the offset and the problem on anything
/// else, including a number too large for a `Double`. The bytes must be valid UTF-8, which the
/// caller checks first with ``UTF8Check`` (so that a garbled payload is `invalid-utf8`, not
/// `malformed-json`).
///
/// A caller walks the text once: it opens objects and arrays, compares member names with the
/// ones it knows (``MemberName/is(_:in:)``), notes where the values it wants start and skips
/// (checking) the rest. Values noted by offset are read afterwards with the non-mutating
/// readers (`number(at:)`, `withString(at:_:)`, `briefDescription(at:)`), which cannot fail
/// because the value was checked when it was skipped.
///
/// Cost: one pass over the bytes, eight string bytes at a time; no heap allocation unless a
/// syntax error is reported or a string holding escapes or non-ASCII text has to be compared
/// as a Swift `String`. A value read through its offset is scanned a second time, which is
/// cheap for the scalars this is used on.
struct JSONByteScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index: Int
    /// Containers opened with `beginObject`/`beginArray` and not yet closed.
    var depth = 0

    /// Deepest nesting accepted, the limit of Foundation's `JSONSerialization`.
    static let maximumDepth = 512

    init(base: UnsafePointer<UInt8>, count: Int, index: Int = 0) {
        self.base = base
        self.count = count
        self.index = index
    }

    @inline(__always)
    func byte(at offset: Int) -> UInt8 { base[offset] }

    /// Steps over a UTF-8 byte order mark at the start of the text.
    mutating func skipByteOrderMark() {
        if index == 0, count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF {
            index = 3
        }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            switch base[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed; at the end, the error says what was expected.
    @inline(__always)
    mutating func peekSignificant(expecting context: @autoclosure () -> String) throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace()
        guard index < count else { throw unexpectedEnd(context()) }
        return base[index]
    }

    /// Checks that only whitespace follows the value just scanned.
    mutating func finishText() throws(JSONSyntaxError) {
        skipWhitespace()
        if index < count {
            throw JSONSyntaxError(offset: index, message: "unexpected \(describe(base[index])) after the end of the JSON value")
        }
    }

    // MARK: Objects and arrays

    /// Consumes the `{` at the current position (the caller has seen it) and returns whether a
    /// member follows (false for `{}`, whose `}` is consumed).
    mutating func beginObject() throws(JSONSyntaxError) -> Bool {
        try open(closing: UInt8(ascii: "}"), kind: "object")
    }

    /// Consumes the `[` at the current position and returns whether an element follows.
    mutating func beginArray() throws(JSONSyntaxError) -> Bool {
        try open(closing: UInt8(ascii: "]"), kind: "array")
    }

    @inline(__always)
    private mutating func open(closing: UInt8, kind: StaticString) throws(JSONSyntaxError) -> Bool {
        guard depth < JSONByteScanner.maximumDepth else { throw tooDeep() }
        let opening = index
        index += 1
        depth += 1
        if try peekSignificant(expecting: "\(kind) opened at byte \(opening) is not closed") == closing {
            index += 1
            depth -= 1
            return false
        }
        return true
    }

    /// After a member's value: consumes `,` (true: another member follows) or `}` (false).
    /// `opening` is the offset of the object's `{`, for the error when the text ends.
    @inline(__always)
    mutating func nextMember(openedAt opening: Int) throws(JSONSyntaxError) -> Bool {
        switch try peekSignificant(expecting: "object opened at byte \(opening) is not closed") {
        case UInt8(ascii: ","):
            index += 1
            return true
        case UInt8(ascii: "}"):
            index += 1
            depth -= 1
            return false
        case let other:
            throw JSONSyntaxError(offset: index, message: "expected ',' or '}' after an object member, found \(describe(other))")
        }
    }

    /// After an element: consumes `,` (true) or `]` (false).
    @inline(__always)
    mutating func nextElement(openedAt opening: Int) throws(JSONSyntaxError) -> Bool {
        switch try peekSignificant(expecting: "array opened at byte \(opening) is not closed") {
        case UInt8(ascii: ","):
            index += 1
            return true
        case UInt8(ascii: "]"):
            index += 1
            depth -= 1
            return false
        case let other:
            throw JSONSyntaxError(offset: index, message: "expected ',' or ']' after an array element, found \(describe(other))")
        }
    }

    /// A member name, located in the text.
    struct MemberName {
        var token: StringToken

        /// Whether the name is `literal` (ASCII), as Swift `String` equality has it: byte
        /// comparison for a plain name, the decoded text otherwise (an escaped letter, or a
        /// character such as U+212A KELVIN SIGN that is canonically equivalent to `K`).
        @inline(__always)
        func `is`(_ literal: StaticString, in scanner: JSONByteScanner) -> Bool {
            if token.plainASCII {
                let length = literal.utf8CodeUnitCount
                return token.content.count == length
                    && memcmp(scanner.base + token.content.lowerBound, literal.utf8Start, length) == 0
            }
            return scanner.withString(token) { JSONByteScanner.text($0, equals: literal) }
        }
    }

    /// Scans a member name and the `:` after it.
    mutating func memberName() throws(JSONSyntaxError) -> MemberName {
        let first = try peekSignificant(expecting: "expected an object member name")
        guard first == UInt8(ascii: "\"") else {
            throw JSONSyntaxError(offset: index, message: "expected a member name in double quotes, found \(describe(first))")
        }
        let name = try scanString()
        let colon = try peekSignificant(expecting: "expected ':' after a member name")
        guard colon == UInt8(ascii: ":") else {
            throw JSONSyntaxError(offset: index, message: "expected ':' after a member name, found \(describe(colon))")
        }
        index += 1
        return MemberName(token: name)
    }

    /// Where the value at the current position begins, after whitespace, and whether it is
    /// `null` (which every format treats as an absent member).
    @inline(__always)
    mutating func valueStart() throws(JSONSyntaxError) -> (offset: Int, isNull: Bool) {
        let first = try peekSignificant(expecting: "expected a value")
        return (index, first == UInt8(ascii: "n"))
    }

    // MARK: Skipping

    /// Skips one value of any kind, checking its syntax.
    mutating func skipValue() throws(JSONSyntaxError) {
        // One bit per container opened here, 1 for an object: at most `maximumDepth` bits.
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: JSONByteScanner.maximumDepth / 64) {
            (kinds) throws(JSONSyntaxError) in
            try skipValue(kinds: kinds)
        }
    }

    private mutating func skipValue(kinds: UnsafeMutableBufferPointer<UInt64>) throws(JSONSyntaxError) {
        let outer = depth
        // Offsets of the containers opened here are not kept; an error at the end of the text
        // names the innermost one, found again by `openingOfInnermost`.
        while true {
            let first = try peekSignificant(expecting: "expected a value")
            switch first {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = first == UInt8(ascii: "{")
                guard depth < JSONByteScanner.maximumDepth else { throw tooDeep() }
                let level = depth - outer
                let word = level >> 6
                let bit: UInt64 = 1 << UInt64(level & 63)
                if isObject { kinds[word] |= bit } else { kinds[word] &= ~bit }
                index += 1
                depth += 1
                skipWhitespace()
                guard index < count else { throw unclosedAtEnd() }
                if base[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    depth -= 1
                } else {
                    if isObject { _ = try memberName() }
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
                throw JSONSyntaxError(offset: index, message: "expected a value, found \(describe(first))")
            }
            // After a value: close containers or move to the next member / element.
            while true {
                guard depth > outer else { return }
                let level = depth - 1 - outer
                let isObject = kinds[level >> 6] & (1 << UInt64(level & 63)) != 0
                skipWhitespace()
                guard index < count else { throw unclosedAtEnd() }
                let separator = base[index]
                if separator == UInt8(ascii: ",") {
                    index += 1
                    if isObject { _ = try memberName() }
                    break
                }
                guard separator == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    let expected = isObject ? "',' or '}' after an object member" : "',' or ']' after an array element"
                    throw JSONSyntaxError(offset: index, message: "expected \(expected), found \(describe(separator))")
                }
                index += 1
                depth -= 1
            }
        }
    }

    /// The error for a text that ends inside a container: names the innermost open one, found
    /// by scanning the text again from the start (only on this error path).
    private func unclosedAtEnd() -> JSONSyntaxError {
        var opened: [(byte: UInt8, offset: Int)] = []
        var position = 0
        var inString = false
        while position < count {
            let byte = base[position]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    position += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): opened.append((byte, position))
                case UInt8(ascii: "}"), UInt8(ascii: "]"): if !opened.isEmpty { opened.removeLast() }
                default: break
                }
            }
            position += 1
        }
        guard let innermost = opened.last else { return unexpectedEnd("expected a value") }
        let kind = innermost.byte == UInt8(ascii: "{") ? "object" : "array"
        return unexpectedEnd("\(kind) opened at byte \(innermost.offset) is not closed")
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        for position in 0..<literal.utf8CodeUnitCount {
            guard index < count else { throw unexpectedEnd("'\(literal)' is not complete") }
            guard base[index] == literal.utf8Start[position] else {
                throw JSONSyntaxError(offset: start, message: "invalid literal (expected true, false or null)")
            }
            index += 1
        }
    }

    // MARK: Strings

    /// A scanned string: its content between the quotes, whether it holds escapes, and whether
    /// it is plain ASCII without escapes (only then is the content its own text, byte for byte,
    /// and comparable to ASCII by bytes).
    struct StringToken {
        var content: Range<Int>
        var plainASCII: Bool
        var hasEscapes: Bool
    }

    /// Scans a string starting at its opening quote.
    mutating func scanString() throws(JSONSyntaxError) -> StringToken {
        let opening = index
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
            guard index < count else { throw unexpectedEnd("string starting at byte \(opening) is not closed") }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return StringToken(content: start..<(index - 1), plainASCII: !nonASCII && !escapes, hasEscapes: escapes)
            }
            if byte == UInt8(ascii: "\\") {
                escapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw JSONSyntaxError(offset: index, message: "control character 0x\(hexByte(byte)) inside a string must be escaped")
            } else {
                if byte >= 0x80 { nonASCII = true }
                index += 1
            }
        }
    }

    /// Scans one backslash escape, pairing UTF-16 surrogates as RFC 8259 §7 requires.
    private mutating func scanEscape() throws(JSONSyntaxError) {
        let start = index
        index += 1
        guard index < count else { throw unexpectedEnd("escape sequence is not complete") }
        let byte = base[index]
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case UInt8(ascii: "u"):
            index += 1
            let unit = try scanHexUnit(escapeStart: start)
            if (0xDC00...0xDFFF).contains(unit) {
                throw JSONSyntaxError(offset: start, message: "low surrogate escape without a high surrogate before it")
            }
            if (0xD800...0xDBFF).contains(unit) {
                let lowStart = index
                guard index + 1 < count, base[index] == UInt8(ascii: "\\"), base[index + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(offset: start, message: "high surrogate escape not followed by a low surrogate escape")
                }
                index += 2
                let low = try scanHexUnit(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: start, message: "high surrogate escape not followed by a low surrogate escape")
                }
            }
        default:
            let shown = byte > 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "0x\(hexByte(byte))"
            throw JSONSyntaxError(offset: start, message: "invalid escape '\\\(shown)' in a string")
        }
    }

    /// Scans the four hex digits of a `\u` escape.
    private mutating func scanHexUnit(escapeStart: Int) throws(JSONSyntaxError) -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard index < count else { throw unexpectedEnd("\\u escape is not complete") }
            guard let digit = JSONByteScanner.hexDigit(base[index]) else {
                throw JSONSyntaxError(offset: escapeStart, message: "\\u escape needs four hex digits")
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    @inline(__always)
    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Numbers

    /// A scanned number: where it is, and its value when it is a plain integer (no fraction, no
    /// exponent) of at most 18 digits, which is then exact without further work.
    struct NumberToken {
        var range: Range<Int>
        var smallInteger: Int64?
    }

    /// Scans a number, refusing one whose value is beyond a `Double`'s range (as
    /// `JSONSerialization` does): `1e400` cannot be represented, `1e-400` is 0.
    mutating func scanNumber() throws(JSONSyntaxError) -> NumberToken {
        let start = index
        var negative = false
        if base[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < count else { throw unexpectedEnd("expected a digit in a number") }
        var value: Int64 = 0
        var digits = 0
        if base[index] == UInt8(ascii: "0") {
            index += 1
            digits = 1
            if index < count, isDigit(base[index]) {
                throw JSONSyntaxError(offset: index - 1, message: "numbers may not have leading zeros")
            }
        } else {
            let first = index
            try scanDigits("expected a digit")
            digits = index - first
            if digits <= 18 {
                for position in first..<index {
                    value = value &* 10 &+ Int64(base[position] &- UInt8(ascii: "0"))
                }
            }
        }
        var isInteger = true
        if index < count, base[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try scanDigits("expected a digit after the decimal point")
        }
        var hasExponent = false
        if index < count, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            isInteger = false
            hasExponent = true
            index += 1
            if index < count, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") {
                index += 1
            }
            try scanDigits("expected a digit in the exponent")
        }
        let token = NumberToken(
            range: start..<index,
            smallInteger: isInteger && digits <= 18 ? (negative ? -value : value) : nil
        )
        // Only an exponent or more than 308 digits can leave a Double's range.
        if hasExponent || digits > 308, !double(token).isFinite {
            let text = String(decoding: buffer(token.range), as: UTF8.self)
            throw JSONSyntaxError(offset: start, message: "number \(text) is beyond the range of a Double")
        }
        return token
    }

    private mutating func scanDigits(_ expectation: StaticString) throws(JSONSyntaxError) {
        guard index < count else { throw unexpectedEnd("\(expectation)") }
        guard isDigit(base[index]) else {
            throw JSONSyntaxError(offset: index, message: "\(expectation), found \(describe(base[index]))")
        }
        while index < count, isDigit(base[index]) {
            index += 1
        }
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The correctly rounded `Double` of a scanned number (`strtod`, as Swift's `Double(String)`).
    private func double(_ token: NumberToken) -> Double {
        if let small = token.smallInteger { return Double(small) }
        let length = token.range.count
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
            for position in 0..<length {
                text[position] = CChar(bitPattern: base[token.range.lowerBound + position])
            }
            text[length] = 0
            return strtod(text.baseAddress!, nil)
        }
    }

    // MARK: Errors

    private func unexpectedEnd(_ context: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: count, message: "unexpected end of JSON (\(context))")
    }

    private func tooDeep() -> JSONSyntaxError {
        JSONSyntaxError(offset: index, message: "nested deeper than \(JSONByteScanner.maximumDepth) arrays and objects")
    }

    /// A byte as a person reads it: `'x'` for printable ASCII, else its hex value.
    private func describe(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return "'\(UnicodeScalar(byte))'" }
        return "byte 0x\(hexByte(byte))"
    }
}

// MARK: - Reading checked values

/// What kind of value starts at an offset.
enum JSONKind {
    case null, bool, number, string, array, object
}

/// A JSON number as the decoders read it: integers stay exact, so an `eventNum` near
/// `UInt64.max` is not rounded through `Double`; other numbers are the nearest `Double`.
enum JSONNumber: CustomStringConvertible {
    case integer(Int64)
    /// Only for integers above `Int64.max`.
    case unsigned(UInt64)
    case double(Double)

    /// The value as `T` when it is a whole number in `T`'s range (JSON does not tell `2` from `2.0`).
    func exactly<T: FixedWidthInteger>(_: T.Type) -> T? {
        switch self {
        case .integer(let value): T(exactly: value)
        case .unsigned(let value): T(exactly: value)
        case .double(let value): T(exactly: value)
        }
    }

    var isWhole: Bool {
        switch self {
        case .integer, .unsigned: true
        case .double(let value): value.isFinite && value.rounded(.towardZero) == value
        }
    }

    var doubleValue: Double {
        switch self {
        case .integer(let value): Double(value)
        case .unsigned(let value): Double(value)
        case .double(let value): value
        }
    }

    var description: String {
        switch self {
        case .integer(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .double(let value): "\(value)"
        }
    }
}

extension JSONByteScanner {
    /// The kind of the (checked) value at `offset`.
    func kind(at offset: Int) -> JSONKind {
        switch base[offset] {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        default: .number
        }
    }

    /// A scanner positioned at `offset`, for reading a checked value there.
    @inline(__always)
    func at(_ offset: Int) -> JSONByteScanner {
        var scanner = JSONByteScanner(base: base, count: count, index: offset)
        scanner.depth = depth
        return scanner
    }

    /// The string token at `offset`, which must be a checked string.
    func stringToken(at offset: Int) -> StringToken {
        var scanner = at(offset)
        // Checked already, so this cannot fail.
        return (try? scanner.scanString()) ?? StringToken(content: offset..<offset, plainASCII: true, hasEscapes: false)
    }

    /// The number at `offset` (a checked number): integers exact when they fit 64 bits, else
    /// the nearest `Double`.
    func number(at offset: Int) -> JSONNumber {
        var scanner = at(offset)
        guard let token = try? scanner.scanNumber() else { return .double(.nan) }
        if let small = token.smallInteger { return .integer(small) }
        let text = buffer(token.range)
        let isInteger = !text.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        if isInteger {
            let string = String(decoding: text, as: UTF8.self)
            if let value = Int64(string) { return .integer(value) }
            if let value = UInt64(string) { return value <= UInt64(Int64.max) ? .integer(Int64(value)) : .unsigned(value) }
        }
        return .double(double(token))
    }

    /// Calls `body` with the text of the string `token`: its bytes in place when it has no
    /// escapes, else unescaped into a temporary buffer (an unescaped string is never longer).
    func withString<R>(_ token: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard token.hasEscapes else { return body(buffer(token.content)) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: token.content.count) { scratch in
            let length = unescape(token.content, into: UnsafeMutableRawBufferPointer(scratch))
            return body(UnsafeBufferPointer(rebasing: scratch[..<length]))
        }
    }

    /// `withString` for the checked string at `offset`.
    func withString<R>(at offset: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withString(stringToken(at: offset), body)
    }

    /// The checked string at `offset` as a `String`.
    func string(at offset: Int) -> String {
        withString(at: offset) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `text` equals the ASCII `literal` as Swift `String`s compare (canonical
    /// equivalence): bytes for ASCII text, `String` equality otherwise.
    static func text(_ text: UnsafeBufferPointer<UInt8>, equals literal: StaticString) -> Bool {
        if text.allSatisfy({ $0 < 0x80 }) {
            return text.count == literal.utf8CodeUnitCount
                && (text.isEmpty || memcmp(text.baseAddress!, literal.utf8Start, text.count) == 0)
        }
        return String(decoding: text, as: UTF8.self) == literal.description
    }

    /// Unescapes a checked string's content into `scratch`, returning the byte count; UTF-16
    /// surrogate pairs become one 4-byte UTF-8 sequence, so the result is never longer than
    /// the content.
    func unescape(_ content: Range<Int>, into scratch: UnsafeMutableRawBufferPointer) -> Int {
        var out = 0
        var index = content.lowerBound
        let end = content.upperBound
        @inline(__always) func put(_ byte: UInt8) {
            scratch[out] = byte
            out += 1
        }
        while index < end {
            let byte = base[index]
            guard byte == UInt8(ascii: "\\") else {
                put(byte)
                index += 1
                continue
            }
            let escaped = base[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(hexUnit(at: index))
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // The scanner checked that a low surrogate escape follows.
                    let low = UInt32(hexUnit(at: index + 2))
                    index += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                if scalar < 0x80 {
                    put(UInt8(scalar))
                } else if scalar < 0x800 {
                    put(UInt8(0xC0 | scalar >> 6))
                    put(UInt8(0x80 | scalar & 0x3F))
                } else if scalar < 0x10000 {
                    put(UInt8(0xE0 | scalar >> 12))
                    put(UInt8(0x80 | scalar >> 6 & 0x3F))
                    put(UInt8(0x80 | scalar & 0x3F))
                } else {
                    put(UInt8(0xF0 | scalar >> 18))
                    put(UInt8(0x80 | scalar >> 12 & 0x3F))
                    put(UInt8(0x80 | scalar >> 6 & 0x3F))
                    put(UInt8(0x80 | scalar & 0x3F))
                }
            default:
                // `"`, `\` and `/` stand for themselves.
                put(escaped)
            }
        }
        return out
    }

    /// The four (checked) hex digits at `offset` as a UTF-16 code unit.
    private func hexUnit(at offset: Int) -> UInt16 {
        var unit: UInt16 = 0
        for position in offset..<(offset + 4) {
            unit = unit << 4 | UInt16(JSONByteScanner.hexDigit(base[position]) ?? 0)
        }
        return unit
    }

    /// The checked value at `offset`, described for a rejection detail: `string "2"`,
    /// `number 2.5`, `an object`, `an array of 3 elements`.
    func briefDescription(at offset: Int) -> String {
        switch kind(at: offset) {
        case .null: return "null"
        case .bool: return "boolean \(base[offset] == UInt8(ascii: "t"))"
        case .number: return "number \(number(at: offset))"
        case .string: return "string \(quotedForDetail(string(at: offset)))"
        case .object: return "an object"
        case .array:
            var elements = 0
            var scanner = at(offset)
            let opening = offset
            if (try? scanner.beginArray()) == true {
                repeat {
                    elements += 1
                    guard (try? scanner.skipValue()) != nil else { break }
                } while (try? scanner.nextElement(openedAt: opening)) == true
            }
            return "an array of \(elements) element\(elements == 1 ? "" : "s")"
        }
    }

    /// The bytes in `range` as a buffer, valid while the scanned bytes are.
    @inline(__always)
    func buffer(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}

/// Two upper-case hex digits, for showing bytes in details.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
