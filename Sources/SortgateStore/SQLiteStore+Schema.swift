import GRDB

extension SQLiteStore {
    /// The schema, as migrations applied in order and recorded in GRDB's `grdb_migrations` table.
    ///
    /// Applied migrations are never edited: later tables (`readings`, `alerts`, `transport`,
    /// `shipments`) and column changes arrive as new migrations appended here, so a database
    /// written by an older gateway is upgraded in place when a newer one opens it for writing.
    /// Table and column names are a contract shared with the PostgreSQL sink and with scripts.
    static func makeMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-inventory-movements-quarantine") { db in
            // Times are RFC 3339 text with nine fraction digits in UTC, so text order is time order
            // and `ORDER BY at` needs no conversion. Lookups of one EPC's movements use the index
            // SQLite builds for UNIQUE (epc, kind, at); a second index led by epc would cost every
            // insert another random-key B-tree write (about a quarter of the batch write time).
            // `movements_at` is cheap: event times arrive nearly in order, so it is appended to.
            try db.execute(
                sql: """
                    CREATE TABLE inventory (
                        epc TEXT PRIMARY KEY NOT NULL,
                        scheme TEXT NOT NULL,
                        uri TEXT,
                        zone TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('present', 'departed')),
                        first_seen TEXT NOT NULL,
                        zone_since TEXT NOT NULL,
                        last_seen TEXT NOT NULL,
                        reads INTEGER NOT NULL
                    );
                    CREATE INDEX inventory_zone ON inventory (zone);

                    CREATE TABLE movements (
                        id INTEGER PRIMARY KEY,
                        epc TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('arrival', 'move', 'departure')),
                        from_zone TEXT,
                        to_zone TEXT,
                        at TEXT NOT NULL,
                        UNIQUE (epc, kind, at)
                    );
                    CREATE INDEX movements_at ON movements (at);

                    CREATE TABLE quarantine (
                        id INTEGER PRIMARY KEY,
                        source TEXT NOT NULL,
                        at TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        UNIQUE (source, at, reason, payload)
                    );
                    """
            )
        }
        migrator.registerMigration("v2-readings") { db in
            // One row per sensor sample; (sensor, at) is unique so a replayed poll changes nothing.
            // Readers look up a sensor's or a zone's history over a time range.
            try db.execute(
                sql: """
                    CREATE TABLE readings (
                        id INTEGER PRIMARY KEY,
                        sensor TEXT NOT NULL,
                        zone TEXT,
                        at TEXT NOT NULL,
                        celsius REAL NOT NULL,
                        UNIQUE (sensor, at)
                    );
                    CREATE INDEX readings_zone_at ON readings (zone, at);
                    """
            )
        }
        migrator.registerMigration("v3-alerts") { db in
            // One row per alert; `id` is the alert's deterministic id (kind, subject, start), so a
            // replay updates the same rows. An operator's acknowledgement survives later updates.
            try db.execute(
                sql: """
                    CREATE TABLE alerts (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL
                            CHECK (kind IN ('excursion-high', 'excursion-low', 'cumulative', 'sensor-offline')),
                        subject TEXT NOT NULL,
                        sensor TEXT,
                        zone TEXT,
                        class TEXT,
                        container TEXT,
                        started_at TEXT NOT NULL,
                        confirmed_at TEXT NOT NULL,
                        cleared_at TEXT,
                        peak_celsius REAL,
                        status TEXT NOT NULL CHECK (status IN ('active', 'cleared', 'acknowledged')),
                        acknowledged_at TEXT
                    );
                    CREATE INDEX alerts_status ON alerts (status, confirmed_at);
                    """
            )
        }
        migrator.registerMigration("v4-alert-outbox") { db in
            // The durable outbox of alert notifications: one row per (transition, route), written in
            // the same transaction as the alert itself, deleted only when the route acknowledged it
            // (PUBACK, HTTP 2xx). `seq` orders deliveries per route.
            try db.execute(
                sql: """
                    CREATE TABLE alert_outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        route TEXT NOT NULL,
                        alert_id TEXT NOT NULL,
                        transition TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (route, alert_id, transition, payload)
                    );
                    """
            )
        }
        migrator.registerMigration("v5-reading-minutes") { db in
            // Per-minute min/avg/max of each sensor: what charts and year-long queries read, while
            // `readings` keeps full resolution for excursions.
            try db.execute(
                sql: """
                    CREATE TABLE reading_minutes (
                        sensor TEXT NOT NULL,
                        zone TEXT,
                        minute TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        min_celsius REAL NOT NULL,
                        avg_celsius REAL NOT NULL,
                        max_celsius REAL NOT NULL,
                        PRIMARY KEY (sensor, minute)
                    );
                    """
            )
        }
        migrator.registerMigration("v6-container-readings-view") { db in
            // Where each container (SSCC or GRAI) was and what temperatures it had there, from the
            // database alone: each arrival or move opens a stay in a zone, the container's next
            // movement (a move, or its departure dated its last read) closes it, and the stay gets
            // the readings of that zone's sensors in between.
            try db.execute(
                sql: """
                    CREATE VIEW container_readings AS
                    SELECT m.epc AS container, m.to_zone AS zone, m.at AS zone_since, r.sensor, r.at, r.celsius
                    FROM movements m
                    JOIN inventory i ON i.epc = m.epc AND i.scheme IN ('sscc-96', 'grai-96', 'grai-170')
                    JOIN readings r ON r.zone = m.to_zone AND r.at >= m.at
                        AND r.at < coalesce(
                            (SELECT min(n.at) FROM movements n WHERE n.epc = m.epc AND n.at > m.at),
                            '9999-12-31T23:59:59.999999999Z'
                        )
                    WHERE m.kind IN ('arrival', 'move');
                    """
            )
        }
        migrator.registerMigration("v7-transport-shipments-manifests") { db in
            try db.execute(sql: SQLiteStore.transportSchema)
        }
        migrator.registerMigration("v8-ring-position") { db in
            // The live gateway's recovery point (see `SQLiteStore.ringPosition()`), and per
            // inventory row the ring position its last write reflected, so that re-processing
            // the ring after a crash never counts a read twice for a row written since.
            try db.execute(
                sql: """
                    CREATE TABLE ring_state (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        position INTEGER NOT NULL
                    );
                    ALTER TABLE inventory ADD COLUMN ring_position INTEGER;
                    """
            )
        }
        migrator.registerMigration("v9-central-outbox") { db in
            try db.execute(sql: SQLiteStore.centralOutboxSchema)
        }
        migrator.registerMigration("v10-central-manifests-quarantine") { db in
            try db.execute(sql: SQLiteStore.centralOutboxManifestsQuarantine)
        }
        migrator.registerMigration("v11-central-manifests-backfill") { db in
            try db.execute(sql: SQLiteStore.centralManifestsBackfill)
        }
        migrator.registerMigration("v12-inventory-zone-epc") { db in
            // The inventory is listed by zone then EPC (the HTTP API's pages, `sortgate inventory`):
            // with EPC in the index, a page is an index range read up to its limit instead of a
            // sort of the whole zone (or of the whole table, for the first page).
            try db.execute(
                sql: """
                    DROP INDEX inventory_zone;
                    CREATE INDEX inventory_zone_epc ON inventory (zone, epc);
                    """
            )
        }
        return migrator
    }
}
