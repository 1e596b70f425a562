/// The queries of the reading commands, each written once for both stores (see `FactQuery`).
///
/// On a hub every row says its `site`, and `site` (when given) keeps only that site's rows; a
/// site's SQLite holds one site, so there both are left out.
public enum FactQueries {
    /// The inventory, ordered by zone then EPC; only the rows of `zone` (and of `site`) when given.
    public static func inventory(zone: String?, site: String? = nil) -> FactQuery {
        inventory(InventoryQuery(zone: zone, site: site))
    }

    /// The rows `query` selects, ordered by zone then EPC, at most `query.limit` of them after
    /// `query.after` (keyset pagination: a page never shifts when rows are added before it).
    ///
    /// Only the filters given are written into the SQL, so that both databases walk their
    /// `(zone, epc)` index in order, seek to the zone or the cursor, and stop at the limit: a page
    /// of the HTTP API costs the same whether the inventory holds a thousand EPCs or a million.
    public static func inventory(_ query: InventoryQuery) -> FactQuery {
        var conditions: [String] = []
        var arguments: [String?] = []
        func bind(_ value: String) -> String {
            arguments.append(value)
            return "?\(arguments.count)"
        }
        if let zone = query.zone { conditions.append("zone = \(bind(zone))") }
        if let status = query.status { conditions.append("status = \(bind(status))") }
        if let scheme = query.scheme { conditions.append("scheme = \(bind(scheme))") }
        if let after = query.after { conditions.append("(zone, epc) > (\(bind(after.zone)), \(bind(after.epc)))") }
        var filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        // A hub's `--site`: its placeholder follows the others (`centralArguments`).
        if query.site != nil { filter += "{ \(conditions.isEmpty ? "WHERE" : "AND") site = ?\(arguments.count + 1)}" }
        return FactQuery(
            "SELECT epc, scheme, uri, zone, status, first_seen, zone_since, last_seen, reads{, site} FROM inventory"
                + filter + " ORDER BY zone, epc" + (query.limit.map { " LIMIT \(max(0, $0))" } ?? ""),
            arguments,
            centralArguments: query.site.map { [$0] } ?? [],
            purpose: "reading the inventory"
        )
    }

    /// How many EPCs are present in each zone that holds any.
    public static let presentCounts = FactQuery(
        "SELECT zone, count(*) AS n FROM inventory WHERE status = 'present' GROUP BY zone",
        purpose: "counting the present EPCs"
    )

    /// Movements in time order (ties in insertion order); only those of `epc` (and at `site`) when given.
    public static func movements(epc: String?, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT id, epc, kind, from_zone, to_zone, at{, site} FROM movements
            WHERE (CAST(?1 AS TEXT) IS NULL OR epc = ?1){ AND (CAST(?2 AS TEXT) IS NULL OR site = ?2)}
            ORDER BY at, id
            """,
            [epc],
            centralArguments: [site],
            purpose: "reading movements"
        )
    }

    /// Readings in time order; only those of `sensor`, of `zone` and of `site` when given, and only
    /// those in `from ..< to` (RFC 3339 with nine fraction digits, as stored, so that text order is
    /// time order) when given.
    public static func readings(
        sensor: String?,
        zone: String? = nil,
        from: String? = nil,
        to: String? = nil,
        site: String? = nil
    ) -> FactQuery {
        FactQuery(
            """
            SELECT sensor, zone, at, celsius{, site} FROM readings
            WHERE (CAST(?1 AS TEXT) IS NULL OR sensor = ?1) AND (CAST(?2 AS TEXT) IS NULL OR at >= ?2)
              AND (CAST(?3 AS TEXT) IS NULL OR at < ?3) AND (CAST(?4 AS TEXT) IS NULL OR zone = ?4)
              {AND (CAST(?5 AS TEXT) IS NULL OR site = ?5)}
            ORDER BY at, id
            """,
            [sensor, from, to, zone],
            centralArguments: [site],
            purpose: "reading the readings"
        )
    }

    /// The sites whose readings name `sensor` (or `zone`), by name: on a hub, where two sites may
    /// have a sensor or zone of the same name; a site's own database gives none.
    public static func readingSites(sensor: String?, zone: String?) -> FactQuery {
        FactQuery(
            "SELECT NULL AS site WHERE CAST(?1 AS TEXT) IS NULL AND CAST(?2 AS TEXT) IS NULL AND 0 = 1",
            [sensor, zone],
            purpose: "finding the sites of a sensor or zone"
        ).centrally(
            // One probe of the readings' (site, sensor, at) key, or (site, zone, at) index, per site.
            """
            SELECT s.site FROM (SELECT DISTINCT site FROM central_sites) s
            WHERE EXISTS (
                SELECT 1 FROM readings r WHERE r.site = s.site
                  AND (CAST(?1 AS TEXT) IS NULL OR r.sensor = ?1) AND (CAST(?2 AS TEXT) IS NULL OR r.zone = ?2)
            )
            ORDER BY s.site
            """,
            [sensor, zone]
        )
    }

    /// Where a container (SSCC or GRAI, upper-case hex EPC) stayed and the readings of each zone
    /// during its stay there, in time order: SQLite's `container_readings` view, written out so
    /// that PostgreSQL runs the same text. A stay ends at the container's next movement; on a hub
    /// that movement may be at another site, and a stay's readings are those of its own site
    /// (only the stays at `site`, when given).
    public static func containerReadings(container: String, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT m.epc AS container, m.to_zone AS zone, m.at AS zone_since, r.sensor, r.at, r.celsius
            FROM movements m
            JOIN inventory i ON i.epc = m.epc AND i.scheme IN ('sscc-96', 'grai-96', 'grai-170')
            JOIN readings r ON r.zone = m.to_zone{ AND r.site = m.site} AND r.at >= m.at
                AND r.at < coalesce(
                    (SELECT min(n.at) FROM movements n WHERE n.epc = m.epc AND n.at > m.at),
                    '9999-12-31T23:59:59.999999999Z'
                )
            WHERE m.epc = ?1 AND m.kind IN ('arrival', 'move'){ AND (CAST(?2 AS TEXT) IS NULL OR m.site = ?2)}
            ORDER BY r.at, r.sensor
            """,
            [container],
            centralArguments: [site],
            purpose: "reading a container's temperatures"
        )
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

