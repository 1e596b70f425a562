/// An MQTT topic filter (`readers/+/events`, `readers/#`) matched against concrete topics,
/// per MQTT 3.1.1 §4.7: `+` matches one level, `#` the rest (including the parent level), and
/// filters starting with a wildcard do not match topics starting with `$`.
public struct MQTTTopicFilter: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    private let levels: [Substring]

    public init(_ text: String) {
        self.text = text
        self.levels = text.split(separator: "/", omittingEmptySubsequences: false)
    }

    public var description: String { text }

    /// Whether `topic` is matched by this filter.
    public func matches(_ topic: String) -> Bool {
        if topic.hasPrefix("$") && (levels.first == "+" || levels.first == "#") { return false }
        var index = 0
        for level in topic.split(separator: "/", omittingEmptySubsequences: false) {
            guard index < levels.count else { return false }
            let pattern = levels[index]
            if pattern == "#" { return true }
            if pattern != "+" && pattern != level { return false }
            index += 1
        }
        if index == levels.count { return true }
        // "a/#" also matches "a".
        return index == levels.count - 1 && levels[index] == "#"
    }
}
