extension CentralTable {
    /// The central key: what makes a re-sent row change nothing (`ON CONFLICT` target).
    ///
    /// `inventory` and `transport` are keyed by EPC alone: centrally they hold one row per tag and
    /// per container across all sites (the latest fact by event time, see `conflictAction`). The
    /// other tables keep each site's rows apart. A quarantined message is told apart by its payload
    /// as SQLite does, through its digest (a payload of kilobytes is too long for an index entry).
    var centralKey: [String] {
        switch self {
        case .movements: ["site", "epc", "kind", "at"]
        case .readings: ["site", "sensor", "at"]
        case .inventory: ["epc"]
        case .alerts: ["site", "id"]
        case .readingMinutes: ["site", "sensor", "minute"]
        case .transport: ["container"]
        case .transportAnomalies: ["site", "container", "kind", "at"]
        case .shipments: ["site", "shipment"]
        case .manifestContainers: ["site", "container"]
        case .manifestItems: ["site", "item"]
        case .quarantine: ["site", "source", "at", "reason", "md5(payload)"]
        }
    }

    /// Whether the key holds an expression, which only a unique index (not a table constraint) can.
    private var keyIsExpression: Bool { centralKey.contains { $0.contains("(") } }

    /// Whether central rows get an increasing `id`: the append-only tables keep their commit order
    /// by it, and manifest items their manifest order.
    private var hasCentralID: Bool { selection.isIDRange || self == .manifestItems }

    /// What happens to a row already there (`c`) when the same key arrives again (`excluded`).
    ///
    /// Movements and readings never change. An inventory row is replaced only by one seen at least
    /// as late, whichever site it comes from, so a tote that left hub A and arrived at hub B is
    /// at B even when A's last batch arrives after B's; `first_seen` keeps the earliest sighting.
    /// A journey likewise follows its latest leg (by the time it entered its current zone) and keeps
    /// its first reception. Everything else is the shipping site's current row.
    var conflictAction: String {
        let updated = columns.map(\.name).filter { !centralKey.contains($0) }
        func set(_ names: [String]) -> String { names.map { "\($0) = excluded.\($0)" }.joined(separator: ", ") }
        switch self {
        case .movements, .readings, .quarantine:
            return "DO NOTHING"
        case .inventory:
            return "DO UPDATE SET site = excluded.site, "
                + set(updated.filter { $0 != "first_seen" })
                + ", first_seen = least(c.first_seen, excluded.first_seen) WHERE excluded.last_seen >= c.last_seen"
        case .transport:
            return "DO UPDATE SET site = excluded.site, "
                + set(updated.filter { $0 != "received_at" })
                + ", received_at = least(c.received_at, excluded.received_at)"
                + " WHERE coalesce(excluded.zone_since, '') >= coalesce(c.zone_since, '')"
        case .alerts, .readingMinutes, .transportAnomalies, .shipments, .manifestContainers, .manifestItems:
            return "DO UPDATE SET " + set(updated)
        }
    }

    /// `INSERT … SELECT … FROM json_to_recordset($2) … ON CONFLICT …`, with the site as `$1`.
    var centralUpsert: String {
        let types = columns.map { "\($0.name) \($0.isBytes ? "text" : $0.type)" }.joined(separator: ", ")
        let values = columns.map { $0.isBytes ? "decode(\($0.name), 'hex')" : $0.name }.joined(separator: ", ")
        return """
            INSERT INTO \(rawValue) AS c (site, \(columnList))
            SELECT $1, \(values) FROM json_to_recordset($2::json) AS x(\(types))
            ON CONFLICT (\(centralKey.joined(separator: ", "))) \(conflictAction)
            """
    }

    /// What goes before a load of this table, with the same `$1` (site) and `$2` (rows): rows the
    /// shipping site no longer has. A journey's anomalies are its current ones; a manifest
    /// container's items are its current list (an emptied list ships no item rows, so they go with
    /// the container's row); an item packed in another container leaves the old one, and is loaded
    /// afresh so that its `id` follows manifest order.
    var centralReplacement: String? {
        func delete(_ table: CentralTable, by column: String) -> String {
            """
            DELETE FROM \(table.rawValue) WHERE site = $1 AND \(column) IN
                (SELECT \(column) FROM json_to_recordset($2::json) AS x(\(column) text))
            """
        }
        switch self {
        case .transportAnomalies: return delete(.transportAnomalies, by: "container")
        case .manifestContainers: return delete(.manifestItems, by: "container")
        case .manifestItems: return delete(.manifestItems, by: "item")
        case .movements, .readings, .inventory, .alerts, .readingMinutes, .transport, .shipments, .quarantine:
            return nil
        }
    }

    /// The columns as the central server gives them back for comparing (bytes as SQLite's hex).
    var centralSelectList: String {
        columns.map { $0.isBytes ? "upper(encode(\($0.name), 'hex')) AS \($0.name)" : $0.name }
            .joined(separator: ", ")
    }

    /// The central table's definition: `site`, the shipped columns (text in collation "C", so text
    /// order is byte order as in SQLite, and RFC 3339 times sort as times), its key and indexes.
    var centralDDL: [String] {
        let identity = hasCentralID ? "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    " : ""
        let definitions = (["site text COLLATE \"C\" NOT NULL"] + columns.map { column in
            column.type == "text" ? "\(column.name) text COLLATE \"C\"" : "\(column.name) \(column.type)"
        }).joined(separator: ",\n    ")
        let key = hasCentralID ? "UNIQUE" : "PRIMARY KEY"
        let keyList = centralKey.joined(separator: ", ")
        let keyIndex =
            keyIsExpression ? ["CREATE UNIQUE INDEX IF NOT EXISTS \(rawValue)_key ON \(rawValue) (\(keyList))"] : []
        return [
            """
            CREATE TABLE IF NOT EXISTS \(rawValue) (
                \(identity)\(definitions)\(keyIsExpression ? "" : ",\n    \(key) (\(keyList))")
            )
            """
        ] + keyIndex
            + centralIndexes.map { "CREATE INDEX IF NOT EXISTS \(rawValue)_\($0.name) ON \(rawValue) (\($0.columns))" }
    }

    /// Indexes for the reading commands and for a year of data from many sites: one site's or one
    /// tag's history over a time range without a scan.
    private var centralIndexes: [(name: String, columns: String)] {
        switch self {
        case .movements: [("epc_at", "epc, at"), ("at", "at"), ("site_at", "site, at")]
        case .readings: [("site_zone_at", "site, zone, at"), ("sensor_at", "sensor, at")]
        case .inventory: [("zone", "zone, epc"), ("site_zone", "site, zone")]
        case .alerts: [("status", "status, confirmed_at")]
        case .transport: [("shipment", "shipment, container")]
        case .manifestContainers: [("uri", "uri, site")]
        case .manifestItems: [("container", "site, container, id")]
        case .quarantine: [("site_at", "site, at")]
        case .readingMinutes, .transportAnomalies, .shipments: []
        }
    }
}

extension CentralTable.Selection {
    var isIDRange: Bool {
        if case .idRange = self { return true }
        return false
    }
}
