import Foundation
import GRDB
import SortgateCore
import SortgateStore
import Testing

/// Zone names as the config would intern them: `ZoneID(0)` is `dock-in-3`, and so on.
private let zones = ["dock-in-3", "sorter-1", "chute-12"]
private let dock = ZoneID(0)
private let sorter = ZoneID(1)
private let chute = ZoneID(2)

private func time(_ text: String) throws -> EventTime { try EventTime(rfc3339: text) }

/// Runs `body` with a database path inside a fresh temporary folder, removed afterwards.
private func withDatabasePath<T>(_ body: (String) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("sortgate-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder.appendingPathComponent("sortgate.sqlite").path)
}

/// Reads the file the way another tool would: its own connection, no sortgate code.
private func rawRows(_ path: String, _ sql: String, _ arguments: [String?] = []) throws -> [Row] {
    var configuration = Configuration()
    configuration.readonly = true
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    return try queue.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
}

private func quarantined(_ source: String, _ at: String, payload: [UInt8] = Array("{".utf8)) throws
    -> QuarantinedMessage
{
    QuarantinedMessage(
        source: source,
        at: try time(at),
        reason: .malformedJSON,
        detail: "unexpected end of input at offset \(payload.count)",
        payload: payload
    )
}

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    let epc: EPC
    let otherEPC: EPC

    init() throws {
        epc = try EPC(hex: "3034257bf7194e4000001a85")
        otherEPC = try EPC(hex: "3114257BF7194E4000001A86")
    }

    /// A batch with an arrival at the dock, a move to the sorter and a departure from it.
    private func journeyBatch() throws -> FactBatch {
        FactBatch(
            movements: [
                Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: try time("2026-11-28T08:00:00.123456789Z")),
                Movement(epc: epc, kind: .move, from: dock, to: sorter, at: try time("2026-11-28T08:01:30.5Z")),
                Movement(epc: epc, kind: .departure, from: sorter, to: nil, at: try time("2026-11-28T08:02:00Z")),
            ],
            inventory: [
                InventoryEntry(
                    epc: epc,
                    zone: sorter,
                    status: .departed,
                    firstSeen: try time("2026-11-28T08:00:00.123456789Z"),
                    zoneSince: try time("2026-11-28T08:01:30.5Z"),
                    lastSeen: try time("2026-11-28T08:02:00Z"),
                    reads: 42
                )
            ],
            quarantine: [try quarantined("dock3-reader", "2026-11-28T08:00:01Z")]
        )
    }

    @Test("the migrations create exactly the sixteen tables, the view, their columns and indexes, in WAL mode")
    func schema() throws {
        try withDatabasePath { path in
            _ = try SQLiteStore(path: path, zoneNames: zones)
            let tables = try rawRows(
                path,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).map { $0["name"] as String }
            #expect(
                tables == [
                    "alert_outbox", "alerts", "central_outbox", "central_state", "grdb_migrations", "inventory",
                    "manifest_containers", "manifest_generation", "manifest_items", "movements", "quarantine",
                    "reading_minutes", "readings", "ring_state", "shipments", "transport", "transport_anomalies",
                ]
            )

            func columns(_ table: String) throws -> [String] {
                try rawRows(path, "PRAGMA table_info(\(table))").map { row in
                    let notNull: Bool = row["notnull"]
                    let key: Int = row["pk"]
                    return "\(row["name"] as String) \(row["type"] as String)\(notNull ? " NOT NULL" : "")"
                        + (key > 0 ? " PK" : "")
                }
            }
            #expect(
                try columns("inventory") == [
                    "epc TEXT NOT NULL PK", "scheme TEXT NOT NULL", "uri TEXT", "zone TEXT NOT NULL",
                    "status TEXT NOT NULL", "first_seen TEXT NOT NULL", "zone_since TEXT NOT NULL",
                    "last_seen TEXT NOT NULL", "reads INTEGER NOT NULL", "ring_position INTEGER",
                ]
            )
            #expect(
                try columns("movements") == [
                    "id INTEGER PK", "epc TEXT NOT NULL", "kind TEXT NOT NULL", "from_zone TEXT", "to_zone TEXT",
                    "at TEXT NOT NULL",
                ]
            )
            #expect(
                try columns("quarantine") == [
                    "id INTEGER PK", "source TEXT NOT NULL", "at TEXT NOT NULL", "reason TEXT NOT NULL",
                    "detail TEXT NOT NULL", "payload BLOB NOT NULL",
                ]
            )
            #expect(
                try columns("readings") == [
                    "id INTEGER PK", "sensor TEXT NOT NULL", "zone TEXT", "at TEXT NOT NULL", "celsius REAL NOT NULL",
                ]
            )
            #expect(
                try columns("alerts") == [
                    "id TEXT NOT NULL PK", "kind TEXT NOT NULL", "subject TEXT NOT NULL", "sensor TEXT", "zone TEXT",
                    "class TEXT", "container TEXT", "started_at TEXT NOT NULL", "confirmed_at TEXT NOT NULL",
                    "cleared_at TEXT", "peak_celsius REAL", "status TEXT NOT NULL", "acknowledged_at TEXT",
                ]
            )
            let indexes = try rawRows(
                path,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'"
                    + " ORDER BY name"
            ).map { $0["name"] as String }
            #expect(
                indexes == [
                    "alerts_status", "inventory_zone_epc", "manifest_containers_shipment", "manifest_items_container",
                    "movements_at", "readings_zone_at", "transport_shipment", "transport_uri",
                ]
            )
            #expect(
                try columns("transport") == [
                    "container TEXT NOT NULL PK", "uri TEXT", "shipment TEXT", "status TEXT NOT NULL", "zone TEXT",
                    "zone_since TEXT", "destination TEXT", "received_at TEXT", "sorted_at TEXT", "sorted_to TEXT",
                    "loaded_at TEXT", "departed_at TEXT", "anomalies TEXT NOT NULL", "min_celsius REAL",
                    "max_celsius REAL", "minutes_out_of_range REAL", "items INTEGER NOT NULL",
                ]
            )
            // The read queries are index searches, not table scans.
            func plan(_ sql: String) throws -> [String] {
                try rawRows(path, "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }
            }
            func plan(_ query: FactQuery) throws -> [String] {
                try rawRows(path, "EXPLAIN QUERY PLAN " + query.sqliteSQL, query.arguments).map { $0["detail"] as String }
            }
            // (Older SQLite versions say "SEARCH TABLE movements …", hence the suffix match.)
            let movementsPlan = try plan("SELECT * FROM movements WHERE epc = 'AA' ORDER BY at, id")
            #expect(movementsPlan.first?.hasSuffix("USING INDEX sqlite_autoindex_movements_1 (epc=?)") == true)
            // An inventory page (the HTTP API's, `sortgate inventory`'s) reads its index range in
            // order, never sorting a zone or the whole table.
            let firstPage = try plan(FactQueries.inventory(InventoryQuery(limit: 101)))
            #expect(firstPage == ["SCAN inventory USING INDEX inventory_zone_epc"])
            let zonePage = try plan(FactQueries.inventory(InventoryQuery(zone: "z", limit: 101)))
            #expect(zonePage.count == 1 && zonePage[0].hasSuffix("USING INDEX inventory_zone_epc (zone=?)"))
            let nextPage = try plan(
                FactQueries.inventory(InventoryQuery(after: .init(zone: "z", epc: "AA"), limit: 101))
            )
            #expect(nextPage.count == 1 && nextPage[0].hasSuffix("USING INDEX inventory_zone_epc ((zone,epc)>(?,?))"))
            let migrations = try rawRows(path, "SELECT identifier FROM grdb_migrations").map { $0[0] as String }
            #expect(
                migrations == [
                    "v1-inventory-movements-quarantine", "v2-readings", "v3-alerts", "v4-alert-outbox",
                    "v5-reading-minutes", "v6-container-readings-view", "v7-transport-shipments-manifests",
                    "v8-ring-position", "v9-central-outbox", "v10-central-manifests-quarantine",
                    "v11-central-manifests-backfill", "v12-inventory-zone-epc",
                ]
            )
            #expect(try rawRows(path, "PRAGMA journal_mode").map { $0[0] as String } == ["wal"])
        }
    }

    @Test("the schema refuses statuses and kinds outside the contract")
    func checkConstraints() throws {
        try withDatabasePath { path in
            _ = try SQLiteStore(path: path, zoneNames: zones)
            let queue = try DatabaseQueue(path: path)
            #expect(throws: DatabaseError.self) {
                try queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO inventory VALUES ('AA', 'raw', NULL, 'z', 'lost', 't', 't', 't', 1)"
                    )
                }
            }
            #expect(throws: DatabaseError.self) {
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO movements (epc, kind, at) VALUES ('AA', 'teleport', 't')")
                }
            }
            #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inventory") } == 0)
        }
    }

    @Test("a batch becomes exactly these rows: nine-digit UTC times, NULL zones at the ends of a journey")
    func writeBatch() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            try store.write(try journeyBatch())

            let decoded = epc.schemeAndURI
            #expect(
                try store.inventory() == [
                    InventoryRecord(
                        epc: "3034257BF7194E4000001A85",
                        scheme: decoded.scheme,
                        uri: decoded.uri,
                        zone: "sorter-1",
                        status: "departed",
                        firstSeen: "2026-11-28T08:00:00.123456789Z",
                        zoneSince: "2026-11-28T08:01:30.500000000Z",
                        lastSeen: "2026-11-28T08:02:00.000000000Z",
                        reads: 42
                    )
                ]
            )
            #expect(
                try store.movements() == [
                    MovementRecord(
                        id: 1,
                        epc: "3034257BF7194E4000001A85",
                        kind: "arrival",
                        fromZone: nil,
                        toZone: "dock-in-3",
                        at: "2026-11-28T08:00:00.123456789Z"
                    ),
                    MovementRecord(
                        id: 2,
                        epc: "3034257BF7194E4000001A85",
                        kind: "move",
                        fromZone: "dock-in-3",
                        toZone: "sorter-1",
                        at: "2026-11-28T08:01:30.500000000Z"
                    ),
                    MovementRecord(
                        id: 3,
                        epc: "3034257BF7194E4000001A85",
                        kind: "departure",
                        fromZone: "sorter-1",
                        toZone: nil,
                        at: "2026-11-28T08:02:00.000000000Z"
                    ),
                ]
            )
            #expect(
                try store.quarantined() == [
                    QuarantineRecord(
                        id: 1,
                        source: "dock3-reader",
                        at: "2026-11-28T08:00:01.000000000Z",
                        reason: "malformed-json",
                        detail: "unexpected end of input at offset 1",
                        payload: [0x7B]
                    )
                ]
            )
            // The absent zones are SQL NULLs, not empty strings, for tools that query the file.
            let nulls = try rawRows(
                path,
                "SELECT kind, typeof(from_zone) AS f, typeof(to_zone) AS t FROM movements ORDER BY id"
            ).map { "\($0["kind"] as String):\($0["f"] as String):\($0["t"] as String)" }
            #expect(nulls == ["arrival:null:text", "move:text:text", "departure:text:null"])
        }
    }

    @Test("writing the same batch twice leaves the same rows")
    func idempotent() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            let batch = try journeyBatch()
            try store.write(batch)
            let inventory = try store.inventory()
            let movements = try store.movements()
            let quarantine = try store.quarantined()
            try store.write(batch)
            #expect(try store.inventory() == inventory)
            #expect(try store.movements() == movements)
            #expect(try store.quarantined() == quarantine)
            #expect(try store.movements().map(\.id) == [1, 2, 3])
            #expect(try store.quarantineCount() == 1)
        }
    }

    @Test("an inventory upsert replaces zone, status, zone_since, last_seen and reads, keeping first_seen")
    func upsert() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            var entry = InventoryEntry(
                epc: epc,
                zone: dock,
                status: .present,
                firstSeen: try time("2026-11-28T08:00:00Z"),
                zoneSince: try time("2026-11-28T08:00:00Z"),
                lastSeen: try time("2026-11-28T08:00:05Z"),
                reads: 3
            )
            try store.write(FactBatch(inventory: [entry]))
            entry.zone = chute
            entry.status = .departed
            entry.zoneSince = try time("2026-11-28T08:10:00Z")
            entry.lastSeen = try time("2026-11-28T08:12:00.000000001Z")
            entry.reads = 250
            try store.write(FactBatch(inventory: [entry]))

            let rows = try store.inventory()
            #expect(rows.count == 1)
            #expect(rows.first?.zone == "chute-12")
            #expect(rows.first?.status == "departed")
            #expect(rows.first?.firstSeen == "2026-11-28T08:00:00.000000000Z")
            #expect(rows.first?.zoneSince == "2026-11-28T08:10:00.000000000Z")
            #expect(rows.first?.lastSeen == "2026-11-28T08:12:00.000000001Z")
            #expect(rows.first?.reads == 250)
        }
    }

    @Test("a row seen earlier than the stored one (an older capture replayed) does not roll it back")
    func staleUpsertIgnored() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            let newer = InventoryEntry(
                epc: epc,
                zone: chute,
                status: .present,
                firstSeen: try time("2026-11-28T09:00:00Z"),
                zoneSince: try time("2026-11-28T09:30:00Z"),
                lastSeen: try time("2026-11-28T09:45:00Z"),
                reads: 9
            )
            let older = InventoryEntry(
                epc: epc,
                zone: dock,
                status: .present,
                firstSeen: try time("2026-11-28T08:00:00Z"),
                zoneSince: try time("2026-11-28T08:00:00Z"),
                lastSeen: try time("2026-11-28T08:05:00Z"),
                reads: 2
            )
            try store.write(FactBatch(inventory: [newer]))
            try store.write(FactBatch(inventory: [older]))
            let row = try #require(try store.inventory().first)
            #expect(row.zone == "chute-12")
            #expect(row.lastSeen == "2026-11-28T09:45:00.000000000Z")
            #expect(row.reads == 9)
        }
    }

    @Test("inventory(zone:) filters by zone name; rows are ordered by zone, then EPC")
    func inventoryOrderAndFilter() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            let at = try time("2026-11-28T08:00:00Z")
            func entry(_ hex: String, _ zone: ZoneID) throws -> InventoryEntry {
                InventoryEntry(
                    epc: try EPC(hex: hex),
                    zone: zone,
                    status: .present,
                    firstSeen: at,
                    zoneSince: at,
                    lastSeen: at,
                    reads: 1
                )
            }
            try store.write(
                FactBatch(inventory: [
                    try entry("BB", sorter), try entry("CC", dock), try entry("AA", sorter), try entry("DD", chute),
                ])
            )
            #expect(
                try store.inventory().map { "\($0.zone)/\($0.epc)" } == [
                    "chute-12/DD", "dock-in-3/CC", "sorter-1/AA", "sorter-1/BB",
                ]
            )
            #expect(try store.inventory(zone: "sorter-1").map(\.epc) == ["AA", "BB"])
            #expect(try store.inventory(zone: "nowhere").isEmpty)
        }
    }

    @Test("movements(epc:) returns one EPC's movements in time order")
    func movementsOfOneEPC() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            try store.write(
                FactBatch(movements: [
                    Movement(epc: otherEPC, kind: .arrival, from: nil, to: chute, at: try time("2026-11-28T07:00:00Z")),
                    Movement(epc: epc, kind: .move, from: dock, to: sorter, at: try time("2026-11-28T08:05:00Z")),
                    Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: try time("2026-11-28T08:00:00Z")),
                ])
            )
            #expect(try store.movements(epc: "3034257BF7194E4000001A85").map(\.kind) == ["arrival", "move"])
            #expect(
                try store.movements().map(\.epc) == [
                    "3114257BF7194E4000001A86", "3034257BF7194E4000001A85", "3034257BF7194E4000001A85",
                ]
            )
        }
    }

    @Test("the quarantine keeps exactly the newest N rows, also when reopened with a smaller limit")
    func quarantineTrim() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones, quarantineLimit: 3)
            try store.write(
                FactBatch(quarantine: try (1...5).map { try quarantined("reader-\($0)", "2026-11-28T08:00:0\($0)Z") })
            )
            #expect(try store.quarantineCount() == 3)
            #expect(try store.quarantined().map(\.source) == ["reader-5", "reader-4", "reader-3"])
            #expect(try store.quarantined().map(\.id) == [5, 4, 3])

            try store.write(FactBatch(quarantine: [try quarantined("reader-6", "2026-11-28T08:00:06Z")]))
            #expect(try store.quarantined().map(\.source) == ["reader-6", "reader-5", "reader-4"])
            #expect(try store.quarantined(limit: 2).map(\.source) == ["reader-6", "reader-5"])

            let smaller = try SQLiteStore(path: path, zoneNames: zones, quarantineLimit: 1)
            #expect(try smaller.quarantineCount() == 1)
            #expect(try smaller.quarantined().map(\.source) == ["reader-6"])
        }
    }

    @Test("payloads are stored as the exact bytes, including NUL, invalid UTF-8 and the empty payload")
    func payloadBytes() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            let binary: [UInt8] = [0x00, 0xFF, 0xFE, 0x7B, 0x22, 0x00, 0xC3, 0x28, 0x80]
            try store.write(
                FactBatch(quarantine: [
                    try quarantined("modbus-1", "2026-11-28T08:00:00Z", payload: binary),
                    try quarantined("modbus-2", "2026-11-28T08:00:00Z", payload: []),
                ])
            )
            #expect(try store.quarantined().map(\.payload) == [[], binary])
            let stored = try rawRows(path, "SELECT typeof(payload) AS t, hex(payload) AS h FROM quarantine ORDER BY id")
                .map { "\($0["t"] as String):\($0["h"] as String)" }
            #expect(stored == ["blob:00FFFE7B2200C32880", "blob:"])
        }
    }

    @Test("a device string containing SQL is stored verbatim and executes nothing")
    func sqlInjection() throws {
        try withDatabasePath { path in
            let hostile = "'); DROP TABLE inventory;--"
            let store = try SQLiteStore(path: path, zoneNames: [hostile])
            let at = try time("2026-11-28T08:00:00Z")
            try store.write(
                FactBatch(
                    movements: [Movement(epc: epc, kind: .arrival, from: nil, to: ZoneID(0), at: at)],
                    inventory: [
                        InventoryEntry(
                            epc: epc,
                            zone: ZoneID(0),
                            status: .present,
                            firstSeen: at,
                            zoneSince: at,
                            lastSeen: at,
                            reads: 1
                        )
                    ],
                    quarantine: [
                        QuarantinedMessage(
                            source: hostile,
                            at: at,
                            reason: .unknownSource,
                            detail: hostile,
                            payload: Array(hostile.utf8)
                        )
                    ]
                )
            )
            #expect(try store.inventory().map(\.zone) == [hostile])
            #expect(try store.inventory(zone: hostile).count == 1)
            #expect(try store.movements().map(\.toZone) == [hostile])
            let message = try #require(try store.quarantined().first)
            #expect(message.source == hostile)
            #expect(message.detail == hostile)
            #expect(message.payload == Array(hostile.utf8))
            let tables = try rawRows(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .map { $0["name"] as String }
            // sqlite_sequence is SQLite's own, for the outbox's AUTOINCREMENT.
            #expect(
                tables == [
                    "alert_outbox", "alerts", "central_outbox", "central_state", "grdb_migrations", "inventory",
                    "manifest_containers", "manifest_generation", "manifest_items", "movements", "quarantine",
                    "reading_minutes", "readings", "ring_state", "shipments", "sqlite_sequence", "transport",
                    "transport_anomalies",
                ]
            )
        }
    }

    @Test("a fact naming a zone id without a name fails the whole batch and writes nothing")
    func unknownZone() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path, zoneNames: zones)
            let at = try time("2026-11-28T08:00:00Z")
            let batch = FactBatch(movements: [
                Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: at),
                Movement(epc: epc, kind: .move, from: dock, to: ZoneID(7), at: at + .seconds(1)),
            ])
            let error = try #require(throws: SQLiteStoreError.self) { try store.write(batch) }
            #expect(error.kind == .unknownZone)
            #expect(error.description.contains("zone id 7"))
            #expect(try store.movements().isEmpty)
        }
    }

    @Test("parent folders of the database are created")
    func createsFolders() throws {
        try withDatabasePath { path in
            let nested = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent("var/lib/sortgate/site.sqlite").path
            let store = try SQLiteStore(path: nested, zoneNames: zones)
            #expect(store.path == nested)
            #expect(FileManager.default.fileExists(atPath: nested))
            #expect(try store.quarantineCount() == 0)
        }
    }

    @Test("openReadOnly on a missing file says to run replay or run first, and creates nothing")
    func readOnlyMissing() throws {
        try withDatabasePath { path in
            let error = try #require(throws: SQLiteStoreError.self) { try SQLiteStore.openReadOnly(path: path) }
            #expect(error.kind == .databaseMissing)
            #expect(
                error.description
                    == "database '\(path)': the database does not exist yet; "
                    + "run `sortgate replay` or `sortgate run` first to create it"
            )
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("openReadOnly reads what a writer wrote, and refuses to write")
    func readOnlyReads() throws {
        try withDatabasePath { path in
            let writer = try SQLiteStore(path: path, zoneNames: zones)
            try writer.write(try journeyBatch())
            let reader = try SQLiteStore.openReadOnly(path: path)
            #expect(try reader.inventory() == writer.inventory())
            #expect(try reader.movements().count == 3)
            #expect(try reader.quarantineCount() == 1)
            let error = try #require(throws: SQLiteStoreError.self) { try reader.write(try journeyBatch()) }
            #expect(error.kind == .readOnly)
        }
    }

    @Test("openReadOnly reads a database whose writer has closed (no -wal or -shm file left)")
    func readOnlyAfterWriterClosed() throws {
        try withDatabasePath { path in
            do {
                let writer = try SQLiteStore(path: path, zoneNames: zones)
                try writer.write(try journeyBatch())
            }
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            let reader = try SQLiteStore.openReadOnly(path: path)
            #expect(try reader.inventory().map(\.epc) == ["3034257BF7194E4000001A85"])
            #expect(try reader.movements().map(\.kind) == ["arrival", "move", "departure"])
        }
    }

    @Test("openReadOnly refuses a file without the sortgate schema")
    func readOnlyForeignFile() throws {
        try withDatabasePath { path in
            try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
            let error = try #require(throws: SQLiteStoreError.self) { try SQLiteStore.openReadOnly(path: path) }
            #expect(error.kind == .schemaOutdated)
        }
    }

    @Test("records encode to JSON with the column names as keys and NULLs as null")
    func jsonKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let inventory = InventoryRecord(
            epc: "AA",
            scheme: "raw",
            uri: nil,
            zone: "dock-in-3",
            status: "present",
            firstSeen: "2026-11-28T08:00:00.000000000Z",
            zoneSince: "2026-11-28T08:00:00.000000000Z",
            lastSeen: "2026-11-28T08:00:01.000000000Z",
            reads: 2
        )
        #expect(
            String(decoding: try encoder.encode(inventory), as: UTF8.self)
                == #"{"epc":"AA","first_seen":"2026-11-28T08:00:00.000000000Z","last_seen":"#
                + #""2026-11-28T08:00:01.000000000Z","reads":2,"scheme":"raw","status":"present","uri":null,"#
                + #""zone":"dock-in-3","zone_since":"2026-11-28T08:00:00.000000000Z"}"#
        )
        let movement = MovementRecord(id: 1, epc: "AA", kind: "arrival", fromZone: nil, toZone: "dock-in-3", at: "t")
        #expect(
            String(decoding: try encoder.encode(movement), as: UTF8.self)
                == #"{"at":"t","epc":"AA","from_zone":null,"id":1,"kind":"arrival","to_zone":"dock-in-3"}"#
        )
        #expect(try JSONDecoder().decode(InventoryRecord.self, from: encoder.encode(inventory)) == inventory)
        #expect(try JSONDecoder().decode(MovementRecord.self, from: encoder.encode(movement)) == movement)
    }
}

