import Foundation
import GRDB
import SortgateCore
@testable import SortgateStore
import Synchronization
import Testing

/// The WAL is checkpointed by the store's own thread once it holds `WALCheckpointer.threshold`
/// pages, not inside a commit, and it stays bounded.
@Suite("WAL checkpoints off the commit path")
struct WALCheckpointerTests {
    private static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test("past the threshold the thread copies the WAL into the database file; every row stays readable")
    func checkpointsOnItsThread() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-wal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("sortgate.sqlite").path
        let store = try SQLiteStore(path: path, zoneNames: ["dock", "sorter"])
        let checkpointer = try #require(store.checkpointer)
        let emptySize = Self.fileSize(path)
        let start = try EventTime(rfc3339: "2026-12-07T08:00:00Z")
        // SGTIN-96 EPCs in a scattered order, so the inventory's B-trees are written all over:
        // each batch dirties hundreds of pages, and a few batches pass 4 096 pages of WAL.
        var written = 0
        var batches = 0
        while Self.fileSize(path + "-wal") < Int(WALCheckpointer.threshold) * 4096 + 1_000_000 && batches < 200 {
            var inventory: [InventoryEntry] = []
            for i in 0..<2000 {
                let serial = UInt64((written + i) &* 2_654_435_761 % 1_000_003)
                let epc = try EPC(hex: String(format: "30340242201D8840%08llX", serial))
                let at = start + .milliseconds(written + i)
                inventory.append(
                    InventoryEntry(epc: epc, zone: ZoneID(rawValue: UInt16(i % 2)), status: .present, firstSeen: at, zoneSince: at,
                                   lastSeen: at, reads: 1)
                )
            }
            try store.write(FactBatch(inventory: inventory))
            written += inventory.count
            batches += 1
        }
        // The hook woke the thread; its PASSIVE checkpoint runs beside the writer.
        let deadline = ContinuousClock.now + .seconds(20)
        while checkpointer.checkpoints.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline {
            try store.write(FactBatch())  // an empty batch commits nothing
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(checkpointer.checkpoints.load(ordering: .relaxed) >= 1)
        #expect(checkpointer.inlineCheckpoints.load(ordering: .relaxed) == 0)
        // The pages went into the database file itself (it held only the schema before).
        #expect(Self.fileSize(path) > emptySize + 4 * 1024 * 1024)
        // And the WAL never grew to where the writer would have checkpointed inline.
        #expect(Self.fileSize(path + "-wal") < Int(WALCheckpointer.inlineLimit) * 4096)
        let count = try store.reader.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inventory") }
        #expect(count == written)
    }
}
