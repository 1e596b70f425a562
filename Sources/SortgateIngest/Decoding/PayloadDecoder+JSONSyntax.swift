import SortgateConfig

/// Finds the first RFC 8259 syntax error in a message and describes it with its byte offset,
/// for the `malformed-json` detail: `byte offset 17: unexpected end of JSON (object opened at
/// byte 0 is not closed)`.
///
/// It runs only after the parser has refused a message, so it only has to be exact, not fast.
/// It keeps its own stack of open containers instead of recursing, so deep nesting cannot
/// overflow the thread's stack, and it stops at the same depth as `JSONSerialization` (512).
enum JSONSyntaxCheck {
    static let maximumDepth = 512

    /// The description of the first syntax error in `bytes` (assumed valid UTF-8), or nil
    /// when the bytes are one valid JSON value.
    static func firstError(in bytes: UnsafeRawBufferPointer) -> String? {
        var scanner = Scanner(bytes: bytes)
        do throws(SyntaxError) {
            try scanner.scanDocument()
            return nil
        } catch {
            return "byte offset \(error.offset): \(error.message)"
        }
    }

    private struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// Open containers: the opening byte (`{` or `[`), where it is, and whether a member or
        /// element was seen (only then may a `,` follow).
        var open: [(byte: UInt8, offset: Int, hasContent: Bool)] = []

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func scanDocument() throws(SyntaxError) {
            // RFC 8259 §8.1 lets a parser ignore a UTF-8 byte order mark, and Foundation does.
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
                index = 3
            }
            try scanValue()
            while let container = open.last {
                skipWhitespace()
                guard index < bytes.count else {
                    let kind = container.byte == UInt8(ascii: "{") ? "object" : "array"
                    throw unexpectedEnd("\(kind) opened at byte \(container.offset) is not closed")
                }
                let byte = bytes[index]
                if !container.hasContent {
                    let closing = container.byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    if byte == closing {
                        index += 1
                        open.removeLast()
                        continue
                    }
                    open[open.count - 1].hasContent = true
                    if container.byte == UInt8(ascii: "{") {
                        try scanMemberName()
                    }
                    try scanValue()
                } else if container.byte == UInt8(ascii: "{") {
                    if byte == UInt8(ascii: ",") {
                        index += 1
                        try scanMemberName()
                        try scanValue()
                    } else if byte == UInt8(ascii: "}") {
                        index += 1
                        open.removeLast()
                    } else {
                        throw SyntaxError(
                            offset: index,
                            message: "expected ',' or '}' after an object member, found \(describe(byte))"
                        )
                    }
                } else {
                    if byte == UInt8(ascii: ",") {
                        index += 1
                        try scanValue()
                    } else if byte == UInt8(ascii: "]") {
                        index += 1
                        open.removeLast()
                    } else {
                        throw SyntaxError(
                            offset: index,
                            message: "expected ',' or ']' after an array element, found \(describe(byte))"
                        )
                    }
                }
            }
            skipWhitespace()
            if index < bytes.count {
                throw SyntaxError(
                    offset: index,
                    message: "unexpected \(describe(bytes[index])) after the end of the JSON value"
                )
            }
        }

        /// Scans one value; an object or array is only opened here, the loop in `scanDocument`
        /// scans its members.
        mutating func scanValue() throws(SyntaxError) {
            skipWhitespace()
            guard index < bytes.count else { throw unexpectedEnd("expected a value") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < JSONSyntaxCheck.maximumDepth else {
                    throw SyntaxError(
                        offset: index,
                        message: "nested deeper than \(JSONSyntaxCheck.maximumDepth) arrays and objects"
                    )
                }
                open.append((byte, index, false))
                index += 1
            case UInt8(ascii: "\""):
                try scanString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try scanNumber()
            case UInt8(ascii: "t"):
                try scanLiteral("true")
            case UInt8(ascii: "f"):
                try scanLiteral("false")
            case UInt8(ascii: "n"):
                try scanLiteral("null")
            default:
                throw SyntaxError(offset: index, message: "expected a value, found \(describe(byte))")
            }
        }

        /// Scans `"name"` and the `:` after it.
        mutating func scanMemberName() throws(SyntaxError) {
            skipWhitespace()
            guard index < bytes.count else { throw unexpectedEnd("expected an object member name") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw SyntaxError(
                    offset: index,
                    message: "expected a member name in double quotes, found \(describe(bytes[index]))"
                )
            }
            try scanString()
            skipWhitespace()
            guard index < bytes.count else { throw unexpectedEnd("expected ':' after a member name") }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw SyntaxError(
                    offset: index,
                    message: "expected ':' after a member name, found \(describe(bytes[index]))"
                )
            }
            index += 1
        }

        mutating func scanString() throws(SyntaxError) {
            let start = index
            index += 1
            while true {
                guard index < bytes.count else { throw unexpectedEnd("string starting at byte \(start) is not closed") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    try scanEscape()
                case 0x00..<0x20:
                    throw SyntaxError(
                        offset: index,
                        message: "control character 0x\(hexByte(byte)) inside a string must be escaped"
                    )
                default:
                    index += 1
                }
            }
        }

        /// Scans one backslash escape, pairing UTF-16 surrogates as RFC 8259 §7 requires.
        mutating func scanEscape() throws(SyntaxError) {
            let start = index
            index += 1
            guard index < bytes.count else { throw unexpectedEnd("escape sequence is not complete") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                index += 1
            case UInt8(ascii: "u"):
                index += 1
                let unit = try scanHexUnit(escapeStart: start)
                if (0xDC00...0xDFFF).contains(unit) {
                    throw SyntaxError(offset: start, message: "low surrogate escape without a high surrogate before it")
                }
                if (0xD800...0xDBFF).contains(unit) {
                    let lowStart = index
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else {
                        throw SyntaxError(
                            offset: start,
                            message: "high surrogate escape not followed by a low surrogate escape"
                        )
                    }
                    index += 2
                    let low = try scanHexUnit(escapeStart: lowStart)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw SyntaxError(
                            offset: start,
                            message: "high surrogate escape not followed by a low surrogate escape"
                        )
                    }
                }
            default:
                throw SyntaxError(offset: start, message: "invalid escape '\\\(describeCharacter(byte))' in a string")
            }
        }

        /// Scans the four hex digits of a `\u` escape.
        mutating func scanHexUnit(escapeStart: Int) throws(SyntaxError) -> UInt16 {
            var unit: UInt16 = 0
            for _ in 0..<4 {
                guard index < bytes.count else { throw unexpectedEnd("\\u escape is not complete") }
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default:
                    throw SyntaxError(offset: escapeStart, message: "\\u escape needs four hex digits")
                }
                unit = unit << 4 | UInt16(digit)
                index += 1
            }
            return unit
        }

        mutating func scanNumber() throws(SyntaxError) {
            if bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count else { throw unexpectedEnd("expected a digit in a number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) {
                    throw SyntaxError(offset: index - 1, message: "numbers may not have leading zeros")
                }
            } else {
                try scanDigits("expected a digit")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                try scanDigits("expected a digit after the decimal point")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                try scanDigits("expected a digit in the exponent")
            }
        }

        /// Scans one or more digits.
        mutating func scanDigits(_ expectation: String) throws(SyntaxError) {
            guard index < bytes.count else { throw unexpectedEnd(expectation) }
            guard isDigit(bytes[index]) else {
                throw SyntaxError(offset: index, message: "\(expectation), found \(describe(bytes[index]))")
            }
            while index < bytes.count, isDigit(bytes[index]) {
                index += 1
            }
        }

        mutating func scanLiteral(_ literal: StaticString) throws(SyntaxError) {
            let start = index
            let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            for byte in expected {
                guard index < bytes.count else { throw unexpectedEnd("'\(literal)' is not complete") }
                guard bytes[index] == byte else {
                    throw SyntaxError(offset: start, message: "invalid literal (expected true, false or null)")
                }
                index += 1
            }
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        func unexpectedEnd(_ context: String) -> SyntaxError {
            SyntaxError(offset: bytes.count, message: "unexpected end of JSON (\(context))")
        }

        /// A byte as a person reads it: `'x'` for printable ASCII, else its hex value.
        func describe(_ byte: UInt8) -> String {
            if byte > 0x20 && byte < 0x7F { return "'\(describeCharacter(byte))'" }
            return "byte 0x\(hexByte(byte))"
        }

        func describeCharacter(_ byte: UInt8) -> String {
            byte > 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "0x\(hexByte(byte))"
        }
    }
}
