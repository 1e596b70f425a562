import SortgateCore
import SortgateConfig

/// Where an event sits in its message, so a rejection can name the exact field. The text is
/// only built when something is rejected.
struct EventLocation {
    enum Style {
        /// Vendor formats: `events[3].tagInventoryEvent.antennaPort`, `[2].data.peakRssi`.
        case fieldPath
        /// Generic mappings: the JSON pointer a profile author would write, `/tags/3/rssi`.
        case jsonPointer
    }

    var style: Style
    /// The array holding the events: `events` (or `""` for a top-level array) as a field path,
    /// or the events pointer's text; unused when `index` is nil.
    var container: String
    /// The event's position in its array; nil for a message that is one event.
    var index: Int?

    static func single(_ style: Style) -> EventLocation {
        EventLocation(style: style, container: "", index: nil)
    }

    /// The path of `field` (a dotted field path, or a pointer's text) inside this event.
    func path(_ field: String) -> String {
        switch style {
        case .fieldPath:
            guard let index else { return field }
            return "\(container)[\(index)].\(field)"
        case .jsonPointer:
            let pointer = (index.map { "\(container)/\($0)" } ?? "") + field
            return pointer.isEmpty ? "the message root" : pointer
        }
    }

    /// The path of the event itself.
    var eventPath: String {
        switch style {
        case .fieldPath:
            guard let index else { return "top level" }
            return "\(container)[\(index)]"
        case .jsonPointer:
            return path("")
        }
    }
}

/// Device text quoted for a rejection detail: at most `limit` characters, with quotes,
/// backslashes and control characters escaped so that a detail can never break a log line.
func quotedForDetail(_ text: String, limit: Int = 48) -> String {
    var result = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            result += "…"
            break
        }
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}"
                || scalar == "\u{2029}"
            {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return result + "\""
}

/// A member value that is present and not `null`, located in a checked JSON text.
struct JSONField {
    let scanner: JSONByteScanner
    let offset: Int

    var kind: JSONKind { scanner.kind(at: offset) }
}

extension JSONByteScanner {
    /// The field at `offset`, or nil for -1 (absent or `null`).
    @inline(__always)
    func field(_ offset: Int) -> JSONField? {
        offset >= 0 ? JSONField(scanner: self, offset: offset) : nil
    }
}

/// Typed reads of event fields. Each names the field's path in its rejection and gives the
/// value it found, so the detail says what to fix on the reader or in the profile. The common
/// case (a plain string or integer) is read from the bytes without allocating; text is built
/// only for a rejection or for a string with escapes or non-ASCII text that must be compared.
enum EventField {
    /// Checks that an event, or a part of one, is an object before its members are read.
    static func requireObject(_ value: JSONField, at path: @autoclosure () -> String) throws(PayloadRejection) {
        guard value.kind == .object else {
            throw wrongType(path(), expected: "an object", got: value)
        }
    }

    /// Checks that a value is a string, so that its text can be read.
    static func requireString(_ value: JSONField, at path: @autoclosure () -> String) throws(PayloadRejection) {
        guard value.kind == .string else {
            throw wrongType(path(), expected: "a string", got: value)
        }
    }

    /// A whole number within `range` (JSON has no integer type, so `2.0` is accepted as 2).
    static func integer<T: FixedWidthInteger>(
        _ value: JSONField,
        in range: ClosedRange<T>,
        at path: @autoclosure () -> String
    ) throws(PayloadRejection) -> T {
        guard value.kind == .number else {
            throw wrongType(path(), expected: "an integer", got: value)
        }
        let number = value.scanner.number(at: value.offset)
        guard number.isWhole else {
            throw wrongType(path(), expected: "an integer", got: value)
        }
        guard let result = number.exactly(T.self), range.contains(result) else {
            throw wrongType(path(), expected: "an integer from \(range.lowerBound) to \(range.upperBound)", got: value)
        }
        return result
    }

    /// An EPC given as hex digits, in either case.
    static func epc(hex value: JSONField, at path: @autoclosure () -> String) throws(PayloadRejection) -> EPC {
        try requireString(value, at: path())
        let parsed = value.scanner.withString(at: value.offset) { EPC(hexBytes: $0) }
        if let parsed {
            return try fromTag(parsed, value, at: path())
        }
        let text = value.scanner.string(at: value.offset)
        let epc: EPC
        do throws(EPCError) {
            epc = try EPC(hex: text)
        } catch {
            throw invalidEPC(value, error.reason, at: path())
        }
        return try fromTag(epc, value, at: path())
    }

    /// An EPC given as base64 (standard alphabet; the `=` padding may be left out).
    static func epc(base64 value: JSONField, at path: @autoclosure () -> String) throws(PayloadRejection) -> EPC {
        try requireString(value, at: path())
        switch value.scanner.withString(at: value.offset, { Base64.epc($0) }) {
        case .success(let epc):
            return try fromTag(epc, value, at: path())
        case .failure(.base64(let reason)):
            throw PayloadRejection(
                reason: .invalidEPC,
                detail: "\(path()): invalid base64 EPC \(quotedForDetail(value.scanner.string(at: value.offset))): \(reason)"
            )
        case .failure(.epc(let error)):
            throw invalidEPC(value, error.reason, at: path())
        }
    }

