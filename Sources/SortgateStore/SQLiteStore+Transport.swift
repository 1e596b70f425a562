import Foundation
import GRDB
import SortgateCore

extension SQLiteStore {
    /// Migration v7: manifests (`shipments`, `manifest_containers`, `manifest_items`, and a
    /// generation counter the live gateway polls), and the journeys (`transport`,
    /// `transport_anomalies`).
    ///
    /// `transport.anomalies` is the comma-separated list of the kinds in `transport_anomalies`
    /// for that container, so `WHERE anomalies != ''` finds everything that is wrong.
    static let transportSchema = """
        CREATE TABLE shipments (
            shipment TEXT PRIMARY KEY NOT NULL,
            destination TEXT,
            class TEXT,
            expected_by TEXT,
            containers_expected INTEGER NOT NULL DEFAULT 0,
            containers_received INTEGER NOT NULL DEFAULT 0,
            containers_sorted INTEGER NOT NULL DEFAULT 0,
            containers_loaded INTEGER NOT NULL DEFAULT 0,
            containers_departed INTEGER NOT NULL DEFAULT 0,
            anomalies INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'expected'
                CHECK (status IN ('expected', 'receiving', 'received', 'sorted', 'loaded', 'departed'))
        );
        CREATE TABLE manifest_containers (
            container TEXT PRIMARY KEY NOT NULL,
            uri TEXT,
            shipment TEXT NOT NULL,
            destination TEXT NOT NULL,
            class TEXT,
            expected_by TEXT,
            source TEXT NOT NULL
        );
        CREATE INDEX manifest_containers_shipment ON manifest_containers (shipment);
        CREATE TABLE manifest_items (
            item TEXT PRIMARY KEY NOT NULL,
            uri TEXT,
            container TEXT NOT NULL
        );
        CREATE INDEX manifest_items_container ON manifest_items (container);
        CREATE TABLE manifest_generation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE TABLE transport (
            container TEXT PRIMARY KEY NOT NULL,
            uri TEXT,
            shipment TEXT,
            status TEXT NOT NULL
                CHECK (status IN ('expected', 'received', 'in-sort', 'sorted', 'loaded', 'departed')),
            zone TEXT,
            zone_since TEXT,
            destination TEXT,
            received_at TEXT,
            sorted_at TEXT,
            sorted_to TEXT,
            loaded_at TEXT,
            departed_at TEXT,
            anomalies TEXT NOT NULL DEFAULT '',
            min_celsius REAL,
            max_celsius REAL,
            minutes_out_of_range REAL,
            items INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX transport_shipment ON transport (shipment);
        CREATE INDEX transport_uri ON transport (uri);
        CREATE TABLE transport_anomalies (
            container TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('missorted', 'unexpected', 'missing', 'dwell', 'temperature',
                                               'left-without-loading')),
            at TEXT NOT NULL,
            zone TEXT,
            detail TEXT NOT NULL,
            PRIMARY KEY (container, kind, at)
        );
        """

