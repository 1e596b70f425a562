import Foundation
import GRDB

extension SQLiteStore {
    /// The inventory, ordered by zone then EPC; only the rows of `zone` when given.
    public func inventory(zone: String? = nil) throws(SQLiteStoreError) -> [InventoryRecord] {
        try rows(FactQueries.inventory(zone: zone)).map(InventoryRecord.init(row:))
    }

    /// The rows `query` selects, in (zone, EPC) order (see `FactQueries.inventory(_:)`).
    public func inventory(_ query: InventoryQuery) throws(SQLiteStoreError) -> [InventoryRecord] {
        try rows(FactQueries.inventory(query)).map(InventoryRecord.init(row:))
    }

    /// How many EPCs are present in each zone that holds any.
    public func presentCounts() throws(SQLiteStoreError) -> [String: Int] {
        Dictionary(
            uniqueKeysWithValues: try rows(FactQueries.presentCounts).map { ($0.text("zone"), $0.integer("n")) }
        )
    }

    /// Movements in time order (ties in insertion order); only those of `epc` (upper-case hex) when given.
    public func movements(epc: String? = nil) throws(SQLiteStoreError) -> [MovementRecord] {
        try rows(FactQueries.movements(epc: epc)).map(MovementRecord.init(row:))
    }

    /// The rows of `query` (see `FactQueries`), in one read transaction.
    public func rows(_ query: FactQuery) throws(SQLiteStoreError) -> [FactRow] {
        try attempt(query.purpose) {
            try reader.read { db in
                let statement = try db.cachedStatement(sql: query.sqliteSQL)
                // The column names once per result; each row is then only its values.
                var columns: [String: Int] = [:]
                for (position, name) in statement.columnNames.enumerated() where columns[name] == nil {
                    columns[name] = position
                }
                let width = statement.columnCount
                var rows: [FactRow] = []
                let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(query.arguments))
                while let row = try cursor.next() {
                    var values: [CentralValue] = []
                    values.reserveCapacity(width)
                    for position in 0..<width { values.append(CentralValue(row[position] as DatabaseValue)) }
                    rows.append(FactRow(columns: columns, values: values))
                }
                return rows
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
}
