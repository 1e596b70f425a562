import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// The sample capture replayed through the real decoders, pipeline and SQLite gives exactly the
/// inventory and movement history its generator computed from its own scenario model.
@Suite("Demo capture replay")
struct DemoCaptureReplayTests {
    let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    @Test("Inventory, movements and counts equal the generator's expectation")
    func matchesGenerator() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let store = try SQLiteStore(path: folder.path("sortgate.sqlite"), zoneNames: config.zones.map(\.name))
        let summary = try await replay([capture], config: config, store: store)
        let expected = try ExpectedOutcome.demo()
        #expect(summary.totals.tagEvents == UInt64(expected.tag_reads))
        #expect(summary.redelivered == UInt64(expected.redelivered))
        #expect(summary.session.ignoredEvents == UInt64(expected.ignored_events))
        #expect(
            Dictionary(uniqueKeysWithValues: summary.session.rejected.map { ($0.key.rawValue, Int($0.value)) })
                == expected.rejected
        )
        try expected.check(store, messages: summary.session.messages)
    }

    @Test("Replaying the same capture twice into the same database yields the same rows")
    func idempotent() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let path = folder.path("sortgate.sqlite")
        let first = try SQLiteStore(path: path, zoneNames: config.zones.map(\.name))
        _ = try await replay([capture], config: config, store: first)
        let inventory = try first.inventory()
        let movements = try first.movements()
        let quarantine = try first.quarantineCount()

        let second = try SQLiteStore(path: path, zoneNames: config.zones.map(\.name))
        _ = try await replay([capture], config: config, store: second)
        #expect(try second.inventory() == inventory)
        #expect(try second.movements() == movements)
        #expect(try second.quarantineCount() == quarantine)
        #expect(inventory.count > 100)
    }
}

@Suite("Replay pacing")
struct ReplayPacingTests {
    @Test("--speed N honours the recorded pacing N times faster; max ignores it")
    func pacing() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        // Three messages recorded over 2 s; at 4× they take at least 0.5 s to replay.
        let lines = (0..<3).map { index in
            #"{"t":"2026-11-28T08:00:0\#(index).000Z","source":"dock-out-reader","topic":"readers/dock-out/events","payload":"{\"data\":{\"antenna\":1,\"idHex\":\"3074257BF7194E400000000\#(index + 1)\",\"eventNum\":\#(index + 1)},\"timestamp\":\"2026-11-28T08:00:0\#(index).000Z\",\"type\":\"SIMPLE\"}"}"#
        }
        let capture = folder.path("paced.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: capture, atomically: true, encoding: .utf8)
        let zones = config.zones.map(\.name)

        let paced = IngestSession(
            topology: SiteTopology(config: config),
            sink: try SQLiteStore(path: folder.path("paced.sqlite"), zoneNames: zones)
        )
        let pacedSummary = try await Replayer(speed: .factor(4)).run(files: [capture], into: paced)
        #expect(pacedSummary.totals.tagEvents == 3)
        #expect(pacedSummary.elapsed >= .milliseconds(500))

        let fast = IngestSession(
            topology: SiteTopology(config: config),
            sink: try SQLiteStore(path: folder.path("fast.sqlite"), zoneNames: zones)
        )
        let fastSummary = try await Replayer(speed: .max).run(files: [capture], into: fast)
        #expect(fastSummary.totals.tagEvents == 3)
        #expect(fastSummary.totals.arrivals == 3)
    }
}
