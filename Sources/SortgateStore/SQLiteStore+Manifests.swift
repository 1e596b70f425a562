import Foundation
import GRDB
public import SortgateCore

/// A manifest container row as stored in `manifest_containers` (with its items).
public struct ManifestContainerRecord: Hashable, Sendable {
    /// Upper-case hex of the container's EPC.
    public var container: String
    public var uri: String?
    public var shipment: String
    public var destination: String
    public var temperatureClass: String?
    /// RFC 3339.
    public var expectedBy: String?
    /// Upper-case hex of each packed item, in manifest order.
    public var items: [String]
    /// `file:line` it was imported from.
    public var source: String

    public init(
        container: String,
        uri: String?,
        shipment: String,
        destination: String,
        temperatureClass: String?,
        expectedBy: String?,
        items: [String],
        source: String
    ) {
        self.container = container
        self.uri = uri
        self.shipment = shipment
        self.destination = destination
        self.temperatureClass = temperatureClass
        self.expectedBy = expectedBy
        self.items = items
        self.source = source
    }
}

/// What importing a manifest changed.
public struct ManifestImportResult: Hashable, Sendable {
    /// Containers not listed before.
    public var added = 0
    /// Containers listed before whose row or items changed.
    public var changed = 0
    /// Containers listed before exactly so.
    public var unchanged = 0
    /// The manifest generation after the import (bumped only when something changed).
    public var generation: Int64 = 0
}

