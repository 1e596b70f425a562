import GRDB
public import SortgateCore

extension SQLiteStore {
    /// The inventory as pipeline state, so a restarted gateway continues where it stopped
    /// instead of announcing every present EPC as a new arrival.
    ///
    /// Rows whose zone is not among `zoneNames` (a zone removed from the config) or whose EPC
    /// or times cannot be parsed are skipped and counted; the caller logs them.
    public func inventoryEntries(zoneNames: [String]) throws(SQLiteStoreError) -> (
        entries: [InventoryEntry], skipped: Int
    ) {
        var zoneIDs: [String: ZoneID] = [:]
        for (index, name) in zoneNames.enumerated() { zoneIDs[name] = ZoneID(index) }
        var entries: [InventoryEntry] = []
        var skipped = 0
        for record in try inventory() {
            guard let zone = zoneIDs[record.zone], let epc = try? EPC(hex: record.epc),
                let firstSeen = try? EventTime(rfc3339: record.firstSeen),
                let zoneSince = try? EventTime(rfc3339: record.zoneSince),
                let lastSeen = try? EventTime(rfc3339: record.lastSeen), record.reads >= 0
            else {
                skipped += 1
                continue
            }
            entries.append(
                InventoryEntry(
                    epc: epc,
                    zone: zone,
                    status: record.status == PresenceStatus.present.rawValue ? .present : .departed,
                    firstSeen: firstSeen,
                    zoneSince: zoneSince,
                    lastSeen: lastSeen,
                    reads: UInt64(record.reads)
                )
            )
        }
        return (entries, skipped)
    }

    /// The event-ring position a restarted live gateway re-processes its ring from: every
    /// message below it has all its effects in this database (stored by `write` with the last
    /// complete batch, in the same transaction). Nil when no live gateway wrote here yet.
    public func ringPosition() throws(SQLiteStoreError) -> UInt64? {
        try attempt("reading the ring position") {
            try reader.read { db in
                try Int64.fetchOne(db, sql: "SELECT position FROM ring_state WHERE id = 1").map {
                    UInt64(bitPattern: $0)
                }
            }
        }
    }

    /// The highest ring position any row or the recovery point holds, nil for none: a new ring
    /// file starts above it.
    public func highestRingPosition() throws(SQLiteStoreError) -> UInt64? {
        try attempt("reading the highest ring position") {
            try reader.read { db in
                try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT max(coalesce((SELECT position FROM ring_state WHERE id = 1), 0),
                                   coalesce((SELECT max(ring_position) FROM inventory), 0))
                        """
                ).map { UInt64(bitPattern: $0) }
            }
        }
    }

    /// Inventory rows last written with a ring position above `position`, by EPC: their reads
    /// from messages below that position are in the row already, so a gateway re-processing
    /// the ring from `position` must not count them again.
    public func inventoryRingPositions(above position: UInt64) throws(SQLiteStoreError) -> [EPC: UInt64] {
        let rows = try attempt("reading the inventory's ring positions") {
            try reader.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT epc, ring_position FROM inventory WHERE ring_position > ?",
                    arguments: [Int64(bitPattern: position)]
                )
            }
        }
        var positions: [EPC: UInt64] = [:]
        for row in rows {
            guard let epc = try? EPC(hex: row["epc"] as String), let value = row["ring_position"] as Int64? else {
                continue
            }
            positions[epc] = UInt64(bitPattern: value)
        }
        return positions
    }
}

extension SQLiteStore {
    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, else the problems SQLite found.
    public func integrityCheck() throws(SQLiteStoreError) -> [String] {
        try attempt("checking integrity") {
            try reader.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        }
    }
}
