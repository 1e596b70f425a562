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
}