extension SQLiteStore {
    /// Stores manifest containers in one transaction: the idempotent upsert behind `manifest import`.
    ///
    /// A container listed again replaces its earlier row, and its items are replaced by the new
    /// list (the latest import wins; `source` is not compared, so the same file imported twice, or
    /// from another path, changes nothing). Containers not in this import are kept: a site imports
    /// one manifest per shipment or per day. An item packed in another container before moves to
    /// this one. Each shipment's destination, class and latest expected-by are taken from its
    /// containers. When anything changed the manifest generation is bumped (the live gateway polls
    /// it and reloads), each new container gets an `expected` row in `transport`, and the
    /// counters of the shipments touched are recounted. With `shipsToCentral`, what changed gets an
    /// outbox row in the same transaction, so the central copy follows.
    public func importManifest(_ records: [ManifestContainerRecord], at time: EventTime) throws(SQLiteStoreError)
        -> ManifestImportResult
    {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot import a manifest")
        }
        return try attempt("importing \(records.count) manifest containers") {
            try writer.write { db in
                var result = ManifestImportResult()
                let existing = try db.cachedStatement(
                    sql:
                        "SELECT uri, shipment, destination, class, expected_by FROM manifest_containers WHERE container = ?"
                )
                let existingItems = try db.cachedStatement(
                    sql: "SELECT item FROM manifest_items WHERE container = ? ORDER BY rowid"
                )
                let upsert = try db.cachedStatement(
                    sql: """
                        INSERT INTO manifest_containers (container, uri, shipment, destination, class, expected_by, source)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (container) DO UPDATE SET
                            uri = excluded.uri, shipment = excluded.shipment, destination = excluded.destination,
                            class = excluded.class, expected_by = excluded.expected_by, source = excluded.source
                        """
                )
                let deleteItems = try db.cachedStatement(sql: "DELETE FROM manifest_items WHERE container = ?")
                let insertItem = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO manifest_items (item, uri, container) VALUES (?, ?, ?)"
                )
                let expectedRow = try db.cachedStatement(
                    sql: """
                        INSERT INTO transport (container, uri, shipment, status, destination, items)
                        VALUES (?, ?, ?, 'expected', ?, ?)
                        ON CONFLICT (container) DO UPDATE SET
                            shipment = excluded.shipment, destination = excluded.destination, items = excluded.items
                        """
                )
                var shipments: Set<String> = []
                var changedContainers: [String] = []
                for record in records {
                    shipments.insert(record.shipment)
                    let before = try Row.fetchOne(existing, arguments: [record.container])
                    let beforeItems = try String.fetchAll(existingItems, arguments: [record.container])
                    if let before {
                        let same =
                            before["uri"] as String? == record.uri && before["shipment"] as String == record.shipment
                            && before["destination"] as String == record.destination
                            && before["class"] as String? == record.temperatureClass
                            && before["expected_by"] as String? == record.expectedBy && beforeItems == record.items
                        if same {
                            result.unchanged += 1
                            continue
                        }
                        if let old: String = before["shipment"], old != record.shipment { shipments.insert(old) }
                        result.changed += 1
                    } else {
                        result.added += 1
                    }
                    try upsert.execute(arguments: [
                        record.container, record.uri, record.shipment, record.destination, record.temperatureClass,
                        record.expectedBy, record.source,
                    ])
                    try deleteItems.execute(arguments: [record.container])
                    for item in record.items {
                        let uri = (try? EPC(hex: item))?.schemeAndURI.uri
                        try insertItem.execute(arguments: [item, uri, record.container])
                    }
                    try expectedRow.execute(arguments: [
                        record.container, record.uri, record.shipment, record.destination, record.items.count,
                    ])
                    changedContainers.append(record.container)
                }
                let shipment = try db.cachedStatement(
                    sql: """
                        INSERT INTO shipments (shipment, destination, class, expected_by)
                        SELECT ?1,
                               CASE WHEN count(DISTINCT destination) = 1 THEN min(destination) ELSE 'several' END,
                               CASE WHEN count(DISTINCT class) = 1 THEN min(class) END,
                               max(expected_by)
                        FROM manifest_containers WHERE shipment = ?1
                        ON CONFLICT (shipment) DO UPDATE SET
                            destination = excluded.destination, class = excluded.class,
                            expected_by = excluded.expected_by
                        """
                )
                for name in shipments.sorted() { try shipment.execute(arguments: [name]) }
                try Self.updateShipments(shipments, db)
                if shipsToCentral && !changedContainers.isEmpty {
                    // The containers' manifest rows and items, their journeys, the shipments' counters.
                    try recordCentralChange(
                        CentralChange(
                            transport: changedContainers,
                            shipments: shipments.sorted(),
                            manifests: changedContainers,
                            rows: changedContainers.count * 3 + shipments.count
                        ),
                        db
                    )
                }
                if result.added + result.changed > 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO manifest_generation (id, generation, changed_at) VALUES (1, 1, ?)
                            ON CONFLICT (id) DO UPDATE SET generation = generation + 1, changed_at = excluded.changed_at
                            """,
                        arguments: [time.rfc3339]
                    )
                }
                result.generation = try Int64.fetchOne(db, sql: "SELECT generation FROM manifest_generation") ?? 0
                return result
            }
        }
    }

    /// The manifest generation: 0 before any import, bumped by every import that changed something.
    /// One indexed row: cheap enough to poll every second.
    public func manifestGeneration() throws(SQLiteStoreError) -> Int64 {
        try attempt("reading the manifest generation") {
            try reader.read { db in
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT generation FROM manifest_generation")) ?? 0
            }
        }
    }

    /// Every manifest container with its items, in container order.
    public func manifestContainers() throws(SQLiteStoreError) -> [ManifestContainerRecord] {
        try attempt("reading the manifests") {
            try reader.read { db in
                var items: [String: [String]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT item, container FROM manifest_items ORDER BY rowid") {
                    items[row["container"], default: []].append(row["item"])
                }
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT container, uri, shipment, destination, class, expected_by, source
                        FROM manifest_containers ORDER BY container
                        """
                ).map { row in
                    let container: String = row["container"]
                    return ManifestContainerRecord(
                        container: container,
                        uri: row["uri"],
                        shipment: row["shipment"],
                        destination: row["destination"],
                        temperatureClass: row["class"],
                        expectedBy: row["expected_by"],
                        items: items[container] ?? [],
                        source: row["source"]
                    )
                }
            }
        }
    }
}
