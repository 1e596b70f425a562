import Foundation
import GRDB
public import SortgateCore

/// The embedded default sink: facts go to one SQLite file, in one transaction per batch.
///
/// The database is in WAL mode with `synchronous = NORMAL`: a commit costs no fsync (only
/// checkpoints do, and those run on a thread of their own, `WALCheckpointer`), readers such as
/// `sortgate inventory` or the HTTP API never block the writer,
/// and a power loss can lose only the last few committed batches, never corrupt the file. A
/// process crash loses nothing: the live gateway's ring file holds every message since the
/// recovery point stored here (`ring_state`, written in the batch's own transaction), and a
/// power loss is already bounded by the ring file's writeback (README, "Reliability"). A busy timeout covers the short moments another process holds a lock
/// (a checkpoint, a second gateway opened on the same file by mistake).
///
/// Writes are idempotent, as `FactSink` requires: movements are unique on `(epc, kind, at)`
/// and inserted with `INSERT OR IGNORE`; inventory rows are upserts on `epc`; quarantined
/// messages are unique on `(source, at, reason, payload)`. Replaying the same capture twice into
/// the same file therefore leaves it as one replay did. Every value from a device is bound as
/// a statement argument, never spliced into SQL text.
///
/// The hot path is `write(_:)`, which the pipeline calls from its own thread: it blocks for
/// the transaction, which is what makes "acknowledged once `write` returns" true. Statements
/// are prepared once per connection and reused (GRDB's statement cache); the rows of every batch
/// (movements, inventory, readings) are bound through SQLite's C API from one scratch buffer
/// (`RowStatement`), without a `String` or an argument array per row.
public final class SQLiteStore: FactSink {
    /// The database file.
    public let path: String
    /// The most rows `quarantine` keeps; older ones are deleted after each write (0 for a
    /// read-only store, which never trims).
    public let quarantineLimit: Int

    /// Zone names by `ZoneID.index`; empty for a read-only store, which never maps zone ids.
    let zoneNames: [String]
    let sourceNames: [String]
    /// The alert routes (`mqtt`, `webhook`) that get an outbox row per alert transition.
    public let alertRoutes: [String]
    /// Every batch also records what it changed in `central_outbox`, for the central shipper.
    public let shipsToCentral: Bool
    /// The writer connection's page cache; a bound on memory, used only as pages are touched.
    static let writerCacheKiB = 32 * 1024

    /// Nil for a store opened read-only.
    let writer: DatabasePool?
    /// The hot rows' values are formatted here and bound from here (`RowStatement`).
    let scratch = RowScratch()
    /// Checkpoints the WAL on its own thread, off the commit path; nil for a read-only store.
    let checkpointer: WALCheckpointer?
    /// Reads go through the pool's reader connections (snapshot isolation, concurrent with the
    /// writer), or through a single read-only connection for `openReadOnly(path:)`.
    let reader: any DatabaseReader

