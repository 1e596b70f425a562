import Testing

import SortgateMQTT

@Suite("MQTT topic filters")
struct MQTTTopicFilterTests {
    static let cases: [(filter: String, topic: String, matches: Bool)] = [
        ("readers/dock1/events", "readers/dock1/events", true),
        ("readers/dock1/events", "readers/dock1/event", false),
        ("readers/dock1/events", "readers/dock1/events/x", false),
        ("readers/+/events", "readers/dock1/events", true),
        ("readers/+/events", "readers//events", true),
        ("readers/+/events", "readers/a/b/events", false),
        ("readers/#", "readers", true),
        ("readers/#", "readers/a/b", true),
        ("readers/#", "reader", false),
        ("#", "$SYS/broker/uptime", false),
        ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/broker", true),
        ("a/", "a/", true),
        ("a/", "a", false),
        // libmosquitto, like the broker, matches no empty topic: a topic name has at least one
        // character (MQTT 3.1.1 §4.7.3), so no message can arrive on one.
        ("+", "", false),
    ]

    @Test("topic strings and topic bytes match the same way (MQTT 3.1.1 §4.7)", arguments: cases)
    func matching(filter: String, topic: String, matches: Bool) {
        let compiled = MQTTTopicFilter(filter)
        #expect(compiled.matches(topic) == matches, "\(filter) vs \(topic)")
        let bytes = Array(topic.utf8)
        #expect(bytes.withUnsafeBytes { compiled.matches($0) } == matches, "\(filter) vs \(topic) as bytes")
    }

    @Test("the bytes are the whole topic: what follows them in memory is not read")
    func bytesAreBounded() {
        let bytes = Array("readers/dock1/events/extra".utf8)
        let filter = MQTTTopicFilter("readers/dock1/events")
        #expect(bytes.withUnsafeBytes { filter.matches(UnsafeRawBufferPointer(rebasing: $0[..<20])) })
        #expect(!bytes.withUnsafeBytes { filter.matches($0) })
    }

    @Test(
        "filters are checked as libmosquitto and the broker check them",
        arguments: [
            ("readers/+/events", true), ("readers/#", true), ("#", true), ("+", true), ("a//b", true),
            ("readers/#/events", false), ("readers/dock+/events", false), ("readers#", false), ("a/\u{0}b", false),
        ]
    )
    func validity(filter: String, valid: Bool) {
        #expect(MQTTTopicFilter.isValid(filter) == valid, "\(filter)")
    }
}
