/// The queries of the reading commands, each written once for both stores (see `FactQuery`).
public enum FactQueries {
    /// The inventory, ordered by zone then EPC; only the rows of `zone` when given.
    public static func inventory(zone: String?) -> FactQuery {
        inventory(InventoryQuery(zone: zone))
    }

    /// The rows `query` selects, ordered by zone then EPC, at most `query.limit` of them after
    /// `query.after` (keyset pagination: a page never shifts when rows are added before it).
    public static func inventory(_ query: InventoryQuery) -> FactQuery {
        FactQuery(
            """
            SELECT epc, scheme, uri, zone, status, first_seen, zone_since, last_seen, reads FROM inventory
            WHERE (CAST(?1 AS TEXT) IS NULL OR zone = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
              AND (CAST(?3 AS TEXT) IS NULL OR scheme = ?3)
              AND (CAST(?4 AS TEXT) IS NULL OR zone > ?4 OR (zone = ?4 AND epc > ?5))
            ORDER BY zone, epc
            """ + (query.limit.map { " LIMIT \(max(0, $0))" } ?? ""),
            [query.zone, query.status, query.scheme, query.after?.zone, query.after?.epc],
            purpose: "reading the inventory"
        )
    }

    /// How many EPCs are present in each zone that holds any.
    public static let presentCounts = FactQuery(
        "SELECT zone, count(*) AS n FROM inventory WHERE status = 'present' GROUP BY zone",
        purpose: "counting the present EPCs"
    )

    /// Movements in time order (ties in insertion order); only those of `epc` when given.
    public static func movements(epc: String?) -> FactQuery {
        FactQuery(
            "SELECT id, epc, kind, from_zone, to_zone, at FROM movements WHERE CAST(?1 AS TEXT) IS NULL OR epc = ?1 ORDER BY at, id",
            [epc],
            purpose: "reading movements"
        )
    }

    /// Readings in time order; only those of `sensor` and of `zone` when given, and only those in
    /// `from ..< to` (RFC 3339 with nine fraction digits, as stored, so that text order is time
    /// order) when given.
    public static func readings(
        sensor: String?,
        zone: String? = nil,
        from: String? = nil,
        to: String? = nil
    ) -> FactQuery {
        FactQuery(
            """
            SELECT sensor, zone, at, celsius FROM readings
            WHERE (CAST(?1 AS TEXT) IS NULL OR sensor = ?1) AND (CAST(?2 AS TEXT) IS NULL OR at >= ?2)
              AND (CAST(?3 AS TEXT) IS NULL OR at < ?3) AND (CAST(?4 AS TEXT) IS NULL OR zone = ?4)
            ORDER BY at, id
            """,
            [sensor, from, to, zone],
            purpose: "reading the readings"
        )
    }

    /// Where a container (SSCC or GRAI, upper-case hex EPC) stayed and the readings of each zone
    /// during its stay there, in time order: SQLite's `container_readings` view, written out so
    /// that PostgreSQL runs the same text. A stay ends at the container's next movement; on a hub
    /// that movement may be at another site, and a stay's readings are those of its own site.
    public static func containerReadings(container: String) -> FactQuery {
        func sql(_ sameSite: String) -> String {
            """
            SELECT m.epc AS container, m.to_zone AS zone, m.at AS zone_since, r.sensor, r.at, r.celsius
            FROM movements m
            JOIN inventory i ON i.epc = m.epc AND i.scheme IN ('sscc-96', 'grai-96', 'grai-170')
            JOIN readings r ON r.zone = m.to_zone\(sameSite) AND r.at >= m.at
                AND r.at < coalesce(
                    (SELECT min(n.at) FROM movements n WHERE n.epc = m.epc AND n.at > m.at),
                    '9999-12-31T23:59:59.999999999Z'
                )
            WHERE m.epc = ?1 AND m.kind IN ('arrival', 'move')
            ORDER BY r.at, r.sensor
            """
        }
        return FactQuery(sql(""), [container], purpose: "reading a container's temperatures")
            .centrally(sql(" AND r.site = m.site"), [container])
    }

