import Foundation
import GRDB
import SortgateCore

extension SQLiteStore {
    /// Migration v9: the outbox of batches to ship to the central PostgreSQL.
    ///
    /// Append-only tables (`movements`, `readings`) are not copied: a batch records the highest
    /// row id each had after it committed, and shipping reads the id range. Tables updated in place
    /// (`inventory`, `alerts`, `transport` and its anomalies, `shipments`, `reading_minutes`) get
    /// the keys the batch changed, and shipping reads their current rows (a later state is never
    /// older than the one it replaces). `seq` is AUTOINCREMENT so that a pruned outbox never
    /// hands out a number again; `central_state.database_id` tells this file's numbers from
    /// those of another file the same site used before (a database deleted and started afresh).
    static let centralOutboxSchema = """
        CREATE TABLE central_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            committed_at TEXT NOT NULL,
            movements_through INTEGER NOT NULL,
            readings_through INTEGER NOT NULL,
            inventory TEXT NOT NULL,
            alerts TEXT NOT NULL,
            transport TEXT NOT NULL,
            shipments TEXT NOT NULL,
            minutes TEXT NOT NULL,
            rows INTEGER NOT NULL
        );
        CREATE TABLE central_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            database_id TEXT NOT NULL,
            readings_given_up_through INTEGER NOT NULL DEFAULT 0,
            readings_given_up INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO central_state (id, database_id) VALUES (1, lower(hex(randomblob(16))));
        """

    /// Migration v10: the outbox also ships the manifests (the containers each import changed) and
    /// the quarantine (an id range, as movements: its rows are only ever appended and trimmed).
    static let centralOutboxManifestsQuarantine = """
        ALTER TABLE central_outbox ADD COLUMN quarantine_through INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE central_outbox ADD COLUMN manifests TEXT NOT NULL DEFAULT '';
        """

    /// Migration v11: a database that already ships (its outbox has handed out numbers) gets one more
    /// batch with every manifest container, so that the manifests imported before they were shipped
    /// reach the hub too (a resend changes nothing there); its quarantine needs nothing, since its mark
    /// starts at nothing shipped. A database that never shipped sends everything at its first contact.
    static let centralManifestsBackfill = """
        INSERT INTO central_outbox (committed_at, movements_through, readings_through, quarantine_through,
                                    inventory, alerts, transport, shipments, minutes, manifests, rows)
        SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
               (SELECT coalesce(max(id), 0) FROM movements), (SELECT coalesce(max(id), 0) FROM readings),
               (SELECT coalesce(max(id), 0) FROM quarantine), '', '', '',
               (SELECT group_concat(shipment, char(10)) FROM (SELECT DISTINCT shipment FROM manifest_containers)),
               '', containers, n * 2
        FROM (SELECT group_concat(container, ',') AS containers, count(*) AS n FROM manifest_containers)
        WHERE n > 0 AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'central_outbox' AND seq > 0);
        """

    /// What one local transaction changed in the tables the shipper reads by key, and how many rows
    /// that is to ship (the backlog's measure); appended rows are found by id range instead.
    struct CentralChange {
        var inventory: [String] = []
        var alerts: [String] = []
        var transport: [String] = []
        var shipments: [String] = []
        /// `minute<TAB>sensor` of each per-minute aggregate.
        var minutes: [String] = []
        /// Manifest containers (their row and their items).
        var manifests: [String] = []
        var rows = 0
    }

    /// Records what `batch` changed for the shipper, inside the batch's transaction (after its
    /// quarantined messages are in, so that the id range covers them).
    func recordCentralBatch(_ batch: FactBatch, _ db: Database) throws {
        let shipments = Set(batch.transport.compactMap { $0.manifest?.shipment })
        var change = CentralChange(
            inventory: batch.inventory.map(\.epc.hex),
            alerts: batch.alerts.map(\.event.id.fingerprintHex),
            transport: batch.transport.map(\.container.hex),
            shipments: Array(shipments),
            minutes: batch.minutes.filter { $0.sensor.index < self.sourceNames.count }.map {
                $0.aggregate.minute.rfc3339 + "\t" + self.sourceNames[$0.sensor.index]
            }
        )
        change.rows =
            batch.movements.count + batch.readings.count + batch.quarantine.count + batch.inventory.count
            + batch.alerts.count + batch.minutes.count + batch.transport.count * 2 + shipments.count
        try recordCentralChange(change, db)
    }

