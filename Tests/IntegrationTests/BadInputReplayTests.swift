import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// Every class of bad input is rejected with its reason, counted, quarantined, and the good
/// message right after it is processed normally.
@Suite("Bad input in a replay")
struct BadInputReplayTests {
    static let configYAML = """
        site: bad-input-test
        database: {sqlite: sortgate.sqlite}
        profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
        max_payload: 1KiB
        brokers:
          site: {host: 127.0.0.1, port: 1883}
        zones:
          dock-in-1: {type: dock-in}
        devices:
          - id: zebra
            profile: zebra-fx9600
            broker: site
            topic: readers/zebra
            read_points: {"*": dock-in-1}
          - id: impinj
            profile: impinj-r700
            broker: site
            topic: readers/impinj
            read_points: {"*": dock-in-1}
        dedup: {absent_after: 30s}
        """

    /// A good Zebra message for SGTIN-96 serial `serial` at second `second`.
    static func good(_ second: Int, serial: Int) -> (line: String, epc: String) {
        let epc = "3074257BF7194E40000000" + String(format: "%02X", serial)
        let payload =
            #"{"data":{"antenna":1,"eventNum":\#(second),"format":"epc","idHex":"\#(epc)","peakRssi":-50,"reads":1},"#
            + #""timestamp":"2026-11-28T09:00:\#(String(format: "%02d", second)).000+0100","type":"SIMPLE"}"#
        return (line(second, "zebra", payload), epc)
    }

    static func line(_ second: Int, _ source: String, _ payload: String) -> String {
        let object: [String: Any] = [
            "t": "2026-11-28T08:00:\(String(format: "%02d", second)).005000000Z", "source": source,
            "topic": "readers/\(source)", "payload": payload,
        ]
        return String(
            decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
            as: UTF8.self
        )
    }

    static func zebra(_ second: Int, data: String) -> String {
        line(
            second,
            "zebra",
            #"{"data":{\#(data)},"timestamp":"2026-11-28T09:00:\#(String(format: "%02d", second)).000+0100","type":"SIMPLE"}"#
        )
    }

    @Test("Each bad message is rejected, counted and quarantined; the next good one is processed")
    func everyClass() async throws {
        let folder = try TemporaryFolder()
        let configPath = folder.path("site.yaml")
        try Self.configYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: configPath)