    /// The per-minute aggregates of `sensor` in time order; only the minutes in `from ..< to` when given.
    public static func readingMinutes(sensor: String, from: String? = nil, to: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT sensor, zone, minute, count, min_celsius, avg_celsius, max_celsius FROM reading_minutes
            WHERE sensor = ?1 AND (CAST(?2 AS TEXT) IS NULL OR minute >= ?2) AND (CAST(?3 AS TEXT) IS NULL OR minute < ?3)
            ORDER BY minute
            """,
            [sensor, from, to],
            purpose: "reading the per-minute aggregates"
        )
    }

    /// The latest reading of every sensor, ordered by sensor.
    public static let latestReadings = FactQuery(
        """
        SELECT r.sensor, r.zone, r.at, r.celsius FROM readings r
        JOIN (SELECT sensor, max(at) AS at FROM readings GROUP BY sensor) latest
          ON r.sensor = latest.sensor AND r.at = latest.at
        ORDER BY r.sensor
        """,
        purpose: "reading the latest readings"
    )

    /// Alerts in order of confirmation; only those not cleared nor acknowledged when `activeOnly`.
    public static func alerts(activeOnly: Bool) -> FactQuery {
        FactQuery(
            "\(alertSelect) WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1 ORDER BY confirmed_at, id",
            [activeOnly ? "active" : nil],
            purpose: "reading the alerts"
        )
    }

    /// The alert `id` (no row when there is none).
    public static func alert(id: String) -> FactQuery {
        FactQuery("\(alertSelect) WHERE id = ?1", [id], purpose: "reading alert \(id)")
    }

    private static let alertSelect = """
        SELECT id, kind, subject, sensor, zone, class, container, started_at, confirmed_at, cleared_at,
               peak_celsius, status, acknowledged_at
        FROM alerts
        """

    /// Journeys in shipment then container order; only those of `shipment` and/or with `status`.
    public static func transport(shipment: String?, status: String?) -> FactQuery {
        FactQuery(
            """
            SELECT container, uri, shipment, status, zone, zone_since, destination, received_at, sorted_at,
                   sorted_to, loaded_at, departed_at, anomalies, min_celsius, max_celsius, minutes_out_of_range, items
            FROM transport
            WHERE (CAST(?1 AS TEXT) IS NULL OR shipment = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
            ORDER BY shipment NULLS FIRST, container
            """,
            [shipment, status],
            purpose: "reading transport"
        )
    }

    /// Anomalies in time order; only those of the containers of `shipment` when given.
    public static func transportAnomalies(shipment: String?) -> FactQuery {
        FactQuery(
            """
            SELECT a.container, a.kind, a.at, a.zone, a.detail FROM transport_anomalies a
            LEFT JOIN transport t ON t.container = a.container
            WHERE CAST(?1 AS TEXT) IS NULL OR t.shipment = ?1
            ORDER BY a.at, a.container, a.kind
            """,
            [shipment],
            purpose: "reading transport anomalies"
        )
    }

    /// Shipments by id; only `shipment` when given.
    public static func shipments(shipment: String?) -> FactQuery {
        FactQuery(
            """
            SELECT shipment, destination, class, expected_by, containers_expected, containers_received,
                   containers_sorted, containers_loaded, containers_departed, anomalies, status
            FROM shipments WHERE CAST(?1 AS TEXT) IS NULL OR shipment = ?1 ORDER BY shipment
            """,
            [shipment],
            purpose: "reading shipments"
        )
    }
}

extension FactReader {
    public func inventory(zone: String? = nil) async throws -> [InventoryRecord] {
        try await fetch(FactQueries.inventory(zone: zone)).map(InventoryRecord.init(row:))
    }

    public func movements(epc: String? = nil) async throws -> [MovementRecord] {
        try await fetch(FactQueries.movements(epc: epc)).map(MovementRecord.init(row:))
    }

    public func readings(sensor: String? = nil) async throws -> [ReadingRecord] {
        try await fetch(FactQueries.readings(sensor: sensor)).map(ReadingRecord.init(row:))
    }

    public func readings(zone: String) async throws -> [ReadingRecord] {
        try await fetch(FactQueries.readings(sensor: nil, zone: zone)).map(ReadingRecord.init(row:))
    }

    public func containerReadings(container: String) async throws -> [ContainerReadingRecord] {
        try await fetch(FactQueries.containerReadings(container: container)).map(ContainerReadingRecord.init(row:))
    }

    public func latestReadings() async throws -> [ReadingRecord] {
        try await fetch(FactQueries.latestReadings).map(ReadingRecord.init(row:))
    }

    public func alerts(activeOnly: Bool = false) async throws -> [AlertRecord] {
        try await fetch(FactQueries.alerts(activeOnly: activeOnly)).map(AlertRecord.init(row:))
    }

    public func transport(shipment: String? = nil, status: String? = nil) async throws -> [TransportRecord] {
        try await fetch(FactQueries.transport(shipment: shipment, status: status)).map(TransportRecord.init(row:))
    }

    public func transportAnomalies(shipment: String? = nil) async throws -> [TransportAnomalyRecord] {
        try await fetch(FactQueries.transportAnomalies(shipment: shipment)).map(TransportAnomalyRecord.init(row:))
    }

    public func shipments(shipment: String? = nil) async throws -> [ShipmentRecord] {
        try await fetch(FactQueries.shipments(shipment: shipment)).map(ShipmentRecord.init(row:))
    }
}

extension InventoryRecord {
    init(row: FactRow) {
        self.init(
            epc: row.text("epc"),
            scheme: row.text("scheme"),
            uri: row.optionalText("uri"),
            zone: row.text("zone"),
            status: row.text("status"),
            firstSeen: row.text("first_seen"),
            zoneSince: row.text("zone_since"),
            lastSeen: row.text("last_seen"),
            reads: row.integer("reads")
        )
    }
}

extension MovementRecord {
    init(row: FactRow) {
        self.init(
            id: Int64(row.integer("id")),
            epc: row.text("epc"),
            kind: row.text("kind"),
            fromZone: row.optionalText("from_zone"),
            toZone: row.optionalText("to_zone"),
            at: row.text("at")
        )
    }
}

extension MinuteRecord {
    init(row: FactRow) {
        self.init(
            sensor: row.text("sensor"),
            zone: row.optionalText("zone"),
            minute: row.text("minute"),
            count: row.integer("count"),
            minCelsius: row.real("min_celsius"),
            avgCelsius: row.real("avg_celsius"),
            maxCelsius: row.real("max_celsius")
        )
    }
}

extension ReadingRecord {
    init(row: FactRow) {
        self.init(sensor: row.text("sensor"), zone: row.optionalText("zone"), at: row.text("at"), celsius: row.real("celsius"))
    }
}

extension ContainerReadingRecord {
    init(row: FactRow) {
        self.init(
            container: row.text("container"),
            zone: row.text("zone"),
            zoneSince: row.text("zone_since"),
            sensor: row.text("sensor"),
            at: row.text("at"),
            celsius: row.real("celsius")
        )
    }
}

extension AlertRecord {
    init(row: FactRow) {
        self.init(
            id: row.text("id"),
            kind: row.text("kind"),
            subject: row.text("subject"),
            sensor: row.optionalText("sensor"),
            zone: row.optionalText("zone"),
            class: row.optionalText("class"),
            container: row.optionalText("container"),
            startedAt: row.text("started_at"),
            confirmedAt: row.text("confirmed_at"),
            clearedAt: row.optionalText("cleared_at"),
            peakCelsius: row.optionalReal("peak_celsius"),
            status: row.text("status"),
            acknowledgedAt: row.optionalText("acknowledged_at")
        )
    }
}

extension TransportRecord {
    init(row: FactRow) {
        self.init(
            container: row.text("container"),
            uri: row.optionalText("uri"),
            shipment: row.optionalText("shipment"),
            status: row.text("status"),
            zone: row.optionalText("zone"),
            zoneSince: row.optionalText("zone_since"),
            destination: row.optionalText("destination"),
            receivedAt: row.optionalText("received_at"),
            sortedAt: row.optionalText("sorted_at"),
            sortedTo: row.optionalText("sorted_to"),
            loadedAt: row.optionalText("loaded_at"),
            departedAt: row.optionalText("departed_at"),
            anomalies: row.text("anomalies"),
            minCelsius: row.optionalReal("min_celsius"),
            maxCelsius: row.optionalReal("max_celsius"),
            minutesOutOfRange: row.optionalReal("minutes_out_of_range"),
            items: row.integer("items")
        )
    }
}

extension TransportAnomalyRecord {
    init(row: FactRow) {
        self.init(
            container: row.text("container"),
            kind: row.text("kind"),
            at: row.text("at"),
            zone: row.optionalText("zone"),
            detail: row.text("detail")
        )
    }
}

extension ShipmentRecord {
    init(row: FactRow) {
        self.init(
            shipment: row.text("shipment"),
            destination: row.optionalText("destination"),
            temperatureClass: row.optionalText("class"),
            expectedBy: row.optionalText("expected_by"),
            containersExpected: row.integer("containers_expected"),
            containersReceived: row.integer("containers_received"),
            containersSorted: row.integer("containers_sorted"),
            containersLoaded: row.integer("containers_loaded"),
            containersDeparted: row.integer("containers_departed"),
            anomalies: row.integer("anomalies"),
            status: row.text("status")
        )
    }
}
