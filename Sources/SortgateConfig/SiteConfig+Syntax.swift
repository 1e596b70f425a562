/// The small languages inside config values: durations, sizes, MQTT topics, paths, addresses.
///
/// Pure functions without Foundation, so their rules are easy to read and to test; the readers
/// turn a nil or a problem text into a diagnostic at the value.
enum ConfigSyntax {
    /// Duration units and their length in nanoseconds, in the order messages list them.
    static let durationUnits: [(name: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    /// Parses `500ms`, `30s`, `1.5m`, `2h`, `1d` (a space before the unit is allowed). Decimals are
    /// exact to the nanosecond; nil for anything else, including a bare number and negative values.
    static func duration(_ text: String) -> Duration? {
        let bytes = Array(trimmed(text).utf8)
        var index = 0
        var whole: Int64 = 0
        var digits = 0
        while index < bytes.count, let digit = decimalDigit(bytes[index]) {
            let (times10, overflow1) = whole.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            whole = sum
            digits += 1
            index += 1
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, let digit = decimalDigit(bytes[index]) {
                guard fractionDigits < 12 else { return nil }
                fraction = fraction * 10 + digit
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard digits > 0 else { return nil }
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let unitName = String(decoding: bytes[index...], as: UTF8.self)
        guard let unit = durationUnits.first(where: { $0.name == unitName })?.nanoseconds else { return nil }
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        // Finer than a nanosecond (e.g. 0.0000001ms) cannot be represented exactly: refuse it.
        guard unit % scale == 0 else { return nil }
        let (wholeNanoseconds, overflow1) = whole.multipliedReportingOverflow(by: unit)
        let (total, overflow2) = wholeNanoseconds.addingReportingOverflow(fraction * (unit / scale))
        guard !overflow1, !overflow2 else { return nil }
        return .nanoseconds(total)
    }

    /// A duration the way a config writes it, in the largest unit that divides it (`5m`, `500ms`).
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        for unit in durationUnits.reversed() where nanoseconds % unit.nanoseconds == 0 {
            return "\(nanoseconds / unit.nanoseconds)\(unit.name)"
        }
        return "\(nanoseconds)ns"
    }

    /// Parses `65536`, `512B`, `64KiB`, `1MiB` (a space before the unit is allowed); nil otherwise.
    static func byteSize(_ text: String) -> Int? {
        let bytes = Array(trimmed(text).utf8)
        var index = 0
        var value = 0
        while index < bytes.count, let digit = decimalDigit(bytes[index]) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        guard index > 0 else { return nil }
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let multiplier: Int
        switch String(decoding: bytes[index...], as: UTF8.self) {
        case "", "B": multiplier = 1
        case "KiB": multiplier = 1024
        case "MiB": multiplier = 1024 * 1024
        default: return nil
        }
        let (size, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : size
    }

    /// What is wrong with an MQTT topic filter to subscribe to (MQTT 3.1.1 §4.7.1, 5.0 §4.7.1),
    /// or nil when it is valid: `+` and `#` must fill a whole level, `#` only as the last one.
    static func topicFilterProblem(_ filter: String) -> String? {
        if let problem = topicProblem(filter) { return problem }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || index != levels.count - 1 {
                return "'#' must be a whole level and the last one, as in readers/#"
            }
            if level.contains("+"), level != "+" {
                return "'+' must be a whole level, as in readers/+/events"
            }
        }
        return nil
    }

    /// What is wrong with an MQTT topic name to publish to, or nil: no wildcards allowed.
    static func topicNameProblem(_ topic: String) -> String? {
        if let problem = topicProblem(topic) { return problem }
        if topic.contains("+") || topic.contains("#") {
            return "a topic to publish to cannot contain the wildcards + or #"
        }
        return nil
    }

    /// Rules common to topic names and filters (MQTT 3.1.1 §4.7.3).
    private static func topicProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "an MQTT topic cannot be empty" }
        if topic.unicodeScalars.contains("\u{0}") { return "an MQTT topic cannot contain the NUL character" }
        if topic.utf8.count > 65_535 { return "an MQTT topic is at most 65535 bytes long" }
        return nil
    }

    /// Whether `host` is a loopback address: `localhost`, `127.x.y.z` or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "[::1]" || lowered == "0:0:0:0:0:0:0:1" {
            return true
        }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    /// What is wrong with a webhook URL, or nil for an `http://` or `https://` URL with a host.
    static func webURLProblem(_ url: String) -> String? {
        let lowered = url.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lowered.hasPrefix($0) }) else {
            return "a webhook URL starts with https:// or http://"
        }
        let rest = url.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if host.isEmpty { return "the URL has no host after \(scheme)" }
        if url.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) { return "a URL cannot contain spaces" }
        return nil
    }

    /// The folder of a file path as written: `Config` for `Config/site.yaml`, `""` for `site.yaml`.
    static func folder(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        let folder = file[..<slash]
        return folder.isEmpty ? "/" : String(folder)
    }

    /// `path` resolved against `folder` (unless absolute) and normalized lexically, so that
    /// `../Devices` next to `Config/site.yaml` reads `Devices`, as the operator thinks of it.
    static func resolve(_ path: String, against folder: String) -> String {
        if path.hasPrefix("/") || folder.isEmpty { return normalize(path) }
        return normalize(folder + "/" + path)
    }

    /// Removes `.` and empty components and cancels `name/..` pairs. Lexical, like most tools'
    /// display paths: a symlinked folder followed by `..` is the one case where it differs from
    /// what the kernel would open, and config folders are not laid out that way.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                    continue
                }
                if absolute { continue }
            }
            parts.append(part)
        }
        let body = parts.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    private static func decimalDigit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Duration {
    /// A duration written as in the config (`500ms`, `30s`, `5m`, `2h`, `1d`), for command-line
    /// options; nil when it is not one.
    public init?(configText text: String) {
        guard let duration = ConfigSyntax.duration(text) else { return nil }
        self = duration
    }
}