    /// Writes the journeys of a batch (inside the batch's transaction), their anomalies, and the
    /// counters of the shipments they belong to.
    ///
    /// Anomalies that depend on the manifest (`missorted`, `unexpected`, `missing`) are replaced by
    /// the journey's current ones; the others (`dwell`, `temperature`, `left-without-loading`) are
    /// facts of the past and only ever added, so a gateway restarted with an empty journey state
    /// never erases them. Stage times only move earlier, for the same reason.
    func upsertTransport(_ journeys: [TransportJourney], _ db: Database) throws {
        if journeys.isEmpty { return }
        let row = try db.cachedStatement(
            sql: """
                INSERT INTO transport (container, uri, shipment, status, zone, zone_since, destination, received_at,
                                       sorted_at, sorted_to, loaded_at, departed_at, min_celsius, max_celsius,
                                       minutes_out_of_range, items)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (container) DO UPDATE SET
                    uri = excluded.uri,
                    shipment = excluded.shipment,
                    status = excluded.status,
                    zone = coalesce(excluded.zone, transport.zone),
                    zone_since = coalesce(excluded.zone_since, transport.zone_since),
                    destination = excluded.destination,
                    received_at = min(coalesce(transport.received_at, excluded.received_at),
                                      coalesce(excluded.received_at, transport.received_at)),
                    sorted_to = CASE WHEN transport.sorted_at IS NOT NULL
                                      AND (excluded.sorted_at IS NULL OR transport.sorted_at <= excluded.sorted_at)
                                     THEN transport.sorted_to ELSE excluded.sorted_to END,
                    sorted_at = min(coalesce(transport.sorted_at, excluded.sorted_at),
                                    coalesce(excluded.sorted_at, transport.sorted_at)),
                    loaded_at = min(coalesce(transport.loaded_at, excluded.loaded_at),
                                    coalesce(excluded.loaded_at, transport.loaded_at)),
                    departed_at = excluded.departed_at,
                    min_celsius = coalesce(excluded.min_celsius, transport.min_celsius),
                    max_celsius = coalesce(excluded.max_celsius, transport.max_celsius),
                    minutes_out_of_range = coalesce(excluded.minutes_out_of_range, transport.minutes_out_of_range),
                    items = excluded.items
                """
        )
        let clearDerived = try db.cachedStatement(
            sql: """
                DELETE FROM transport_anomalies
                WHERE container = ? AND kind IN ('missorted', 'unexpected', 'missing')
                """
        )
        let anomaly = try db.cachedStatement(
            sql: """
                INSERT INTO transport_anomalies (container, kind, at, zone, detail) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (container, kind, at) DO UPDATE SET zone = excluded.zone, detail = excluded.detail
                """
        )
        let summary = try db.cachedStatement(
            sql: """
                UPDATE transport SET anomalies = coalesce(
                    (SELECT group_concat(kind, ',') FROM
                        (SELECT kind, min(at) AS first FROM transport_anomalies WHERE container = ?1
                         GROUP BY kind ORDER BY first, kind)), '')
                WHERE container = ?1
                """
        )
        // A manifest names a container by its identity; the tag may carry another filter value, so
        // its hex differs: the row the import made under the manifest's hex gives way to the tag's.
        let replaced = try db.cachedStatement(
            sql: "DELETE FROM transport WHERE uri = ?1 AND container != ?2 AND received_at IS NULL"
        )
        var shipments: Set<String> = []
        for journey in journeys {
            let container = journey.container.hex
            let name = { (zone: ZoneID?) in
                zone.flatMap { $0.index < self.zoneNames.count ? self.zoneNames[$0.index] : nil }
            }
            if let shipment = journey.manifest?.shipment { shipments.insert(shipment) }
            try row.execute(arguments: [
                container,
                journey.container.schemeAndURI.uri,
                journey.manifest?.shipment,
                journey.status.rawValue,
                name(journey.zone),
                journey.zoneSince?.rfc3339,
                journey.manifest?.destinationName,
                journey.receivedAt?.rfc3339,
                journey.sortedAt?.rfc3339,
                name(journey.sortedTo),
                journey.loadedAt?.rfc3339,
                journey.departedAt?.rfc3339,
                journey.temperature?.minCelsius,
                journey.temperature?.maxCelsius,
                journey.minutesOutOfRange,
                journey.manifest?.items.count ?? 0,
            ])
            if let uri = journey.container.schemeAndURI.uri, journey.receivedAt != nil {
                try replaced.execute(arguments: [uri, container])
            }
            try clearDerived.execute(arguments: [container])
            for item in journey.anomalies {
                try anomaly.execute(arguments: [
                    container, item.kind.rawValue, item.at.rfc3339, name(item.zone), Self.detail(of: item, name),
                ])
            }
            try summary.execute(arguments: [container])
        }
        try Self.updateShipments(shipments, db)
    }