    /// Opens (creating if needed, with its parent folders) the database at `path` for writing,
    /// and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - zoneNames: the site's zone names, indexed by `ZoneID.index`, as interned from the config.
    ///   - sourceNames: the device ids, indexed by `SourceID.index` (names the sensors of readings).
    ///   - quarantineLimit: the most rejected messages kept; the oldest are deleted beyond it.
    public init(
        path: String,
        zoneNames: [String],
        sourceNames: [String] = [],
        quarantineLimit: Int = 10_000,
        alertRoutes: [String] = [],
        shipsToCentral: Bool = false
    ) throws(SQLiteStoreError) {
        guard quarantineLimit >= 0 else {
            throw SQLiteStoreError(
                kind: .invalidArgument,
                path: path,
                message: "quarantine limit must be zero or more, got \(quarantineLimit)"
            )
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SQLiteStoreError(
                kind: .databaseError,
                path: path,
                message: "cannot create folder '\(folder.path)': \(error.localizedDescription)"
            )
        }

        var configuration = Configuration()
        configuration.label = "sortgate.sqlite"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL makes NORMAL safe against corruption; FULL would fsync every commit.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Upserts hit random EPC keys all over the inventory B-tree: with SQLite's default
            // 2 MiB page cache most of them re-read pages from the OS. A larger cache on the one
            // writer connection cut the CPU time of a batch by about 15 % (1000 upserts over
            // 200 k tags); readers keep the default.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
            }
        }
        let pool: DatabasePool
        do {
            // DatabasePool switches the file to WAL mode itself.
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.makeMigrator().migrate(pool)
            let walCheckpointer = WALCheckpointer(path: path)
            try pool.writeWithoutTransaction { db in try walCheckpointer.attach(to: db) }
            checkpointer = walCheckpointer
        } catch {
            throw SQLiteStoreError(kind: .databaseError, path: path, message: "cannot open for writing: \(error)")
        }
        self.path = path
        self.zoneNames = zoneNames
        self.sourceNames = sourceNames
        self.alertRoutes = alertRoutes
        self.shipsToCentral = shipsToCentral
        self.quarantineLimit = quarantineLimit
        self.writer = pool
        self.reader = pool
        // A smaller limit than the file was last written with takes effect at once.
        try attempt("trimming the quarantine") {
            try pool.write { db in try Self.trimQuarantine(db, keeping: quarantineLimit) }
        }
    }

    private init(path: String, reader: any DatabaseReader) {
        self.path = path
        self.zoneNames = []
        self.sourceNames = []
        self.alertRoutes = []
        self.shipsToCentral = false
        self.quarantineLimit = 0
        self.writer = nil
        self.checkpointer = nil
        self.reader = reader
    }

    deinit {
        checkpointer?.stopThread()
    }

    /// Opens an existing database for reading only, as the `inventory` and `alerts` commands do
    /// (one connection) and the HTTP API does (`readers` connections reading concurrently).
    ///
    /// With more than one reader the connections form a read-only `DatabasePool`: each read sees
    /// the last committed transaction (WAL snapshot isolation), and none of them ever takes the
    /// write lock, so a request never waits for the pipeline's commit nor delays it. The file must
    /// then be in WAL mode, as every database this sortgate wrote is.
    ///
    /// It never creates a file: a missing database is reported as such, with the commands that
    /// create one. It never migrates either; a database whose schema is older than this
    /// sortgate's is reported, since a reader must not change the file under a running gateway.
    public static func openReadOnly(path: String, readers: Int = 1) throws(SQLiteStoreError) -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SQLiteStoreError(
                kind: .databaseMissing,
                path: path,
                message: "the database does not exist yet; run `sortgate replay` or `sortgate run` first to create it"
            )
        }
        var configuration = Configuration()
        configuration.label = "sortgate.sqlite.readonly"
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = max(1, readers)
        let queue: any DatabaseReader
        let upToDate: Bool
        do {
            queue =
                readers > 1
                ? try DatabasePool(path: path, configuration: configuration)
                : try DatabaseQueue(path: path, configuration: configuration)
            upToDate = try queue.read { db in try makeMigrator().hasCompletedMigrations(db) }
        } catch {
            throw SQLiteStoreError(kind: .databaseError, path: path, message: "cannot open for reading: \(error)")
        }
        guard upToDate else {
            throw SQLiteStoreError(
                kind: .schemaOutdated,
                path: path,
                message: "the database is not a sortgate database or was written by an older sortgate; "
                    + "run `sortgate replay` or `sortgate run` with this version to upgrade it"
            )
        }
        return SQLiteStore(path: path, reader: queue)
    }

    /// Writes one batch in one transaction: all of its facts are committed, or none.
    public func write(_ batch: FactBatch) throws {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot write facts")
        }
        if batch.isEmpty && !(batch.isComplete && batch.ringPosition != nil) { return }
        // Map zone ids to names before opening the transaction, so that a bad id fails the batch
        // without touching the file.
        try checkZones(batch)
        try attempt(
            "writing \(batch.movements.count) movements, \(batch.inventory.count) inventory rows and "
                + "\(batch.quarantine.count) quarantined messages"
        ) {
            try writer.write { db in
                try self.insertMovements(batch.movements, db)
                try self.upsertInventory(batch.inventory, ringPosition: batch.ringPosition, db)
                try self.insertReadings(batch.readings, db)
                try self.upsertAlerts(batch.alerts, db)
                try self.upsertMinutes(batch.minutes, db)
                try self.upsertTransport(batch.transport, db)
                if !batch.quarantine.isEmpty {
                    try Self.insertQuarantine(batch.quarantine, db)
                    try Self.trimQuarantine(db, keeping: self.quarantineLimit)
                }
                if self.shipsToCentral && !batch.isEmpty {
                    try self.recordCentralBatch(batch, db)
                }
                if batch.isComplete, let position = batch.ringPosition {
                    try db.execute(
                        sql: """
                            INSERT INTO ring_state (id, position) VALUES (1, ?)
                            ON CONFLICT (id) DO UPDATE SET position = max(position, excluded.position)
                            """,
                        arguments: [Int64(bitPattern: position)]
                    )
                }
            }
        }
    }

    // MARK: - Writing

    private func checkZones(_ batch: FactBatch) throws(SQLiteStoreError) {
        func check(_ zone: ZoneID?) throws(SQLiteStoreError) {
            guard let zone, zone.index >= zoneNames.count else { return }
            throw SQLiteStoreError(
                kind: .unknownZone,
                path: path,
                message: "a fact names zone id \(zone.rawValue) but the store knows only \(zoneNames.count) zones; "
                    + "the store must be given the same zone names as the pipeline"
            )
        }
        for movement in batch.movements {
            try check(movement.from)
            try check(movement.to)
        }
        for entry in batch.inventory { try check(entry.zone) }
        for alert in batch.alerts {
            try check(alert.zone)
            if case .zone(let zone) = alert.event.subject { try check(zone) }
            if let sensor = alert.sensor ?? { if case .sensor(let s) = alert.event.subject { s } else { nil } }(),
                sensor.index >= sourceNames.count
            {
                throw SQLiteStoreError(
                    kind: .invalidArgument,
                    path: path,
                    message: "an alert names source id \(sensor.rawValue) but the store knows only "
                        + "\(sourceNames.count) devices; the store must be given the pipeline's source names"
                )
            }
        }
        for reading in batch.readings {
            try check(reading.zone)
            guard reading.sensor.index >= sourceNames.count else { continue }
            throw SQLiteStoreError(
                kind: .invalidArgument,
                path: path,
                message: "a reading names source id \(reading.sensor.rawValue) but the store knows only "
                    + "\(sourceNames.count) devices; the store must be given the pipeline's source names"
            )
        }
    }

    private func insertMovements(_ movements: [Movement], _ db: Database) throws {
        if movements.isEmpty { return }
        var statement = RowStatement(
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO movements (epc, kind, from_zone, to_zone, at) VALUES (?, ?, ?, ?, ?)"
            ),
            scratch: scratch
        )
        for movement in movements {
            statement.bind(1, movement.epc)
            statement.bind(2, movement.kind.rawValue)
            statement.bind(3, movement.from.map { zoneNames[$0.index] })
            statement.bind(4, movement.to.map { zoneNames[$0.index] })
            statement.bind(5, movement.at)
            try statement.step(db)
        }
    }

    private func upsertInventory(_ entries: [InventoryEntry], ringPosition: UInt64?, _ db: Database) throws {
        if entries.isEmpty { return }
        // The batch carries each changed row in full. Two guards keep the row right when facts
        // arrive out of order across runs (an older capture replayed into a newer database):
        // a row is only replaced by one seen at least as late, and `first_seen` only moves back.
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO inventory (epc, scheme, uri, zone, status, first_seen, zone_since, last_seen, reads,
                    ring_position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (epc) DO UPDATE SET
                    scheme = excluded.scheme,
                    uri = excluded.uri,
                    zone = excluded.zone,
                    status = excluded.status,
                    first_seen = min(inventory.first_seen, excluded.first_seen),
                    zone_since = excluded.zone_since,
                    last_seen = excluded.last_seen,
                    reads = excluded.reads,
                    ring_position = excluded.ring_position
                WHERE excluded.last_seen >= inventory.last_seen
                """
        )
        var row = RowStatement(statement, scratch: scratch)
        let position = ringPosition.map { Int64(bitPattern: $0) }
        for entry in entries {
            let (scheme, uri) = entry.epc.schemeAndURI
            row.bind(1, entry.epc)
            row.bind(2, scheme)
            row.bind(3, uri)
            row.bind(4, zoneNames[entry.zone.index])
            row.bind(5, entry.status.rawValue)
            row.bind(6, entry.firstSeen)
            row.bind(7, entry.zoneSince)
            row.bind(8, entry.lastSeen)
            row.bind(9, Int64(clamping: entry.reads))
            row.bind(10, position)
            try row.step(db)
        }
    }

    private func upsertAlerts(_ alerts: [AlertFact], _ db: Database) throws {
        if alerts.isEmpty { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO alerts (id, kind, subject, sensor, zone, class, container, started_at, confirmed_at,
                                    cleared_at, peak_celsius, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    zone = coalesce(excluded.zone, alerts.zone),
                    cleared_at = excluded.cleared_at,
                    peak_celsius = excluded.peak_celsius,
                    status = CASE alerts.status WHEN 'acknowledged' THEN 'acknowledged' ELSE excluded.status END
                """
        )
        for fact in alerts {
            let event = fact.event
            let subject: String
            switch event.subject {
            case .sensor(let sensor): subject = "sensor:" + sourceNames[sensor.index]
            case .zone(let zone): subject = "zone:" + zoneNames[zone.index]
            case .container(let epc): subject = "container:" + epc.hex
            }
            try statement.execute(arguments: [
                event.id.fingerprintHex,
                event.kind.rawValue,
                subject,
                fact.sensor.map { sourceNames[$0.index] },
                fact.zone.map { zoneNames[$0.index] },
                fact.className,
                fact.container?.hex,
                event.startedAt.rfc3339,
                event.confirmedAt.rfc3339,
                event.clearedAt?.rfc3339,
                event.peakCelsius,
                event.clearedAt == nil ? "active" : "cleared",
            ])
            guard !alertRoutes.isEmpty else { continue }
            let outbox = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO alert_outbox (route, alert_id, transition, payload, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """
            )
            let payload = AlertNotification(
                fact,
                subject: subject,
                sensor: fact.sensor.map { sourceNames[$0.index] },
                zone: fact.zone.map { zoneNames[$0.index] }
            ).json
            for route in alertRoutes {
                try outbox.execute(arguments: [
                    route, event.id.fingerprintHex, event.transition.rawValue, payload, event.at.rfc3339,
                ])
            }
        }
    }

    private func upsertMinutes(
        _ minutes: [(aggregate: MinuteAggregate, sensor: SourceID, zone: ZoneID?)],
        _ db: Database
    ) throws {
        if minutes.isEmpty { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO reading_minutes
                    (sensor, zone, minute, count, min_celsius, avg_celsius, max_celsius)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        )
        for (aggregate, sensor, zone) in minutes where sensor.index < sourceNames.count {
            try statement.execute(arguments: [
                sourceNames[sensor.index],
                zone.map { zoneNames[$0.index] },
                aggregate.minute.rfc3339,
                aggregate.count,
                aggregate.minCelsius,
                aggregate.meanCelsius,
                aggregate.maxCelsius,
            ])
        }
    }

    private func insertReadings(_ readings: [ReadingFact], _ db: Database) throws {
        if readings.isEmpty { return }
        var statement = RowStatement(
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO readings (sensor, zone, at, celsius) VALUES (?, ?, ?, ?)"
            ),
            scratch: scratch
        )
        for reading in readings {
            statement.bind(1, sourceNames[reading.sensor.index])
            statement.bind(2, reading.zone.map { zoneNames[$0.index] })
            statement.bind(3, reading.at)
            statement.bind(4, reading.celsius)
            try statement.step(db)
        }
    }

    private static func insertQuarantine(_ messages: [QuarantinedMessage], _ db: Database) throws {
        // An empty `Data` may have no base address, which SQLite binds as NULL and the NOT NULL
        // column would refuse; `coalesce` stores an empty payload as the empty blob on every platform.
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO quarantine (source, at, reason, detail, payload)
                VALUES (?, ?, ?, ?, coalesce(?, x''))
                """
        )
        for message in messages {
            try statement.execute(arguments: [
                message.source,
                message.at.rfc3339,
                message.reason.rawValue,
                message.detail,
                Data(message.payload),
            ])
        }
    }

    /// Deletes all but the newest `limit` rows, by id (insertion order).
    static func trimQuarantine(_ db: Database, keeping limit: Int) throws {
        // The subquery finds the newest row that falls outside the limit (NULL when there is none,
        // which deletes nothing); walking the id index from the top is cheap for the default limit.
        try db.cachedStatement(
            sql: """
                DELETE FROM quarantine
                WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC LIMIT 1 OFFSET ?)
                """
        ).execute(arguments: [limit])
    }

    // MARK: - Errors

    /// Runs `body`, turning any SQLite error into a `SQLiteStoreError` that names the file and
    /// the operation. GRDB's messages carry the SQL text but not its arguments (device data).
    func attempt<T>(_ operation: String, _ body: () throws -> T) throws(SQLiteStoreError) -> T {
        do {
            return try body()
        } catch let error as SQLiteStoreError {
            throw error
        } catch {
            throw SQLiteStoreError(kind: .databaseError, path: path, message: "\(operation) failed: \(error)")
        }
    }
}