    /// Gives the transaction's change the next outbox number, inside that transaction: whatever
    /// writes a shipped table (a batch, a manifest import, an acknowledgement) ships with it.
    func recordCentralChange(_ change: CentralChange, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO central_outbox (committed_at, movements_through, readings_through, quarantine_through,
                                            inventory, alerts, transport, shipments, minutes, manifests, rows)
                VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                        (SELECT coalesce(max(id), 0) FROM movements), (SELECT coalesce(max(id), 0) FROM readings),
                        (SELECT coalesce(max(id), 0) FROM quarantine),
                        ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            change.inventory.joined(separator: ","),
            change.alerts.joined(separator: ","),
            change.transport.joined(separator: ","),
            change.shipments.joined(separator: "\n"),
            change.minutes.joined(separator: "\n"),
            change.manifests.joined(separator: ","),
            change.rows,
        ])
    }

    /// This database's identity towards the central PostgreSQL (its marks are kept per identity).
    public func centralDatabaseID() throws(SQLiteStoreError) -> String {
        try attempt("reading the central shipping state") {
            try reader.read { db in
                try String.fetchOne(db, sql: "SELECT database_id FROM central_state WHERE id = 1") ?? ""
            }
        }
    }

    /// The next batches after `mark`, up to about `maxRows` rows (at least one batch), read in one
    /// snapshot; nil when there is nothing to ship. With no mark (the central server has nothing of
    /// this database yet) the cargo also carries the current rows of every keyed table and every
    /// movement and reading so far, so that history from before shipping was configured arrives too.
    public func centralCargo(after mark: CentralMark?, maxRows: Int) throws(SQLiteStoreError) -> CentralCargo? {
        try attempt("reading the batches to ship") {
            try reader.read { db in try CentralCargoReader(db: db, mark: mark, maxRows: maxRows).read() }
        }
    }

    /// Forgets the outbox rows the central server has (`seq <= mark.seq`).
    public func pruneCentralOutbox(through seq: Int64) throws(SQLiteStoreError) {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot prune the outbox")
        }
        try attempt("pruning the central outbox") {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM central_outbox WHERE seq <= ?", arguments: [seq])
            }
        }
    }

    /// The batches after `seq` not yet shipped.
    public func centralBacklog(after seq: Int64) throws(SQLiteStoreError) -> CentralBacklog {
        try attempt("measuring the central backlog") {
            try reader.read { db in
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) AS batches, coalesce(sum(rows), 0) AS rows,
                               coalesce((julianday('now') - julianday(min(committed_at))) * 86400000, 0) AS age_ms
                        FROM central_outbox WHERE seq > ?
                        """,
                    arguments: [seq]
                )
                guard let row else { return CentralBacklog() }
                let ageMilliseconds: Double = row["age_ms"]
                return CentralBacklog(
                    batches: row["batches"],
                    rows: row["rows"],
                    age: .milliseconds(Int64(max(0, ageMilliseconds)))
                )
            }
        }
    }

    /// Readings given up so far (never to be shipped), and through which reading id.
    public func centralReadingsGivenUp() throws(SQLiteStoreError) -> (count: Int, through: Int64) {
        try attempt("reading the central shipping state") {
            try reader.read { db in
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT readings_given_up, readings_given_up_through FROM central_state WHERE id = 1"
                )
                return (row?["readings_given_up"] ?? 0, row?["readings_given_up_through"] ?? 0)
            }
        }
    }

    /// Keeps the backlog after `seq` within `maxRows` rows and `maxAge`: the raw readings of the
    /// oldest batches are given up (they stay in this database, they are only never shipped) until
    /// it fits. Facts, alerts and journeys are never given up. Returns how many readings were.
    public func boundCentralBacklog(after seq: Int64, maxRows: Int, maxAge: Duration?) throws(SQLiteStoreError) -> Int
    {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot bound the backlog")
        }
        let maxAgeMilliseconds = maxAge.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        return try attempt("bounding the central backlog") {
            try writer.write { db in
                let state = try Row.fetchOne(
                    db,
                    sql: "SELECT readings_given_up_through FROM central_state WHERE id = 1"
                )
                var givenUpThrough: Int64 = state?["readings_given_up_through"] ?? 0
                var total: Int = try Int.fetchOne(
                    db,
                    sql: "SELECT coalesce(sum(rows), 0) FROM central_outbox WHERE seq > ?",
                    arguments: [seq]
                ) ?? 0
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seq, readings_through, rows,
                               (julianday('now') - julianday(committed_at)) * 86400000 AS age_ms
                        FROM central_outbox WHERE seq > ? ORDER BY seq
                        """,
                    arguments: [seq]
                )
                var givenUp = 0
                let update = try db.cachedStatement(sql: "UPDATE central_outbox SET rows = rows - ? WHERE seq = ?")
                for row in rows {
                    let age: Double = row["age_ms"]
                    guard total > maxRows || maxAgeMilliseconds.map({ age > $0 }) == true else { break }
                    let through: Int64 = row["readings_through"]
                    let readings = Int(max(0, through - givenUpThrough))
                    givenUpThrough = max(givenUpThrough, through)
                    guard readings > 0 else { continue }
                    let batchRows: Int = row["rows"]
                    let dropped = min(readings, batchRows)
                    try update.execute(arguments: [dropped, row["seq"] as Int64])
                    total -= dropped
                    givenUp += readings
                }
                if givenUp > 0 {
                    try db.execute(
                        sql: """
                            UPDATE central_state SET readings_given_up_through = ?,
                                                     readings_given_up = readings_given_up + ?
                            WHERE id = 1
                            """,
                        arguments: [givenUpThrough, givenUp]
                    )
                }
                return givenUp
            }
        }
    }
}

extension SQLiteStore {
    /// Every row of `table` in its shipped columns, in no particular order (to compare with the
    /// central copy).
    public func shippedColumns(of table: CentralTable) throws(SQLiteStoreError) -> [[CentralValue]] {
        try attempt("reading \(table.rawValue)") {
            try reader.read { db in
                try Row.fetchAll(db, sql: "SELECT \(table.localSelectList) FROM \(table.rawValue)").map { row in
                    (0..<row.count).map { index in
                        // A REAL column may hold a whole number as an integer (SQLite's affinity).
                        switch CentralValue(row[index] as DatabaseValue) {
                        case .integer(let value) where table.columns[index].type == "double precision":
                            .real(Double(value))
                        case let value: value
                        }
                    }
                }
            }
        }
    }
}
