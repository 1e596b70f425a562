import Foundation
import SortgateCore
import SortgateDevices
import SortgateStore
import Testing

/// The sample capture replayed through the real decoders, pipeline and SQLite gives exactly the
/// inventory and movement history its generator computed from its own scenario model.
@Suite("Demo capture replay")
struct DemoCaptureReplayTests {
    struct Expected: Decodable {
        struct ExpectedMovement: Decodable, Hashable {
            var epc: String
            var kind: String
            var from_zone: String?
            var to_zone: String?
            var at: String
        }
        struct ExpectedInventory: Decodable, Hashable {
            var epc: String
            var scheme: String
            var uri: String?
            var zone: String
            var status: String
            var first_seen: String
            var zone_since: String
            var last_seen: String
            var reads: Int
        }
        var messages: Int
        var tag_reads: Int
        var redelivered: Int
        var ignored_events: Int
        var rejected: [String: Int]
        var movements: [ExpectedMovement]
        var inventory: [ExpectedInventory]
    }

    let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    func expected() throws -> Expected {
        let url = repositoryRoot.appendingPathComponent("Tools/captures/demo.expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    @Test("Inventory, movements and counts equal the generator's expectation")
    func matchesGenerator() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let store = try SQLiteStore(path: folder.path("sortgate.sqlite"), zoneNames: config.zones.map(\.name))
        let summary = try await replay([capture], config: config, store: store)
        let expected = try expected()

        #expect(summary.session.messages == UInt64(expected.messages))
        #expect(summary.totals.tagEvents == UInt64(expected.tag_reads))
        #expect(summary.redelivered == UInt64(expected.redelivered))
        #expect(summary.session.ignoredEvents == UInt64(expected.ignored_events))
        #expect(
            Dictionary(uniqueKeysWithValues: summary.session.rejected.map { ($0.key.rawValue, Int($0.value)) })
                == expected.rejected
        )

        let movements = try store.movements().map {
            Expected.ExpectedMovement(epc: $0.epc, kind: $0.kind, from_zone: $0.fromZone, to_zone: $0.toZone, at: $0.at)
        }
        let sortedMovements = movements.sorted { ($0.at, $0.epc, $0.kind) < ($1.at, $1.epc, $1.kind) }
        let expectedMovements = expected.movements.sorted { ($0.at, $0.epc, $0.kind) < ($1.at, $1.epc, $1.kind) }
        #expect(sortedMovements.count == expectedMovements.count)
        #expect(sortedMovements == expectedMovements)

        let inventory = try store.inventory().map {
            Expected.ExpectedInventory(
                epc: $0.epc,
                scheme: $0.scheme,
                uri: $0.uri,
                zone: $0.zone,
                status: $0.status,
                first_seen: $0.firstSeen,
                zone_since: $0.zoneSince,
                last_seen: $0.lastSeen,
                reads: $0.reads
            )
        }.sorted { $0.epc < $1.epc }
        #expect(inventory.count == expected.inventory.count)
        #expect(inventory == expected.inventory.sorted { $0.epc < $1.epc })

        let quarantined = try store.quarantineCount()
        #expect(quarantined == expected.rejected.values.reduce(0, +))
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
