import Foundation
import SortgateConfig
import SortgateCore
import SortgateIngest
import SortgateStore
import Testing

/// The ring position written with the facts, and the re-processing of a ring after a crash,
/// with plain values: an IngestSession writing straight into SQLite, no ring, no threads.
@Suite("Ring position: recovery point and re-processing")
struct RingPositionTests {
    static let hot = "3074257BF7194E4000000001"

    /// One Zebra read of `epc` by the demo's induction reader, as live (`position` nil) or
    /// re-read from the ring at `position`.
    func ingest(_ session: IngestSession, _ epc: String, event: Int, position: UInt64? = nil, history: Bool = false) {
        let topic = Array("readers/induction/events".utf8)
        let payload = Array(
            (#"{"data":{"antenna":1,"eventNum":\#(event),"format":"epc","idHex":"\#(epc)","peakRssi":-50,"reads":1},"#
                + #""timestamp":"2026-11-28T09:00:00.000+0100","type":"SIMPLE"}"#).utf8
        )
        let source = session.topology.source(named: "induction-reader")!
        topic.withUnsafeBytes { topic in
            payload.withUnsafeBytes { payload in
                let message = RawMessage(
                    source: source,
                    arrival: try! EventTime(rfc3339: "2026-11-28T08:00:00Z"),
                    topic: topic,
                    body: .payload(payload)
                )
                if history {
                    session.remember(recovered: message)
                } else if let position {
                    session.ingest(recovered: message, position: position)
                } else {
                    session.ingest(message)
                }
            }
        }
    }

    /// The demo site's readers and a fresh database in `folder`.
    func site(in folder: TemporaryFolder) throws -> (SiteConfig, SQLiteStore) {
        let config = try demoConfig(port: 1, folder: folder)
        return (config, try SQLiteStore(path: folder.path("sortgate.sqlite"), zoneNames: config.zones.map(\.name)))
    }

    func reads(_ store: SQLiteStore) throws -> [String: Int] {
        var reads: [String: Int] = [:]
        for record in try store.inventory() { reads[record.epc] = Int(record.reads) }
        return reads
    }

    @Test("only a complete batch moves the recovery point; re-processing skips reads a row already counted")
    func recoverAfterCrash() throws {
        let folder = try TemporaryFolder()
        let (config, store) = try site(in: folder)
        let first = IngestSession(topology: SiteTopology(config: config), sink: store)
        // Ring positions 0…3: three reads of the hot tag and one of a new tag.
        ingest(first, Self.hot, event: 1)
        ingest(first, "3074257BF7194E4000000002", event: 2)
        ingest(first, Self.hot, event: 3)
        ingest(first, Self.hot, event: 4)
        try first.flush(periodic: false, ringPosition: 4)
        #expect(try store.ringPosition() == 4)
        #expect(try reads(store) == [Self.hot: 3, "3074257BF7194E4000000002": 1])

        // Positions 4 and 5: one more read of the hot tag (deferred: its row only counts reads)
        // and an arrival (written at once, with position 6). The recovery point stays at 4.
        ingest(first, Self.hot, event: 5)
        ingest(first, "3074257BF7194E4000000003", event: 6)
        try first.flush(periodic: true, ringPosition: 6)
        #expect(try store.ringPosition() == 4)
        #expect(try reads(store)[Self.hot] == 3)
        #expect(try store.inventoryRingPositions(above: 4) == [try EPC(hex: "3074257BF7194E4000000003"): 6])

        // Killed here. The next process restores the rows and re-reads positions 4 and 5.
        let second = IngestSession(topology: SiteTopology(config: config), sink: store)
        second.restore(try store.inventoryEntries(zoneNames: config.zones.map(\.name)).entries)
        second.beginRecovery(skipping: try store.inventoryRingPositions(above: 4), ringMessages: 8)
        // Positions 0…3 are committed history: remembered, not processed.
        ingest(second, Self.hot, event: 1, history: true)
        ingest(second, "3074257BF7194E4000000002", event: 2, history: true)
        ingest(second, Self.hot, event: 3, history: true)
        ingest(second, Self.hot, event: 4, history: true)
        ingest(second, Self.hot, event: 5, position: 4)
        ingest(second, "3074257BF7194E4000000003", event: 6, position: 5)
        second.endRecovery()
        // The broker resends what the killed process never acknowledged: history and re-processed alike.
        ingest(second, "3074257BF7194E4000000002", event: 2)
        ingest(second, Self.hot, event: 5)
        #expect(second.counters.redeliveredMessages == 2)
        try second.flush(periodic: false, ringPosition: 6)
        #expect(second.recoverySkippedReads == 1)
        #expect(try store.ringPosition() == 6)
        #expect(
            try reads(store) == [
                Self.hot: 4, "3074257BF7194E4000000002": 1, "3074257BF7194E4000000003": 1,
            ]
        )
        #expect(try store.highestRingPosition() == 6)
    }

    @Test("a complete batch without facts is written once to move the recovery point, not again")
    func positionOnlyBatch() throws {
        let folder = try TemporaryFolder()
        let (config, store) = try site(in: folder)
        let session = IngestSession(topology: SiteTopology(config: config), sink: store)
        #expect(try store.ringPosition() == nil)
        try session.flush(periodic: false, ringPosition: 17)
        #expect(try store.ringPosition() == 17)
        #expect(session.counters.batches == 1)
        try session.flush(periodic: false, ringPosition: 17)
        #expect(session.counters.batches == 1)
        // A replay (no ring) never touches it.
        try session.flush(periodic: false)
        #expect(try store.ringPosition() == 17)
    }
}
