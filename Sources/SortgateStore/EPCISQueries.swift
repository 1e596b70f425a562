/// The queries of an EPCIS export (see `FactReader.epcisExport`), written once for both stores;
/// on a hub's PostgreSQL a container's stay is matched within the site its movement came from.
enum EPCISQueries {
    private static let purpose = "exporting EPCIS events"

    static func movements(since: String, until: String?) -> FactQuery {
        FactQuery(
            """
            SELECT m.epc, m.kind, m.from_zone, m.to_zone, m.at, i.scheme, i.uri{, m.site}
            FROM movements m LEFT JOIN inventory i ON i.epc = m.epc
            WHERE m.at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR m.at < ?2)
            ORDER BY m.at, m.id
            """,
            [since, until],
            purpose: purpose
        )
    }

    /// When the container's stay that ended at `until` began.
    static func stayStart(epc: String, until: String, site: String?) -> FactQuery {
        FactQuery(
            """
            SELECT at FROM movements WHERE epc = ?1 AND at < ?2 AND kind IN ('arrival', 'move'){ AND site = ?3}
            ORDER BY at DESC LIMIT 1
            """,
            [epc, until],
            centralArguments: [site],
            purpose: purpose
        )
    }

    /// count, min, max and mean of the zone's readings during a stay.
    static func stayReadings(zone: String, from: String, until: String, site: String?) -> FactQuery {
        FactQuery(
            """
            SELECT count(*) AS n, min(celsius) AS lo, max(celsius) AS hi, avg(celsius) AS mean
            FROM readings WHERE zone = ?1 AND at >= ?2 AND at <= ?3{ AND site = ?4}
            """,
            [zone, from, until],
            centralArguments: [site],
            purpose: purpose
        )
    }

    /// The container's excursions confirmed during a stay.
    static func stayAlerts(container: String, from: String, until: String, site: String?) -> FactQuery {
        FactQuery(
            """
            SELECT confirmed_at, peak_celsius FROM alerts
            WHERE container = ?1 AND confirmed_at >= ?2 AND confirmed_at <= ?3 AND kind != 'sensor-offline'{ AND site = ?4}
            ORDER BY confirmed_at
            """,
            [container, from, until],
            centralArguments: [site],
            purpose: purpose
        )
    }

    /// The manifest items packed in a container (by URI), in manifest order (insertion order: the
    /// row id locally, the central `id`); on a hub, those of the manifest of `site` (where the
    /// container's arrival was read).
    static func manifestItems(container: String, site: String?) -> FactQuery {
        FactQuery(
            """
            SELECT i.item, i.uri FROM manifest_items i
            JOIN manifest_containers c ON c.container = i.container{ AND c.site = i.site}
            WHERE c.uri = ?1{ AND c.site = ?2} ORDER BY i.{id|rowid}
            """,
            [container],
            centralArguments: [site],
            purpose: purpose
        )
    }
}
