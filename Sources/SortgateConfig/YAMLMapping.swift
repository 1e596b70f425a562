/// One mapping of a config or profile file, read key by key with every problem reported.
///
/// Readers ask for each key they know with `optional` or `required`, passing a function that reads
/// the value, and call `reportUnknownKeys` once; a value that is absent or reported as wrong comes
/// back as nil, so a reader carries on with its default and the next problem is found too.
package struct YAMLMapping {
    package let node: YAMLNode
    /// Where this mapping is, as messages name it: `""` for the top level, `devices[0]`, `brokers.site`.
    package let path: String
    package let pairs: [YAMLPair]
    package let log: ConfigDiagnosticLog
    /// The keys given to `reportUnknownKeys`, so that a misspelt required key is reported once
    /// (as unknown, with the suggestion) rather than also as missing.
    private(set) var known: [String] = []

    /// Views `node` as a mapping, or reports `expected …, got …` and returns nil.
    package init?(_ node: YAMLNode, path: String, expected: String, log: ConfigDiagnosticLog) {
        guard case .mapping(let pairs) = node.content else {
            log.error(at: node, path: path, "expected \(expected), got \(node.shortDescription)")
            return nil
        }
        self.node = node
        self.path = path
        self.pairs = pairs
        self.log = log
    }

    /// The path of one of this mapping's keys.
    package func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package subscript(key: String) -> YAMLNode? { pairs.first { $0.key == key }?.value }

    package func pair(_ key: String) -> YAMLPair? { pairs.first { $0.key == key } }

    package func contains(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    /// How messages name this mapping after "unknown key 'x'".
    package var place: String { path.isEmpty ? "at the top level" : "in \(path)" }

    /// Reports every key that is neither in `known` nor in `ignored` (keys another check reports),
    /// suggesting the closest known key or listing them all.
    package mutating func reportUnknownKeys(known: [String], ignoring ignored: Set<String> = []) {
        self.known = known
        for pair in pairs where !known.contains(pair.key) && !ignored.contains(pair.key) {
            var message = "unknown key '\(pair.key)' \(place)"
            if let suggestion = ConfigWording.suggestion(for: pair.key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; known keys: \(known.joined(separator: ", "))"
            }
            log.error(at: pair.keyNode, message)
        }
    }

    /// Reads an optional key; nil when it is absent, empty (`key:` or `~`, YAML's null: "use the
    /// default") or reported as wrong by `read`, which gets the value and its path.
    package func optional<T>(_ key: String, _ read: (YAMLNode, String) -> T?) -> T? {
        guard let value = self[key], !value.isNull else { return nil }
        return read(value, path(key))
    }

    /// Reads a required key; reports `missing key 'k' (hint)` at this mapping when it is absent.
    /// An empty value is left to `read`, which reports `got nothing`.
    package func required<T>(_ key: String, _ hint: String, _ read: (YAMLNode, String) -> T?) -> T? {
        guard let value = self[key] else {
            reportMissing(key, hint)
            return nil
        }
        return read(value, path(key))
    }

    /// Reports that `key` is missing, saying what it is for.
    package func reportMissing(_ key: String, _ hint: String) {
        let misspelt = pairs.contains { pair in
            !known.contains(pair.key) && ConfigWording.suggestion(for: pair.key, among: known) == key
        }
        if misspelt { return }
        log.error(at: node, path: path, "missing key '\(key)' (\(hint))")
    }
}

/// Typed readers of single values. Each reports `path: expected …, got …` and returns nil when
/// the value does not fit.
extension YAMLNode {
    /// Any scalar's text; empty text is refused unless `allowEmpty`.
    package func text(_ path: String, expected: String, log: ConfigDiagnosticLog, allowEmpty: Bool = false) -> String? {
        guard let scalar, !isNull, allowEmpty || !scalar.text.isEmpty else {
            log.error(at: self, path: path, "expected \(expected), got \(shortDescription)")
            return nil
        }
        return scalar.text
    }

    /// A YAML integer in `range`; `expected` says what fits, e.g. `0, 1 or 2`.
    package func integer(_ path: String, expected: String, in range: ClosedRange<Int>, log: ConfigDiagnosticLog) -> Int?
    {
        guard let scalar, case .int(let value) = scalar.kind, range.contains(value) else {
            log.error(at: self, path: path, "expected \(expected), got \(shortDescription)")
            return nil
        }
        return value
    }

    /// A finite YAML number, integer or decimal.
    package func number(_ path: String, expected: String, log: ConfigDiagnosticLog) -> Double? {
        if let scalar {
            switch scalar.kind {
            case .int(let value): return Double(value)
            case .float(let value) where value.isFinite: return value
            default: break
            }
        }
        log.error(at: self, path: path, "expected \(expected), got \(shortDescription)")
        return nil
    }

    package func boolean(_ path: String, log: ConfigDiagnosticLog) -> Bool? {
        guard let scalar, case .bool(let value) = scalar.kind else {
            log.error(at: self, path: path, "expected true or false, got \(shortDescription)")
            return nil
        }
        return value
    }

    /// One of the raw values of `cases`, suggesting the closest when it is a near miss.
    package func choice<Choice: RawRepresentable>(_ path: String, _ cases: [Choice], log: ConfigDiagnosticLog)
        -> Choice?
    where Choice.RawValue == String {
        if let scalar, !isNull, let value = cases.first(where: { $0.rawValue == scalar.text }) { return value }
        let names = cases.map(\.rawValue)
        let suggestion = scalar.map { ConfigWording.didYouMean($0.text, among: names) } ?? ""
        log.error(
            at: self,
            path: path,
            "expected \(ConfigWording.alternatives(names)), got \(shortDescription)\(suggestion)"
        )
        return nil
    }

    /// A duration such as `500ms`, `30s`, `1.5m`. A bare number is refused with a hint to add a
    /// unit (is `30` seconds or milliseconds?), except `0` when `allowBareZero`, and except any
    /// number when `bareNumberUnit` says what it counts (the Modbus simulator's scripts take
    /// seconds); zero is refused unless `allowZero`.
    package func duration(
        _ path: String,
        log: ConfigDiagnosticLog,
        allowZero: Bool = true,
        allowBareZero: Bool = false,
        bareNumberUnit: Duration? = nil
    ) -> Duration? {
        guard let scalar, !isNull else {
            log.error(at: self, path: path, "expected a duration such as 500ms, 30s or 5m, got \(shortDescription)")
            return nil
        }
        let trimmed = ConfigSyntax.trimmed(scalar.text)
        switch scalar.kind {
        case .int(0) where allowBareZero:
            return .zero
        case .int(let number) where bareNumberUnit != nil:
            return bareDuration(Double(number), unit: bareNumberUnit!, path, log: log, allowZero: allowZero)
        case .float(let number) where bareNumberUnit != nil:
            return bareDuration(number, unit: bareNumberUnit!, path, log: log, allowZero: allowZero)
        case .int, .float:
            log.error(
                at: self,
                path: path,
                "\(trimmed) has no unit; write \(trimmed)s for seconds (units: ms, s, m, h, d)"
            )
            return nil
        default:
            break
        }
        guard let value = ConfigSyntax.duration(scalar.text) else {
            if trimmed.hasPrefix("-") {
                log.error(at: self, path: path, "a duration cannot be negative, got \(shortDescription)")
            } else if let number = Double(trimmed), number.isFinite {
                log.error(
                    at: self,
                    path: path,
                    "\(shortDescription) has no unit; write \(trimmed)s for seconds (units: ms, s, m, h, d)"
                )
            } else {
                log.error(
                    at: self,
                    path: path,
                    "expected a duration such as 500ms, 30s, 5m, 2h or 1d, got \(shortDescription)"
                )
            }
            return nil
        }
        guard allowZero || value > .zero else {
            log.error(at: self, path: path, "the duration must be more than 0, got \(shortDescription)")
            return nil
        }
        return value
    }

    /// `number` `unit`s; refused when negative, infinite, or zero and not `allowZero`.
    private func bareDuration(
        _ number: Double,
        unit: Duration,
        _ path: String,
        log: ConfigDiagnosticLog,
        allowZero: Bool
    ) -> Duration? {
        if number < 0 {
            log.error(at: self, path: path, "a duration cannot be negative, got \(shortDescription)")
            return nil
        }
        guard number.isFinite else {
            log.error(at: self, path: path, "expected a duration such as 500ms, 30s or 5m, got \(shortDescription)")
            return nil
        }
        guard allowZero || number > 0 else {
            log.error(at: self, path: path, "the duration must be more than 0, got \(shortDescription)")
            return nil
        }
        return unit * number
    }

    /// A size in bytes: an integer, or an integer with a `B`, `KiB` or `MiB` suffix.
    package func byteSize(_ path: String, in range: ClosedRange<Int>, log: ConfigDiagnosticLog) -> Int? {
        var size: Int?
        if let scalar {
            switch scalar.kind {
            case .int(let value): size = value
            case .string: size = ConfigSyntax.byteSize(scalar.text)
            default: break
            }
        }
        guard let size else {
            log.error(at: self, path: path, "expected a size such as 65536, 64KiB or 1MiB, got \(shortDescription)")
            return nil
        }
        guard range.contains(size) else {
            log.error(
                at: self,
                path: path,
                "expected a size from \(range.lowerBound) B to \(range.upperBound) B, got \(shortDescription)"
            )
            return nil
        }
        return size
    }

    /// A list of values, each read by `read` with its path `path[i]`; a single value is refused
    /// so that a forgotten `-` does not silently mean something else.
    package func list<T>(_ path: String, expected: String, log: ConfigDiagnosticLog, _ read: (YAMLNode, String) -> T?)
        -> [T]?
    {
        guard case .sequence(let items) = content else {
            log.error(at: self, path: path, "expected \(expected), got \(shortDescription)")
            return nil
        }
        var values: [T] = []
        var complete = true
        for (index, item) in items.enumerated() {
            if let value = read(item, "\(path)[\(index)]") { values.append(value) } else { complete = false }
        }
        return complete ? values : nil
    }
}
