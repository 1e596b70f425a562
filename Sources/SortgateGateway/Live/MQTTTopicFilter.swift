import SortgateConfig
import SortgateIngest

/// An MQTT topic filter (`readers/+/events`, `readers/#`) matched against concrete topics,
/// per MQTT 3.1.1 §4.7: `+` matches one level, `#` the rest (including the parent level), and
/// filters starting with a wildcard do not match topics starting with `$`.
public struct MQTTTopicFilter: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    /// The filter's levels as UTF-8 bytes, so that matching a topic allocates nothing.
    private let levels: [[UInt8]]

    public init(_ text: String) {
        self.text = text
        self.levels = text.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    public var description: String { text }

    /// Whether `topic` is matched by this filter.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }

    /// Whether the topic whose UTF-8 bytes are `topic` is matched by this filter; allocates nothing.
    public func matches(_ topic: UnsafeRawBufferPointer) -> Bool {
        let plus = UInt8(ascii: "+")
        let hash = UInt8(ascii: "#")
        let slash = UInt8(ascii: "/")
        if topic.first == UInt8(ascii: "$") && (Self.isLevel(levels[0], plus) || Self.isLevel(levels[0], hash)) {
            return false
        }
        var index = 0
        var start = 0
        while true {
            var end = start
            while end < topic.count && topic[end] != slash { end += 1 }
            guard index < levels.count else { return false }
            let pattern = levels[index]
            if Self.isLevel(pattern, hash) { return true }
            if !Self.isLevel(pattern, plus) {
                guard pattern.count == end - start else { return false }
                for offset in 0..<pattern.count where pattern[offset] != topic[start + offset] { return false }
            }
            index += 1
            if end == topic.count { break }
            start = end + 1
        }
        if index == levels.count { return true }
        // "a/#" also matches "a".
        return index == levels.count - 1 && Self.isLevel(levels[index], hash)
    }

    private static func isLevel(_ level: [UInt8], _ wildcard: UInt8) -> Bool {
        level.count == 1 && level[0] == wildcard
    }
}
