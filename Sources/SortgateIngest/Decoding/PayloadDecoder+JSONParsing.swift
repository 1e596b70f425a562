import Foundation
import SortgateCore
import SortgateConfig

/// A parsed JSON value, independent of the parser that produced it.
///
/// The format decoders read only this type, so the parser behind `parseMessage` (Foundation
/// today) can be replaced without touching them.
enum JSONValue {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, treating an explicit `null` like an absent member: readers
    /// send `null` for fields that their configuration turned off.
    func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self, let value = members[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    /// The value `pointer` names, or nil when it names nothing (or `null`).
    func resolving(_ pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = JSONPointer.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        if case .null = current { return nil }
        return current
    }

    /// The value's kind, and the value itself for scalars, for rejection details:
    /// `string "2"`, `number 2.5`, `an object`.
    var briefDescription: String {
        switch self {
        case .null: "null"
        case .bool(let value): "boolean \(value)"
        case .number(let number): "number \(number)"
        case .string(let text): "string \(quotedForDetail(text))"
        case .array(let elements): "an array of \(elements.count) element\(elements.count == 1 ? "" : "s")"
        case .object: "an object"
        }
    }
}

/// A JSON number as the parser delivered it: integers stay exact, so an `eventNum` near
/// `UInt64.max` is not rounded through `Double`.
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

extension JSONValue {
    /// Converts what `JSONSerialization` returns: `String`, `NSNumber` (booleans are the
    /// `NSNumber`s whose `objCType` is `c`, on Linux as on Darwin), `[Any]`, `[String: Any]`, `NSNull`.
    init(foundation value: Any) {
        if let text = value as? String {
            self = .string(text)
        } else if let number = value as? NSNumber {
            self = JSONValue(foundationNumber: number)
        } else if let elements = value as? [Any] {
            self = .array(elements.map(JSONValue.init(foundation:)))
        } else if let members = value as? [String: Any] {
            self = .object(members.mapValues(JSONValue.init(foundation:)))
        } else {
            self = .null
        }
    }

    private init(foundationNumber number: NSNumber) {
        switch UInt8(truncatingIfNeeded: number.objCType.pointee) {
        case UInt8(ascii: "c"):
            self = .bool(number.boolValue)
        case UInt8(ascii: "d"), UInt8(ascii: "f"):
            // Integers beyond 64 bits arrive as NSDecimalNumber with type `d`; a double keeps
            // their magnitude, enough to report them as out of range.
            self = .number(.double(number.doubleValue))
        case UInt8(ascii: "Q"):
            let value = number.uint64Value
            self = .number(value <= UInt64(Int64.max) ? .integer(Int64(value)) : .unsigned(value))
        default:
            self = .number(.integer(number.int64Value))
        }
    }
}

extension PayloadDecoder {
    /// Checks size and encoding, then parses the message into a ``JSONValue``.
    func parseMessage(_ payload: UnsafeRawBufferPointer) throws(PayloadRejection) -> JSONValue {
        guard payload.count <= maxPayload else {
            throw PayloadRejection(
                reason: .oversize,
                detail: "payload is \(payload.count) bytes, above max_payload \(maxPayload)"
            )
        }
        let encoding = UTF8Check(payload)
        if let invalid = encoding.firstInvalid {
            let shown = invalid.bytes.map { "0x" + hexByte($0) }.joined(separator: " ")
            throw PayloadRejection(reason: .invalidUTF8, detail: "invalid UTF-8 at byte \(invalid.offset) (\(shown))")
        }
        guard let base = payload.baseAddress, !payload.isEmpty else {
            throw PayloadRejection(
                reason: .malformedJSON,
                detail: "byte offset 0: unexpected end of JSON (empty payload)"
            )
        }
        // A NUL byte is never valid in JSON text, and JSONSerialization would take a payload
        // with NULs among its first bytes for UTF-16 or UTF-32 and decode it as such.
        if encoding.containsNUL {
            throw malformedJSON(payload, parserMessage: nil)
        }
        // The bytes are only read during this call, so Data may borrow them.
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: payload.count, deallocator: .none)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw malformedJSON(payload, parserMessage: description ?? "\(error)")
        }
        return JSONValue(foundation: parsed)
    }

    /// A malformed-json rejection naming the byte offset of the first syntax error.
    /// `JSONSerialization` reports no position for most errors (and "unexpected end of file"
    /// for a misspelled `true`), so the bytes are scanned again here to find and name the problem.
    private func malformedJSON(_ payload: UnsafeRawBufferPointer, parserMessage: String?) -> PayloadRejection {
        if let diagnosis = JSONSyntaxCheck.firstError(in: payload) {
            return PayloadRejection(reason: .malformedJSON, detail: diagnosis)
        }
        // Valid syntax the parser still refused, such as a number too large for a Double.
        let message = parserMessage.map { quotedForDetail($0) } ?? "no reason given"
        return PayloadRejection(reason: .malformedJSON, detail: "JSON parser refused the message: \(message)")
    }
}

/// Two upper-case hex digits, for showing bytes in details.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
