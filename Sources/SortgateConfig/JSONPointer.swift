/// A JSON Pointer (RFC 6901), such as `/tags/0/epc`, parsed once when a device profile is loaded.
///
/// The reference tokens are kept unescaped (`~1` becomes `/` and `~0` becomes `~`, in that order,
/// as RFC 6901 §4 requires, so `~01` is the key `~1`), so resolving a pointer against a message
/// compares plain strings. The empty pointer names the whole document. A token names an array
/// element only when it is `0` or digits without a leading zero (§4); `-` (the element after the
/// last) never resolves, because a decoder only reads.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible {
    /// The pointer as written in the profile.
    public let text: String
    /// The unescaped reference tokens; empty for the pointer to the whole document.
    public let tokens: [String]

    /// Parses `text`, rejecting a pointer that is neither empty nor starts with `/`, and any `~`
    /// that is not followed by `0` or `1`.
    public init(_ text: String) throws(JSONPointerError) {
        self.text = text
        if text.isEmpty {
            tokens = []
            return
        }
        let scalars = Array(text.unicodeScalars)
        guard scalars[0] == "/" else {
            throw JSONPointerError(
                pointer: text,
                offset: 0,
                reason: "a JSON pointer is empty or starts with '/' (write '/\(text)' for a top-level key)"
            )
        }
        var parsed: [String] = []
        var current = String.UnicodeScalarView()
        var index = 1
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "/":
                parsed.append(String(current))
                current = String.UnicodeScalarView()
            case "~":
                let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
                switch next {
                case "0": current.append("~")
                case "1": current.append("/")
                default:
                    throw JSONPointerError(
                        pointer: text,
                        offset: index,
                        reason: "'~' must be followed by 0 (for '~') or 1 (for '/')"
                    )
                }
                index += 1
            default:
                current.append(scalar)
            }
            index += 1
        }
        parsed.append(String(current))
        tokens = parsed
    }

    public var description: String { text }

    /// The array index a token names, or nil when it is not a valid RFC 6901 index.
    package static func arrayIndex(_ token: String) -> Int? {
        let digits = token.utf8
        guard let first = digits.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") { return digits.count == 1 ? 0 : nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}

/// Why a JSON pointer in a payload mapping was not accepted.
public struct JSONPointerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The pointer as written.
    public var pointer: String
    /// Position of the offending character, counted in Unicode scalars from the start of the pointer.
    public var offset: Int
    /// What is wrong, for a person.
    public var reason: String
    /// The mapping field the pointer was given for (`epc`, `rssi`, …), when known.
    public var field: String?

    public init(pointer: String, offset: Int, reason: String, field: String? = nil) {
        self.pointer = pointer
        self.offset = offset
        self.reason = reason
        self.field = field
    }

    public var description: String {
        let owner = field.map { "\($0): " } ?? ""
        return "\(owner)invalid JSON pointer '\(pointer)' at offset \(offset): \(reason)"
    }
}