    /// `epc` when a tag's EPC memory bank can hold it (see ``EPC/tagMemoryProblem``).
    private static func fromTag(
        _ epc: EPC,
        _ value: JSONField,
        at path: @autoclosure () -> String
    ) throws(PayloadRejection) -> EPC {
        if let problem = epc.tagMemoryProblem {
            throw invalidEPC(value, problem, at: path())
        }
        return epc
    }

    private static func invalidEPC(_ value: JSONField, _ reason: String, at path: String) -> PayloadRejection {
        PayloadRejection(
            reason: .invalidEPC,
            detail: "\(path): invalid EPC \(quotedForDetail(value.scanner.string(at: value.offset))): \(reason)"
        )
    }

    /// Whether a string value is `literal` (ASCII), as Swift `String` equality has it.
    static func text(_ value: JSONField, equals literal: StaticString) -> Bool {
        value.scanner.withString(at: value.offset) { JSONByteScanner.text($0, equals: literal) }
    }

    /// Whether a string value, upper-cased as `String.uppercased()` does, is `literal`
    /// (upper-case ASCII): `simple`, and `ſimple` with a long s, are `SIMPLE`.
    static func text(_ value: JSONField, uppercasedEquals literal: StaticString) -> Bool {
        value.scanner.withString(at: value.offset) { text in
            guard text.allSatisfy({ $0 < 0x80 }) else {
                return String(decoding: text, as: UTF8.self).uppercased() == literal.description
            }
            guard text.count == literal.utf8CodeUnitCount else { return false }
            for position in 0..<text.count {
                var byte = text[position]
                if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 0x20 }
                guard byte == literal.utf8Start[position] else { return false }
            }
            return true
        }
    }

    /// Peak RSSI given in whole (or fractional) dBm, as centi-dBm rounded to the nearest.
    static func rssiCentiDbm(dBm value: JSONField, at path: @autoclosure () -> String) throws(PayloadRejection) -> Int32 {
        guard value.kind == .number else {
            throw wrongType(path(), expected: "a number of dBm", got: value)
        }
        let scaled = (value.scanner.number(at: value.offset).doubleValue * 100).rounded()
        guard let centi = Int32(exactly: scaled) else {
            throw wrongType(path(), expected: "an RSSI in dBm within ±21 million", got: value)
        }
        return centi
    }

    /// Peak RSSI already in centi-dBm.
    static func rssiCentiDbm(
        centiDbm value: JSONField,
        at path: @autoclosure () -> String
    ) throws(PayloadRejection) -> Int32 {
        try integer(value, in: Int32.min...Int32.max, at: path())
    }

    /// A reader timestamp given as an RFC 3339 string, checked for plausibility.
    static func time(
        rfc3339 value: JSONField,
        at path: @autoclosure () -> String,
        arrival: EventTime
    ) throws(PayloadRejection) -> EventTime {
        guard value.kind == .string else {
            throw wrongType(path(), expected: "an RFC 3339 timestamp string", got: value)
        }
        if let time = value.scanner.withString(at: value.offset, { EventTime(rfc3339Bytes: $0) }) {
            return try plausible(time, at: path(), arrival: arrival)
        }
        let text = value.scanner.string(at: value.offset)
        let time: EventTime
        do throws(EventTime.ParseError) {
            time = try EventTime(rfc3339: text)
        } catch {
            throw PayloadRejection(
                reason: .invalidTimestamp,
                detail: "\(path()): cannot read \(quotedForDetail(text)) as an RFC 3339 timestamp: \(error.reason)"
            )
        }
        return try plausible(time, at: path(), arrival: arrival)
    }

    /// A reader timestamp given as a number of `unit`s since 1970-01-01T00:00:00Z, or as an
    /// RFC 3339 string.
    static func time(
        epochOrRFC3339 value: JSONField,
        unit: JSONFieldMapping.TimeUnit,
        at path: @autoclosure () -> String,
        arrival: EventTime
    ) throws(PayloadRejection) -> EventTime {
        guard value.kind == .number else {
            guard value.kind == .string else {
                throw wrongType(
                    path(),
                    expected: "an RFC 3339 string or a number of \(unit.name) since 1970",
                    got: value
                )
            }
            return try time(rfc3339: value, at: path(), arrival: arrival)
        }
        let number = value.scanner.number(at: value.offset)
        let nanosecondsPerUnit = unit.nanoseconds
        var nanoseconds: Int64?
        if let whole = number.exactly(Int64.self) {
            let (product, overflow) = whole.multipliedReportingOverflow(by: nanosecondsPerUnit)
            nanoseconds = overflow ? nil : product
        } else if case .double(let fractional) = number, let whole = Int64(exactly: fractional.rounded(.down)) {
            // Whole units and the fraction apart: scaling the whole value in a Double would
            // round an epoch in nanoseconds to 256 ns steps.
            let fraction = Int64(((fractional - Double(whole)) * Double(nanosecondsPerUnit)).rounded())
            let (product, productOverflow) = whole.multipliedReportingOverflow(by: nanosecondsPerUnit)
            let (sum, sumOverflow) = product.addingReportingOverflow(fraction)
            nanoseconds = productOverflow || sumOverflow ? nil : sum
        }
        guard let nanoseconds else {
            throw PayloadRejection(
                reason: .invalidTimestamp,
                detail: "\(path()): \(number) \(unit.name) since 1970 is beyond the year 2262"
            )
        }
        return try plausible(EventTime(nanoseconds: nanoseconds), at: path(), arrival: arrival)
    }

    /// Rejects reader clocks that are plainly wrong; see ``PayloadDecoder`` for why.
    static func plausible(
        _ time: EventTime,
        at path: @autoclosure () -> String,
        arrival: EventTime
    ) throws(PayloadRejection) -> EventTime {
        if time < PayloadDecoder.earliestPlausibleTime {
            throw PayloadRejection(
                reason: .invalidTimestamp,
                detail: "\(path()): \(time.rfc3339) is before 2000-01-01T00:00:00Z; the reader's clock is not set"
            )
        }
        let (lead, overflow) = time.nanoseconds.subtractingReportingOverflow(arrival.nanoseconds)
        let maximumLead = PayloadDecoder.maximumClockLead.nanosecondsClamped
        if overflow || lead > maximumLead {
            let minutes = (overflow ? Int64.max : lead) / 60_000_000_000
            let distance = minutes >= 48 * 60 ? "\(minutes / 1440) days" : "\(minutes / 60) h \(minutes % 60) min"
            throw PayloadRejection(
                reason: .invalidTimestamp,
                detail: "\(path()): \(time.rfc3339) is \(distance) after the message arrived (\(arrival.rfc3339)), "
                    + "more than the 24 h a reader clock may run ahead"
            )
        }
        return time
    }

    static func wrongType(_ path: String, expected: String, got value: JSONField) -> PayloadRejection {
        PayloadRejection(
            reason: .wrongType,
            detail: "\(path): expected \(expected), got \(value.scanner.briefDescription(at: value.offset))"
        )
    }
}