@Suite("SQLiteStore readings")
struct SQLiteStoreReadingsTests {
    @Test("Readings are stored with their sensor and zone names, once per (sensor, at)")
    func readings() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sortgate-readings-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        let store = try SQLiteStore(path: path, zoneNames: ["dock", "cold-room-a"], sourceNames: ["reader", "t1"])
        let t = try EventTime(rfc3339: "2026-11-28T08:00:00.5Z")
        let batch = FactBatch(readings: [
            ReadingFact(sensor: SourceID(1), zone: ZoneID(1), at: t, celsius: 4.25),
            ReadingFact(sensor: SourceID(1), zone: ZoneID(1), at: t + .seconds(5), celsius: -0.5),
            ReadingFact(sensor: SourceID(0), zone: nil, at: t, celsius: 21),
        ])
        try store.write(batch)
        try store.write(batch)
        #expect(
            try store.readings() == [
                ReadingRecord(sensor: "t1", zone: "cold-room-a", at: "2026-11-28T08:00:00.500000000Z", celsius: 4.25),
                ReadingRecord(sensor: "reader", zone: nil, at: "2026-11-28T08:00:00.500000000Z", celsius: 21),
                ReadingRecord(sensor: "t1", zone: "cold-room-a", at: "2026-11-28T08:00:05.500000000Z", celsius: -0.5),
            ]
        )
        #expect(try store.readings(sensor: "reader").count == 1)
        #expect(throws: SQLiteStoreError.self) {
            try store.write(FactBatch(readings: [ReadingFact(sensor: SourceID(2), zone: nil, at: t, celsius: 1)]))
        }
    }
}