        let oversize = String(repeating: "x", count: 2000)
        let invalidUTF8 = Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]).base64EncodedString()
        let bad: [(String, RejectReason)] = [
            (Self.line(1, "zebra", #"{"data":{"idHex":"3074257BF7194E4000001A85","antenna":1"#), .malformedJSON),
            (Self.zebra(3, data: #""antenna":"one","idHex":"3074257BF7194E4000001A85""#), .wrongType),
            (Self.zebra(5, data: #""antenna":1,"idHex":"3074257BF7194E4000001A8""#), .invalidEPC),
            (Self.zebra(7, data: #""antenna":1,"idHex":"3074257BF7194E4000001AZZ""#), .invalidEPC),
            (Self.zebra(9, data: #""antenna":1,"idHex":"307C257BF7194E4000001A85""#), .invalidEPC),
            (Self.line(11, "zebra", #"{"data":{"idHex":"\#(oversize)"}}"#), .oversize),
            (
                #"{"t":"2026-11-28T08:00:13.005Z","source":"zebra","topic":"readers/zebra","payload_b64":"\#(invalidUTF8)"}"#,
                .invalidUTF8
            ),
            ("this is not a capture line", .malformedCapture),
            (Self.line(17, "forklift-reader", #"{"data":{}}"#), .unknownSource),
            (
                Self.line(
                    19,
                    "zebra",
                    #"{"data":{"antenna":1,"idHex":"3074257BF7194E4000001A85"},"timestamp":"yesterday"}"#
                ),
                .invalidTimestamp
            ),
            (
                Self.line(21, "impinj", #"{"timestamp":"2026-11-28T08:00:21Z","tagInventoryEvent":{"antennaPort":1}}"#),
                .missingField
            ),
        ]
        var lines: [String] = []
        var goodEPCs: [String] = []
        for (index, (badLine, _)) in bad.enumerated() {
            lines.append(badLine)
            let good = Self.good(2 * index + 2, serial: index + 1)
            lines.append(good.line)
            goodEPCs.append(good.epc)
        }
        let capture = folder.path("bad.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: capture, atomically: true, encoding: .utf8)

        let store = try SQLiteStore(path: folder.path("sortgate.sqlite"), zoneNames: config.zones.map(\.name))
        let summary = try await replay([capture], config: config, store: store)

        var expectedCounts: [RejectReason: UInt64] = [:]
        for (_, reason) in bad { expectedCounts[reason, default: 0] += 1 }
        #expect(summary.session.rejected == expectedCounts)
        #expect(summary.session.messages == UInt64(lines.count))
        #expect(summary.totals.tagEvents == UInt64(goodEPCs.count))

        let inventory = try store.inventory()
        #expect(inventory.map(\.epc) == goodEPCs.sorted())
        #expect(inventory.allSatisfy { $0.status == "present" && $0.zone == "dock-in-1" && $0.reads == 1 })

        let quarantined = try store.quarantined(limit: 100)
        #expect(quarantined.count == bad.count)
        #expect(Set(quarantined.map(\.reason)) == Set(bad.map(\.1.rawValue)))
        let byReason = Dictionary(grouping: quarantined, by: \.reason)
        #expect(byReason["oversize"]?.first?.detail.contains("above max_payload 1024") == true)
        #expect(byReason["unknown-source"]?.first?.source == "forklift-reader")
        #expect(byReason["malformed-capture"]?.first?.source == "capture:\(capture):15")
        #expect(byReason["malformed-capture"]?.first?.payload == Array("this is not a capture line".utf8))
        #expect(byReason["invalid-utf8"]?.first?.payload == [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
        #expect(byReason["oversize"]?.first?.payload.count == 2000 + #"{"data":{"idHex":""}}"#.utf8.count)
    }
    @Test("Timestamps with ten or more fraction digits (payload or capture line) are truncated and the replay goes on")
    func longFractionTimestamps() async throws {
        let folder = try TemporaryFolder()
        let configPath = folder.path("site.yaml")
        try Self.configYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: configPath)

        let lines = [
            Self.line(
                1,
                "zebra",
                #"{"data":{"antenna":1,"idHex":"3074257BF7194E4000000001","reads":1},"#
                    + #""timestamp":"2026-11-28T09:00:01.1234567890+0100","type":"SIMPLE"}"#
            ),
            Self.line(
                2,
                "impinj",
                #"{"timestamp":"2026-11-28T08:00:02.12345678901234567890Z","eventType":"tagInventory","#
                    + #""tagInventoryEvent":{"epcHex":"3074257BF7194E4000000002","antennaPort":1}}"#
            ),
            #"{"t":"2026-11-28T08:00:03.0000000000001Z","source":"zebra","topic":"readers/zebra","payload":"#
                + #""{\"data\":{\"antenna\":1,\"idHex\":\"3074257BF7194E4000000003\",\"reads\":1},\"type\":\"SIMPLE\"}"}"#,
            Self.line(
                4,
                "zebra",
                #"{"data":{"antenna":1,"idHex":"3074257BF7194E4000000009","reads":1},"#
                    + #""timestamp":"2262-04-11T23:47:16.9999999999Z","type":"SIMPLE"}"#
            ),
            Self.good(5, serial: 4).line,
        ]
        let capture = folder.path("long-fractions.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: capture, atomically: true, encoding: .utf8)

        let store = try SQLiteStore(path: folder.path("sortgate.sqlite"), zoneNames: config.zones.map(\.name))
        let summary = try await replay([capture], config: config, store: store)

        #expect(summary.session.messages == 5)
        #expect(summary.session.rejected == [.invalidTimestamp: 1])
        #expect(summary.totals.tagEvents == 4)
        let inventory = try store.inventory()
        #expect(
            inventory.map(\.epc) == [
                "3074257BF7194E4000000001", "3074257BF7194E4000000002", "3074257BF7194E4000000003",
                "3074257BF7194E4000000004",
            ]
        )
        // Digits past the ninth are dropped, never rounded: the reader's time to the nanosecond.
        #expect(
            inventory.map(\.firstSeen) == [
                "2026-11-28T08:00:01.123456789Z", "2026-11-28T08:00:02.123456789Z", "2026-11-28T08:00:03.000000000Z",
                "2026-11-28T08:00:05.000000000Z",
            ]
        )
        let quarantined = try store.quarantined(limit: 10)
        #expect(quarantined.map(\.reason) == ["invalid-timestamp"])
        #expect(quarantined.first?.detail.contains("2262-04-11T23:47:16.9999999999Z") == true)
    }
}
