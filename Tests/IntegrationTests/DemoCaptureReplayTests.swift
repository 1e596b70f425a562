import Foundation
import SortgateCore
import SortgateDevices
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
