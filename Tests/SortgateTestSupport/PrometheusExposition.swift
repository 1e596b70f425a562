/// A parser of the Prometheus text exposition format (0.0.4), strict enough to fail on what
/// Prometheus itself would refuse: a sample line that is not `name{label="value",…} value
/// [timestamp]`, a bad metric or label name, an unterminated or badly escaped label value, a
/// `# TYPE` given twice or after its samples, a value that is not a number, two samples with the
/// same name and labels, and histograms whose buckets are not cumulative or whose `+Inf` bucket
/// differs from `_count`.
public struct PrometheusExposition: Sendable {
    public struct Sample: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    public private(set) var samples: [Sample] = []
    /// Metric family name → `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    public private(set) var types: [String: String] = [:]
    public private(set) var help: [String: String] = [:]

    public init(parsing text: String) throws(ParseError) {
        var seen = Set<Sample.Key>()
        var familiesWithSamples = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = Substring(rawLine)
            if line.trimmingPrefix(while: { $0 == " " }).isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard words.count >= 3, words[0] == "#", words[1] == "TYPE" || words[1] == "HELP" else { continue }
                let family = String(words[2])
                guard Self.isMetricName(family) else {
                    throw ParseError(line: number, problem: "bad metric name '\(family)'")
                }
                if words[1] == "TYPE" {
                    guard words.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3])
                    else { throw ParseError(line: number, problem: "bad TYPE line") }
                    guard types[family] == nil else { throw ParseError(line: number, problem: "second TYPE of \(family)") }
                    guard !familiesWithSamples.contains(family) else {
                        throw ParseError(line: number, problem: "TYPE of \(family) after its samples")
                    }
                    types[family] = String(words[3])
                } else {
                    help[family] = words.count == 4 ? String(words[3]) : ""
                }
                continue
            }
            let sample = try Self.parseSample(line, number: number)
            guard seen.insert(Sample.Key(sample)).inserted else {
                throw ParseError(line: number, problem: "duplicate sample \(sample.name) \(sample.labels)")
            }
            familiesWithSamples.insert(family(of: sample.name))
            samples.append(sample)
        }
        try checkHistograms()
    }

    /// The family a sample belongs to: `x` for `x_bucket`, `x_sum`, `x_count` of a histogram `x`.
    public func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    /// The value of the sample `name` with exactly `labels`; nil when there is none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum of every sample named `name` whose labels include `matching`.
    public func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        samples.filter { sample in
            sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }

    // MARK: - Parsing

    static func isMetricName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func parseSample(_ line: Substring, number: Int) throws(ParseError) -> Sample {
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        guard isMetricName(name) else { throw ParseError(line: number, problem: "bad metric name '\(name)'") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix { $0 != "=" }
                guard isLabelName(labelName), labels[String(labelName)] == nil else {
                    throw ParseError(line: number, problem: "bad or repeated label name '\(labelName)'")
                }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw ParseError(line: number, problem: "label without =\"value\"") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let character = rest.popFirst() else {
                        throw ParseError(line: number, problem: "unterminated label value")
                    }
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw ParseError(line: number, problem: "bad escape in a label value")
                        }
                    } else {
                        value.append(character)
                    }
                }
                labels[String(labelName)] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" {
                    throw ParseError(line: number, problem: "expected , or } after a label")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ParseError(line: number, problem: "no value") }
        let fields = rest.split(separator: " ")
        guard fields.count == 1 || fields.count == 2, let value = parseValue(fields[0]) else {
            throw ParseError(line: number, problem: "bad value '\(rest)'")
        }
        if fields.count == 2, Int64(fields[1]) == nil {
            throw ParseError(line: number, problem: "bad timestamp '\(fields[1])'")
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    private func checkHistograms() throws(ParseError) {
        for (family, type) in types where type == "histogram" {
            var series: [[String: String]: [(le: Double, count: Double)]] = [:]
            for sample in samples where sample.name == family + "_bucket" {
                guard let le = sample.labels["le"].flatMap({ Self.parseValue(Substring($0)) }) else {
                    throw ParseError(line: 0, problem: "\(family)_bucket without a numeric le")
                }
                var labels = sample.labels
                labels["le"] = nil
                series[labels, default: []].append((le, sample.value))
            }
            for (labels, buckets) in series {
                let sorted = buckets.sorted { $0.le < $1.le }
                guard sorted.last?.le == .infinity else {
                    throw ParseError(line: 0, problem: "\(family) \(labels) has no +Inf bucket")
                }
                for (lower, upper) in zip(sorted, sorted.dropFirst()) where upper.count < lower.count {
                    throw ParseError(line: 0, problem: "\(family) \(labels) buckets are not cumulative")
                }
                guard value(family + "_count", labels) == sorted.last?.count else {
                    throw ParseError(line: 0, problem: "\(family) \(labels): +Inf bucket differs from _count")
                }
            }
        }
    }
}

extension PrometheusExposition.Sample {
    struct Key: Hashable {
        var name: String
        var labels: [String: String]
        init(_ sample: PrometheusExposition.Sample) {
            name = sample.name
            labels = sample.labels
        }
    }
}