    /// A sentence saying what is wrong, with zone names.
    static func detail(of anomaly: TransportAnomaly, _ name: (ZoneID?) -> String?) -> String {
        switch anomaly.kind {
        case .missorted:
            return "sorted to \(name(anomaly.zone) ?? "?"), destination \(name(anomaly.expectedZone) ?? "?")"
        case .unexpected:
            return "seen on site but in no manifest"
        case .missing:
            if let late = anomaly.receivedLateAt {
                return "not received by \(anomaly.at.rfc3339); received \(late.rfc3339)"
            }
            return "not received by \(anomaly.at.rfc3339)"
        case .dwell:
            let minutes = (anomaly.limit?.components.seconds ?? 0) / 60
            return "in \(name(anomaly.zone) ?? "?") longer than its \(minutes) min limit"
        case .temperature:
            let alert = anomaly.alert.map { "\($0.kind.rawValue), alert \($0.fingerprintHex)" } ?? "excursion"
            return alert + (name(anomaly.zone).map { " in \($0)" } ?? "")
        case .leftWithoutLoading:
            return "last read in \(name(anomaly.zone) ?? "?"), which is not a dock-out or vehicle"
        }
    }

    /// Recounts the containers of each shipment by stage, its anomalies, and its status: the stage
    /// all of its containers reached (`receiving` while some, not all, were received). Containers
    /// are matched by URI: the manifest's EPC and the tag's may differ in their filter value.
    static func updateShipments(_ shipments: Set<String>, _ db: Database) throws {
        if shipments.isEmpty { return }
        let statement = try db.cachedStatement(
            sql: """
                UPDATE shipments SET
                    containers_expected = c.expected,
                    containers_received = c.received,
                    containers_sorted = c.sorted,
                    containers_loaded = c.loaded,
                    containers_departed = c.departed,
                    anomalies = c.anomalies,
                    status = CASE
                        WHEN c.expected > 0 AND c.departed = c.expected THEN 'departed'
                        WHEN c.expected > 0 AND c.loaded = c.expected THEN 'loaded'
                        WHEN c.expected > 0 AND c.sorted = c.expected THEN 'sorted'
                        WHEN c.expected > 0 AND c.received = c.expected THEN 'received'
                        WHEN c.received > 0 THEN 'receiving'
                        ELSE 'expected' END
                FROM (SELECT count(*) AS expected,
                             count(t.received_at) AS received,
                             count(t.sorted_at) AS sorted,
                             count(t.loaded_at) AS loaded,
                             count(CASE t.status WHEN 'departed' THEN 1 END) AS departed,
                             (SELECT count(*) FROM transport_anomalies a
                               JOIN transport u ON u.container = a.container
                              WHERE u.shipment = ?1) AS anomalies
                      FROM manifest_containers m LEFT JOIN transport t ON t.uri = m.uri
                      WHERE m.shipment = ?1) AS c
                WHERE shipments.shipment = ?1
                """
        )
        for shipment in shipments.sorted() { try statement.execute(arguments: [shipment]) }
    }
}

extension SQLiteStore {
    /// Journeys in shipment then container order; only those of `shipment` and/or with `status` when given.
    public func transport(shipment: String? = nil, status: String? = nil) throws(SQLiteStoreError) -> [TransportRecord]
    {
        try rows(FactQueries.transport(shipment: shipment, status: status)).map(TransportRecord.init(row:))
    }

    /// Anomalies in time order; only those of the containers of `shipment` when given.
    public func transportAnomalies(shipment: String? = nil) throws(SQLiteStoreError) -> [TransportAnomalyRecord] {
        try rows(FactQueries.transportAnomalies(shipment: shipment)).map(TransportAnomalyRecord.init(row:))
    }

    /// Shipments by id; only `shipment` when given.
    public func shipments(shipment: String? = nil) throws(SQLiteStoreError) -> [ShipmentRecord] {
        try rows(FactQueries.shipments(shipment: shipment)).map(ShipmentRecord.init(row:))
    }
}