    /// The latest reading of every sensor (of every site's sensor on a hub; only `site`'s when
    /// given), ordered by sensor.
    public static func latestReadings(site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT r.sensor, r.zone, r.at, r.celsius{, r.site} FROM readings r
            JOIN (SELECT {site, }sensor, max(at) AS at FROM readings GROUP BY {site, }sensor) latest
              ON r.sensor = latest.sensor{ AND r.site = latest.site} AND r.at = latest.at
            {WHERE CAST(?1 AS TEXT) IS NULL OR r.site = ?1}
            ORDER BY r.sensor{, r.site}
            """,
            centralArguments: [site],
            purpose: "reading the latest readings"
        )
    }

    /// Alerts in order of confirmation; only those not cleared nor acknowledged when `activeOnly`,
    /// only those not cleared yet (acknowledged or not) when `unclearedOnly`, and only `site`'s
    /// when given.
    public static func alerts(activeOnly: Bool, unclearedOnly: Bool = false, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            \(alertSelect) WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status <> ?2)
            { AND (CAST(?3 AS TEXT) IS NULL OR site = ?3)}
            ORDER BY confirmed_at, id{, site}
            """,
            [activeOnly ? "active" : nil, unclearedOnly ? "cleared" : nil],
            centralArguments: [site],
            purpose: "reading the alerts"
        )
    }

    /// The alert `id` (no row when there is none).
    public static func alert(id: String) -> FactQuery {
        FactQuery("\(alertSelect) WHERE id = ?1", [id], purpose: "reading alert \(id)")
    }

    private static let alertSelect = """
        SELECT id, kind, subject, sensor, zone, class, container, started_at, confirmed_at, cleared_at,
               peak_celsius, status, acknowledged_at{, site}
        FROM alerts
        """

    /// Journeys in shipment then container order; only those of `shipment`, with `status` and
    /// (on a hub) last seen at `site`, when given.
    public static func transport(shipment: String?, status: String?, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT container, uri, shipment, status, zone, zone_since, destination, received_at, sorted_at,
                   sorted_to, loaded_at, departed_at, anomalies, min_celsius, max_celsius, minutes_out_of_range,
                   items{, site}
            FROM transport
            WHERE (CAST(?1 AS TEXT) IS NULL OR shipment = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
              {AND (CAST(?3 AS TEXT) IS NULL OR site = ?3)}
            ORDER BY shipment NULLS FIRST, container
            """,
            [shipment, status],
            centralArguments: [site],
            purpose: "reading transport"
        )
    }

    /// Anomalies in time order; only those of the containers of `shipment`, and found at `site`, when given.
    public static func transportAnomalies(shipment: String?, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT a.container, a.kind, a.at, a.zone, a.detail{, a.site} FROM transport_anomalies a
            LEFT JOIN transport t ON t.container = a.container
            WHERE (CAST(?1 AS TEXT) IS NULL OR t.shipment = ?1){ AND (CAST(?2 AS TEXT) IS NULL OR a.site = ?2)}
            ORDER BY a.at, a.container, a.kind
            """,
            [shipment],
            centralArguments: [site],
            purpose: "reading transport anomalies"
        )
    }

    /// Shipments by id (and site); only `shipment`, and `site`'s, when given.
    public static func shipments(shipment: String?, site: String? = nil) -> FactQuery {
        FactQuery(
            """
            SELECT shipment, destination, class, expected_by, containers_expected, containers_received,
                   containers_sorted, containers_loaded, containers_departed, anomalies, status{, site}
            FROM shipments WHERE (CAST(?1 AS TEXT) IS NULL OR shipment = ?1){ AND (CAST(?2 AS TEXT) IS NULL OR site = ?2)}
            ORDER BY shipment{, site}
            """,
            [shipment],
            centralArguments: [site],
            purpose: "reading shipments"
        )
    }

    /// The sites that shipped to a hub, by name (none on a site's own database).
    public static let sites = FactQuery("SELECT NULL AS site WHERE 0 = 1", purpose: "reading the sites")
        .centrally("SELECT DISTINCT site FROM central_sites ORDER BY site", [])
}

