import CMosquitto

/// An MQTT topic filter (`readers/+/events`, `readers/#`) matched against concrete topics by
/// libmosquitto (`mosquitto_topic_matches_sub`), the same rules the broker applies (MQTT 3.1.1
/// §4.7): `+` matches one level, `#` the rest (including the parent level), filters starting
/// with a wildcard do not match topics starting with `$`, and an empty topic matches nothing
/// (a topic name has at least one character, §4.7.3).
public struct MQTTTopicFilter: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    /// `text` as a NUL-terminated C string, made once: libmosquitto 2.0 reads both arguments up to
    /// their NUL and ignores the lengths `mosquitto_topic_matches_sub2` takes.
    private let cString: [CChar]

    public init(_ text: String) {
        self.text = text
        self.cString = Array(text.utf8CString)
    }

    public var description: String { text }

    /// Whether `filter` is a valid subscription filter for libmosquitto: wildcards only as whole
    /// levels, `#` last, valid UTF-8 without NUL, at most 65 535 bytes (`mosquitto_sub_topic_check2`).
    public static func isValid(_ filter: String) -> Bool {
        var filter = filter
        return filter.withUTF8 { bytes in
            guard !bytes.contains(0) else { return false }
            return bytes.withMemoryRebound(to: CChar.self) {
                mosquitto_sub_topic_check2($0.baseAddress, $0.count) == MQTTResultCode.success.rawValue
            }
        }
    }

    /// Whether `topic` is matched by this filter.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }

    /// Whether the topic whose UTF-8 bytes are `topic` is matched by this filter. The bytes are
    /// copied with a NUL into a temporary buffer (on the stack for any usual topic length), since
    /// libmosquitto needs a C string; nothing is allocated on the heap for topics of usual length.
    public func matches(_ topic: UnsafeRawBufferPointer) -> Bool {
        // A NUL inside would end the C string early; MQTT forbids it in topic names (§1.5.3).
        guard !topic.isEmpty, !topic.contains(0) else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: topic.count + 1) { buffer in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            bytes.copyMemory(from: topic)
            bytes[topic.count] = 0
            var result = false
            let code = cString.withUnsafeBufferPointer { filter in
                mosquitto_topic_matches_sub2(filter.baseAddress, filter.count - 1, buffer.baseAddress, topic.count, &result)
            }
            return code == MQTTResultCode.success.rawValue && result
        }
    }
}
