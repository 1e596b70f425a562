import Foundation
import SortgateStore
import Testing

/// The outcome the capture generator computed for the demo capture (`demo.expected.json`),
/// from its own model of the shift, and a check of a database against it.
struct ExpectedOutcome: Decodable {
    struct Movement: Decodable, Hashable {
        var epc: String
        var kind: String
        var from_zone: String?
        var to_zone: String?
        var at: String
    }

    struct Inventory: Decodable, Hashable {
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
    var movements: [Movement]
    var inventory: [Inventory]

    /// The first few rows that differ, as "actual ≠ expected" lines (short enough to read in a
    /// failure, unlike two whole tables).
    func differences<Row: Hashable>(_ actual: [Row], _ expected: [Row]) -> [String] {
        var lines: [String] = []
        for index in 0..<max(actual.count, expected.count) where lines.count < 5 {
            let a = index < actual.count ? "\(actual[index])" : "nothing"
            let e = index < expected.count ? "\(expected[index])" : "nothing"
            if a != e { lines.append("row \(index): \(a) ≠ expected \(e)") }
        }
        return lines
    }

    static func demo() throws -> ExpectedOutcome {
        let url = repositoryRoot.appendingPathComponent("Tools/captures/demo.expected.json")
        return try JSONDecoder().decode(ExpectedOutcome.self, from: Data(contentsOf: url))
    }

    /// Checks the database's movements, inventory and quarantine against the expectation.
    func check(_ store: SQLiteStore, messages processed: UInt64?, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        if let processed { #expect(processed == UInt64(messages), sourceLocation: sourceLocation) }
        let order: (Movement, Movement) -> Bool = { ($0.at, $0.epc, $0.kind) < ($1.at, $1.epc, $1.kind) }
        let actualMovements = try store.movements().map {
            Movement(epc: $0.epc, kind: $0.kind, from_zone: $0.fromZone, to_zone: $0.toZone, at: $0.at)
        }.sorted(by: order)
        let expectedMovements = movements.sorted(by: order)
        #expect(actualMovements.count == expectedMovements.count, sourceLocation: sourceLocation)
        #expect(differences(actualMovements, expectedMovements) == [], sourceLocation: sourceLocation)

        let actualInventory = try store.inventory().map {
            Inventory(
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
        #expect(actualInventory.count == inventory.count, sourceLocation: sourceLocation)
        #expect(
            differences(actualInventory, inventory.sorted { $0.epc < $1.epc }) == [],
            sourceLocation: sourceLocation
        )
        #expect(try store.quarantineCount() == rejected.values.reduce(0, +), sourceLocation: sourceLocation)
    }
}