extension JSONFieldMapping.TimeUnit {
    var nanoseconds: Int64 {
        switch self {
        case .seconds: 1_000_000_000
        case .milliseconds: 1_000_000
        case .microseconds: 1_000
        case .nanoseconds: 1
        }
    }

    /// The unit's name in rejection details.
    var name: String {
        switch self {
        case .seconds: "seconds"
        case .milliseconds: "milliseconds"
        case .microseconds: "microseconds"
        case .nanoseconds: "nanoseconds"
        }
    }
}

/// Base64 (RFC 4648 §4, standard alphabet) decoded straight into an ``EPC``, with a reason
/// for every refusal, which Foundation's decoder does not give.
enum Base64 {
    enum Problem: Error {
        /// The text is not base64.
        case base64(String)
        /// The bytes are no EPC (none, or too many).
        case epc(EPCError)
    }

    /// The EPC whose bytes `text` encodes; the `=` padding may be left out.
    static func epc(_ text: UnsafeBufferPointer<UInt8>) -> Result<EPC, Problem> {
        var length = text.count
        var padding = 0
        while length > 0, text[length - 1] == UInt8(ascii: "="), padding < 2 {
            length -= 1
            padding += 1
        }
        if padding > 0, (length + padding) % 4 != 0 {
            return .failure(.base64("length \(length + padding) with '=' padding is not a multiple of 4"))
        }
        if length % 4 == 1 {
            return .failure(.base64("length \(length) cannot be base64 (one digit too many or too few)"))
        }
        for offset in 0..<length where digitValue(text[offset]) == nil {
            let digit = text[offset]
            let shown = digit > 0x20 && digit < 0x7F ? "'\(UnicodeScalar(digit))'" : "byte 0x\(hexByte(digit))"
            return .failure(.base64("\(shown) at offset \(offset) is not a base64 digit"))
        }
        let byteCount = length * 6 / 8
        guard byteCount > 0 else { return .failure(.epc(EPCError(input: "", reason: "empty EPC"))) }
        guard byteCount * 8 <= EPC.maximumBits else {
            return .failure(
                .epc(
                    EPCError(
                        input: "\(byteCount) bytes",
                        reason: "EPC of \(byteCount * 8) bits is longer than the \(EPC.maximumBits) bits supported"
                    )
                )
            )
        }
        var epc = EPC(w0: 0, bitCount: byteCount * 8)
        var accumulator: UInt32 = 0
        var bitCount = 0
        var produced = 0
        for position in 0..<length {
            // Every digit was checked above.
            accumulator = accumulator << 6 | UInt32(digitValue(text[position]) ?? 0)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                epc.setBits(at: produced * 8, count: 8, to: UInt64(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount))))
                produced += 1
            }
        }
        return .success(epc)
    }

    @inline(__always)
    static func digitValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): digit - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
