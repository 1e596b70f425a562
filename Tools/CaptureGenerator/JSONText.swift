import SortgateCore

/// Minimal JSON text output: the generator writes its files by hand so that key order and
/// layout stay fixed and the files diff well from one seed or version to the next.
enum JSONText {
    /// A JSON string literal.
    static func string(_ text: String) -> String {
        text.jsonLiteral
    }

    /// A JSON string literal, or `null`.
    static func string(_ text: String?) -> String {
        text.map { string($0) } ?? "null"
    }

    /// An event time as the pipeline prints it: UTC, nine fraction digits, `Z`.
    static func time(_ nanoseconds: Int64) -> String {
        string(EventTime(nanoseconds: nanoseconds).rfc3339)
    }
}

extension CaptureMessage {
    /// The capture line: `{"t":…,"source":…,"topic":…,"payload":…}`.
    var captureLine: String {
        let reader = DemoSite.readers[reader]
        return #"{"t":\#(JSONText.time(arrival)),"source":\#(JSONText.string(reader.id)),"#
            + #""topic":\#(JSONText.string(reader.topic)),"payload":\#(JSONText.string(payload))}"#
    }
}

extension ExpectedOutcome {
    /// The expected-outcome file; its fields are documented in CaptureGeneratorCommand.swift.
    func json(tags: [ScenarioTag], absentAfterSeconds: Int) -> String {
        var lines: [String] = []
        lines.append("{")
        lines.append(#"  "absent_after_seconds": \#(absentAfterSeconds),"#)
        lines.append(#"  "messages": \#(messages),"#)
        lines.append(#"  "tag_reads": \#(tagReads),"#)
        lines.append(#"  "redelivered": \#(redelivered),"#)
        lines.append(#"  "ignored_events": \#(ignoredEvents),"#)
        let reasons = rejected.keys.sorted().map { #"\#(JSONText.string($0.rawValue)): \#(rejected[$0]!)"# }
        lines.append(#"  "rejected": {\#(reasons.joined(separator: ", "))},"#)
        lines.append(#"  "movements": ["#)
        for (index, movement) in movements.enumerated() {
            let comma = index == movements.count - 1 ? "" : ","
            lines.append(
                #"    {"epc": \#(JSONText.string(tags[movement.tag].epc.hex)), "#
                    + #""kind": \#(JSONText.string(movement.kind.rawValue)), "#
                    + #""from_zone": \#(JSONText.string(movement.from)), "to_zone": \#(JSONText.string(movement.to)), "#
                    + #""at": \#(JSONText.time(movement.at))}\#(comma)"#
            )
        }
        lines.append("  ],")
        lines.append(#"  "inventory": ["#)
        for (index, entry) in inventory.enumerated() {
            let comma = index == inventory.count - 1 ? "" : ","
            let epc = tags[entry.tag].epc
            lines.append(
                #"    {"epc": \#(JSONText.string(epc.hex)), "scheme": \#(JSONText.string(epc.scheme)), "#
                    + #""uri": \#(JSONText.string(epc.uri)), "zone": \#(JSONText.string(entry.zone)), "#
                    + #""status": \#(JSONText.string(entry.status.rawValue)), "#
                    + #""first_seen": \#(JSONText.time(entry.firstSeen)), "#
                    + #""zone_since": \#(JSONText.time(entry.zoneSince)), "#
                    + #""last_seen": \#(JSONText.time(entry.lastSeen)), "reads": \#(entry.reads)}\#(comma)"#
            )
        }
        lines.append("  ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
