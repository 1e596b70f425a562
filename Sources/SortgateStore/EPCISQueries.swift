/// The queries of an EPCIS export (see `FactReader.epcisExport`), written once for both stores;
/// on a hub's PostgreSQL a container's stay is matched within the site its movement came from.
enum EPCISQueries {
    /// One query text, with `siteClause` spliced in (and `centralArguments`) on the central server.
    private static func scoped(
        _ siteClause: String,
        _ arguments: [String?],
        _ centralArguments: [String?],
        _ sql: (String) -> String
    ) -> FactQuery {
        FactQuery(sql(""), arguments, purpose: "exporting EPCIS events").centrally(sql(siteClause), centralArguments)
    }

    static func movements(since: String, until: String?) -> FactQuery {
        scoped(", m.site", [since, until], [since, until]) { site in
            """
            SELECT m.epc, m.kind, m.from_zone, m.to_zone, m.at, i.scheme, i.uri\(site)
            FROM movements m LEFT JOIN inventory i ON i.epc = m.epc
            WHERE m.at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR m.at < ?2)
            ORDER BY m.at, m.id
            """
        }
    }

    /// When the container's stay that ended at `until` began.
    static func stayStart(epc: String, until: String, site: String?) -> FactQuery {
        scoped(" AND site = ?3", [epc, until], [epc, until, site]) { site in
            """
            SELECT at FROM movements WHERE epc = ?1 AND at < ?2 AND kind IN ('arrival', 'move')\(site)
            ORDER BY at DESC LIMIT 1
            """
        }
    }

    /// count, min, max and mean of the zone's readings during a stay.
    static func stayReadings(zone: String, from: String, until: String, site: String?) -> FactQuery {
        scoped(" AND site = ?4", [zone, from, until], [zone, from, until, site]) { site in
            """
            SELECT count(*) AS n, min(celsius) AS lo, max(celsius) AS hi, avg(celsius) AS mean
            FROM readings WHERE zone = ?1 AND at >= ?2 AND at <= ?3\(site)
            """
        }
    }

    /// The container's excursions confirmed during a stay.
    static func stayAlerts(container: String, from: String, until: String, site: String?) -> FactQuery {
        scoped(" AND site = ?4", [container, from, until], [container, from, until, site]) { site in
            """
            SELECT confirmed_at, peak_celsius FROM alerts
            WHERE container = ?1 AND confirmed_at >= ?2 AND confirmed_at <= ?3 AND kind != 'sensor-offline'\(site)
            ORDER BY confirmed_at
            """
        }
    }

    /// The manifest items packed in a container (by URI), in manifest order; on a hub, those of the
    /// manifest of `site` (where the container's arrival was read).
    static func manifestItems(container: String, site: String?) -> FactQuery {
        FactQuery(
            """
            SELECT i.item, i.uri FROM manifest_items i
            JOIN manifest_containers c ON c.container = i.container
            WHERE c.uri = ?1 ORDER BY i.rowid
            """,
            [container],
            purpose: "exporting EPCIS events"
        ).centrally(
            """
            SELECT i.item, i.uri FROM manifest_items i
            JOIN manifest_containers c ON c.site = i.site AND c.container = i.container
            WHERE c.uri = ?1 AND c.site = ?2 ORDER BY i.id
            """,
            [container, site]
        )
    }
}
