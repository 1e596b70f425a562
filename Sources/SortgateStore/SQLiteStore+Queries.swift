import Foundation
import GRDB

extension SQLiteStore {
    /// The inventory, ordered by zone then EPC; only the rows of `zone` when given.
    public func inventory(zone: String? = nil) throws(SQLiteStoreError) -> [InventoryRecord] {
        let select = """
            SELECT epc, scheme, uri, zone, status, first_seen, zone_since, last_seen, reads FROM inventory
            """
        return try attempt("reading the inventory") {
            try reader.read { db in
                let rows = try Self.rows(db, select, where: "zone", is: zone, orderBy: "zone, epc")
                return rows.map { row in
                    InventoryRecord(
                        epc: row["epc"],
                        scheme: row["scheme"],
                        uri: row["uri"],
                        zone: row["zone"],
                        status: row["status"],
                        firstSeen: row["first_seen"],
                        zoneSince: row["zone_since"],
                        lastSeen: row["last_seen"],
                        reads: row["reads"]
                    )
                }
            }
        }
    }

    /// Movements in time order (ties in insertion order); only those of `epc` (upper-case hex) when given.
    public func movements(epc: String? = nil) throws(SQLiteStoreError) -> [MovementRecord] {
        let select = "SELECT id, epc, kind, from_zone, to_zone, at FROM movements"
        return try attempt("reading movements") {
            try reader.read { db in
                let rows = try Self.rows(db, select, where: "epc", is: epc, orderBy: "at, id")
                return rows.map { row in
                    MovementRecord(
                        id: row["id"],
                        epc: row["epc"],
                        kind: row["kind"],
                        fromZone: row["from_zone"],
                        toZone: row["to_zone"],
                        at: row["at"]
                    )
                }
            }
        }
    }

    /// The newest `limit` quarantined messages, newest first.
    public func quarantined(limit: Int = 100) throws(SQLiteStoreError) -> [QuarantineRecord] {
        try attempt("reading the quarantine") {
            try reader.read { db in
                try Row.fetchAll(
                    db.cachedStatement(
                        sql: "SELECT id, source, at, reason, detail, payload FROM quarantine ORDER BY id DESC LIMIT ?"
                    ),
                    arguments: [max(0, limit)]
                ).map { row in
                    let payload: Data = row["payload"]
                    return QuarantineRecord(
                        id: row["id"],
                        source: row["source"],
                        at: row["at"],
                        reason: row["reason"],
                        detail: row["detail"],
                        payload: [UInt8](payload)
                    )
                }
            }
        }
    }

    /// How many rejected messages the quarantine holds now (at most `quarantineLimit`).
    public func quarantineCount() throws(SQLiteStoreError) -> Int {
        try attempt("counting the quarantine") {
            try reader.read { db in
                try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM quarantine")) ?? 0
            }
        }
    }

    /// The rows of `select` in `order`; only those whose `column` is `value` when one is given.
    static func rows(
        _ db: Database,
        _ select: String,
        where column: String,
        is value: String?,
        orderBy order: String
    ) throws -> [Row] {
        guard let value else {
            return try Row.fetchAll(db.cachedStatement(sql: "\(select) ORDER BY \(order)"))
        }
        return try Row.fetchAll(
            db.cachedStatement(sql: "\(select) WHERE \(column) = ? ORDER BY \(order)"),
            arguments: [value]
        )
    }
}