extension FactReader {
    public func inventory(zone: String? = nil, site: String? = nil) async throws -> [InventoryRecord] {
        try await fetch(FactQueries.inventory(zone: zone, site: site)).map(InventoryRecord.init(row:))
    }

    public func movements(epc: String? = nil, site: String? = nil) async throws -> [MovementRecord] {
        try await fetch(FactQueries.movements(epc: epc, site: site)).map(MovementRecord.init(row:))
    }

    public func readings(sensor: String? = nil, site: String? = nil) async throws -> [ReadingRecord] {
        try await fetch(FactQueries.readings(sensor: sensor, site: site)).map(ReadingRecord.init(row:))
    }

    public func readings(zone: String, site: String? = nil) async throws -> [ReadingRecord] {
        try await fetch(FactQueries.readings(sensor: nil, zone: zone, site: site)).map(ReadingRecord.init(row:))
    }

    /// The sites whose readings name `sensor` or `zone` (none on a site's own database).
    public func readingSites(sensor: String? = nil, zone: String? = nil) async throws -> [String] {
        try await fetch(FactQueries.readingSites(sensor: sensor, zone: zone)).compactMap { $0.optionalText("site") }
    }

    /// The sites that shipped to a hub (none on a site's own database).
    public func sites() async throws -> [String] {
        try await fetch(FactQueries.sites).compactMap { $0.optionalText("site") }
    }

    public func containerReadings(container: String, site: String? = nil) async throws -> [ContainerReadingRecord] {
        try await fetch(FactQueries.containerReadings(container: container, site: site))
            .map(ContainerReadingRecord.init(row:))
    }

    public func latestReadings(site: String? = nil) async throws -> [ReadingRecord] {
        try await fetch(FactQueries.latestReadings(site: site)).map(ReadingRecord.init(row:))
    }

    public func alerts(activeOnly: Bool = false, site: String? = nil) async throws -> [AlertRecord] {
        try await fetch(FactQueries.alerts(activeOnly: activeOnly, site: site)).map(AlertRecord.init(row:))
    }

    public func transport(shipment: String? = nil, status: String? = nil, site: String? = nil) async throws
        -> [TransportRecord]
    {
        try await fetch(FactQueries.transport(shipment: shipment, status: status, site: site))
            .map(TransportRecord.init(row:))
    }

    public func transportAnomalies(shipment: String? = nil, site: String? = nil) async throws
        -> [TransportAnomalyRecord]
    {
        try await fetch(FactQueries.transportAnomalies(shipment: shipment, site: site))
            .map(TransportAnomalyRecord.init(row:))
    }

    public func shipments(shipment: String? = nil, site: String? = nil) async throws -> [ShipmentRecord] {
        try await fetch(FactQueries.shipments(shipment: shipment, site: site)).map(ShipmentRecord.init(row:))
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
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
        site = row.optionalText("site")
    }
}
