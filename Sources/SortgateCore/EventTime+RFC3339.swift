/// Parsing and formatting of RFC 3339 / ISO 8601 timestamps without Foundation.
///
/// Readers send many dialects: Impinj sends nanoseconds and `Z`
/// (`2023-06-28T07:24:00.277766184Z`), Zebra a numeric offset without a colon
/// (`2023-04-03T21:50:16.699+0200`), which strict ISO 8601 parsers reject. This parser accepts
/// `T` or a space between date and time, 0–9 fraction digits (more are truncated), and `Z`,
/// `±hh:mm`, `±hhmm` or `±hh`. A timestamp without any offset is rejected: guessing the
/// zone of a reader would silently shift every read.
extension EventTime {
    /// Why a timestamp was not accepted.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { "invalid timestamp '\(text.prefix(64))': \(reason)" }
    }

    /// Parses an RFC 3339 timestamp; see the type's extension comment for the accepted forms.
    public init(rfc3339 text: String) throws(ParseError) {
        var copy = text
        let result: Int64? = copy.withUTF8 { EventTime.parse($0) }
        guard let nanos = result else {
            throw ParseError(text: text, reason: EventTime.diagnose(text))
        }
        self.init(nanoseconds: nanos)
    }

    /// Parses UTF-8 bytes; returns nil when they are not an accepted timestamp.
    public init?(rfc3339Bytes bytes: UnsafeBufferPointer<UInt8>) {
        guard let nanos = EventTime.parse(bytes) else { return nil }
        self.init(nanoseconds: nanos)
    }

    private static func diagnose(_ text: String) -> String {
        let bytes = Array(text.utf8)
        if bytes.count < 19 { return "too short for YYYY-MM-DDThh:mm:ss" }
        if !bytes.contains(where: { $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") })
            && !bytes.dropFirst(19).contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
        {
            return "no time zone offset (expected Z or ±hh:mm)"
        }
        return "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm) with valid field values"
    }

    @usableFromInline
    static func parse(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = p.count
        func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var value = 0
            for k in 0..<count {
                let d = Int(p[i + k]) &- 48
                guard d >= 0 && d <= 9 else { return nil }
                value = value * 10 + d
            }
            i += count
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, p[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
            let day = digits(2)
        else { return nil }
        guard i < n, p[i] == UInt8(ascii: "T") || p[i] == UInt8(ascii: "t") || p[i] == UInt8(ascii: " ") else {
            return nil
        }
        i += 1
        guard let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2), expect(UInt8(ascii: ":")),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23,
            minute <= 59, second <= 60
        else { return nil }
        var fraction: Int64 = 0
        if i < n, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",") {
            i += 1
            var count = 0
            while i < n, p[i] >= 48, p[i] <= 57 {
                if count < 9 { fraction = fraction * 10 + Int64(p[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            // Digits past the ninth were dropped above; pad a shorter fraction to nanoseconds.
            // (`count..<9` would trap for ten or more digits: a range's bounds are checked
            // before any `where` clause runs.)
            if count < 9 {
                for _ in count..<9 { fraction *= 10 }
            }
        }
        guard i < n else { return nil }
        var offsetSeconds = 0
        switch p[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), oh <= 23 else { return nil }
            var om = 0
            if i < n {
                _ = expect(UInt8(ascii: ":"))
                guard let m = digits(2), m <= 59 else { return nil }
                om = m
            }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        // Every step is overflow-checked: a timestamp comes from a device, and one just past
        // 2262-04-11T23:47:16.854775807Z (the end of `Int64` nanoseconds) must be rejected,
        // not trap.
        let (scaled, overflow) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (nanos, sumOverflow) = scaled.addingReportingOverflow(fraction)
        guard !sumOverflow else { return nil }
        return nanos
    }

    /// UTC RFC 3339 with exactly nine fraction digits, so that text order is time order.
    public var rfc3339: String {
        String(unsafeUninitializedCapacity: Self.rfc3339Length) { writeRFC3339(into: $0) }
    }

    /// The length of `rfc3339` for years 0000–9999: `2026-12-07T13:40:36.123456789Z`.
    public static let rfc3339Length = 30

    /// Writes `rfc3339` as UTF-8 into `buffer` (at least `rfc3339Length` bytes) and returns the
    /// number of bytes written: the SQLite writer binds times from its own buffer, without a `String`.
    public func writeRFC3339(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(buffer.count >= Self.rfc3339Length, "a buffer of \(buffer.count) bytes for an RFC 3339 time")
        var secs = nanoseconds / 1_000_000_000
        var nanos = nanoseconds % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = EventTime.civilFromDays(Int(days))
        let hh = Int(rem / 3600)
        let mm = Int(rem % 3600 / 60)
        let ss = Int(rem % 60)
        var i = 0
        func put(_ value: Int, _ width: Int) {
            var v = value
            for k in stride(from: width - 1, through: 0, by: -1) {
                buffer[i + k] = UInt8(48 + v % 10)
                v /= 10
            }
            i += width
        }
        func char(_ c: Unicode.Scalar) {
            buffer[i] = UInt8(ascii: c)
            i += 1
        }
        put(y, 4)
        char("-")
        put(m, 2)
        char("-")
        put(d, 2)
        char("T")
        put(hh, 2)
        char(":")
        put(mm, 2)
        char(":")
        put(ss, 2)
        char(".")
        put(Int(nanos), 9)
        char("Z")
        return i
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The inverse of `daysFromCivil`.
    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
