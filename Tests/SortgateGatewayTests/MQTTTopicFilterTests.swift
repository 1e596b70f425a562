import Testing

import SortgateConfig
@testable import SortgateGateway

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
        ("+", "", true),
    ]

    @Test("topic strings and topic bytes match the same way (MQTT 3.1.1 §4.7)", arguments: cases)
    func matching(filter: String, topic: String, matches: Bool) {
        let compiled = MQTTTopicFilter(filter)
        #expect(compiled.matches(topic) == matches, "\(filter) vs \(topic)")
        let bytes = Array(topic.utf8)
        #expect(bytes.withUnsafeBytes { compiled.matches($0) } == matches, "\(filter) vs \(topic) as bytes")
    }
}