@Suite("SQLiteStore central outbox upgrade")
struct SQLiteStoreCentralUpgradeTests {
    static let manifest = [
        ManifestContainerRecord(
            container: "3154F4E4E400000001000000",
            uri: "urn:epc:id:sscc:4012345.0000000001",
            shipment: "SH-1",
            destination: "chute-12",
            temperatureClass: nil,
            expectedBy: nil,
            items: ["30340BB8C0C0E640000003E9", "30340BB8C0C0E640000003EA"],
            source: "m.csv:2"
        )
    ]

    /// A database as migration v9 left it: the outbox without the v10 columns, after `body` ran on it.
    func withVersion9Database(shipped: Bool, _ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-v9-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        let store = try SQLiteStore(path: path, zoneNames: zones, shipsToCentral: shipped)
        _ = try store.importManifest(Self.manifest, at: EventTime(nanoseconds: 0))
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    DELETE FROM central_outbox;
                    ALTER TABLE central_outbox DROP COLUMN manifests;
                    ALTER TABLE central_outbox DROP COLUMN quarantine_through;
                    DELETE FROM grdb_migrations
                    WHERE identifier IN ('v10-central-manifests-quarantine', 'v11-central-manifests-backfill');
                    DELETE FROM sqlite_sequence WHERE name = 'central_outbox' AND seq = 0;
                    """
            )
        }
        try queue.close()
        try body(path)
    }

    @Test("a database that already shipped sends the manifests imported before, once upgraded")
    func shippedBefore() throws {
        try withVersion9Database(shipped: true) { path in
            let upgraded = try SQLiteStore(path: path, zoneNames: zones, shipsToCentral: true)
            #expect(try upgraded.centralBacklog(after: 1).batches == 1)
            let cargo = try #require(
                try upgraded.centralCargo(after: CentralMark(seq: 1, movementsThrough: 0, readingsThrough: 0), maxRows: 100)
            )
            #expect(cargo.mark.seq == 2)
            #expect(cargo.loads.map(\.table) == [.shipments, .manifestContainers, .manifestItems])
            #expect(cargo.loads.map(\.rows) == [1, 1, 2])
            #expect(cargo.loads[1].json.contains(#""container":"3154F4E4E400000001000000","uri":"urn:epc:id:sscc:4012345.0000000001","shipment":"SH-1""#))
        }
    }

    @Test("a database that never shipped gets no extra batch: its first contact sends everything")
    func neverShipped() throws {
        try withVersion9Database(shipped: false) { path in
            let upgraded = try SQLiteStore(path: path, zoneNames: zones, shipsToCentral: true)
            #expect(try upgraded.centralBacklog(after: 0).batches == 0)
            let cargo = try #require(try upgraded.centralCargo(after: nil, maxRows: 100))
            #expect(cargo.mark.seq == 0)
            #expect(cargo.loads.filter { $0.table == .manifestContainers }.map(\.rows) == [1])
        }
    }
}
