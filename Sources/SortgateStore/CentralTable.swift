import GRDB

/// The tables a gateway ships to the central PostgreSQL, described once for both ends: which
/// columns the SQLite rows are read with, which PostgreSQL types they are loaded as, and how a
/// row already there is merged.
///
/// Column names are SQLite's (the database contract), so a central row is the local row plus
/// `site`. Times stay RFC 3339 text with nine fraction digits in both databases (collation "C"
/// centrally), so they sort the same way and the reading commands print the same text.
public enum CentralTable: String, Sendable, CaseIterable {
    case movements
    case readings
    case inventory
    case alerts
    case readingMinutes = "reading_minutes"
    case transport
    case transportAnomalies = "transport_anomalies"
    case shipments
    case manifestContainers = "manifest_containers"
    case manifestItems = "manifest_items"
    case quarantine

    /// The tables of the first central schema (`v1-central`), which never changes; later tables
    /// come with later migrations.
    static let firstSchema: [CentralTable] = [
        .movements, .readings, .inventory, .alerts, .readingMinutes, .transport, .transportAnomalies, .shipments,
    ]

    /// A shipped column: its name and its PostgreSQL type.
    public struct Column: Sendable {
        public var name: String
        public var type: String

        /// Bytes (a quarantined payload): shipped and compared as upper-case hex text, stored as
        /// `bytea` centrally, since JSON has no bytes and a payload need not be UTF-8.
        var isBytes: Bool { type == "bytea" }
    }

    /// The columns shipped, in order (the local-only ones, such as ids and ring positions, stay home).
    public var columns: [Column] {
        func text(_ names: String...) -> [Column] { names.map { Column(name: $0, type: "text") } }
        func real(_ names: String...) -> [Column] { names.map { Column(name: $0, type: "double precision") } }
        func integer(_ names: String...) -> [Column] { names.map { Column(name: $0, type: "bigint") } }
        switch self {
        case .movements:
            return text("epc", "kind", "from_zone", "to_zone", "at")
        case .readings:
            return text("sensor", "zone", "at") + real("celsius")
        case .inventory:
            return text("epc", "scheme", "uri", "zone", "status", "first_seen", "zone_since", "last_seen")
                + integer("reads")
        case .alerts:
            return text(
                "id", "kind", "subject", "sensor", "zone", "class", "container", "started_at", "confirmed_at",
                "cleared_at"
            ) + real("peak_celsius") + text("status", "acknowledged_at")
        case .readingMinutes:
            return text("sensor", "zone", "minute") + integer("count")
                + real("min_celsius", "avg_celsius", "max_celsius")
        case .transport:
            return text(
                "container", "uri", "shipment", "status", "zone", "zone_since", "destination", "received_at",
                "sorted_at", "sorted_to", "loaded_at", "departed_at", "anomalies"
            ) + real("min_celsius", "max_celsius", "minutes_out_of_range") + integer("items")
        case .transportAnomalies:
            return text("container", "kind", "at", "zone", "detail")
        case .shipments:
            return text("shipment", "destination", "class", "expected_by")
                + integer(
                    "containers_expected", "containers_received", "containers_sorted", "containers_loaded",
                    "containers_departed", "anomalies"
                ) + text("status")
        case .manifestContainers:
            return text("container", "uri", "shipment", "destination", "class", "expected_by", "source")
        case .manifestItems:
            return text("item", "uri", "container")
        case .quarantine:
            return text("source", "at", "reason", "detail") + [Column(name: "payload", type: "bytea")]
        }
    }

    /// The column list as SQL (`epc, kind, …`).
    public var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// The columns as SQLite selects them for shipping and comparing (bytes as hex text).
    var localSelectList: String {
        columns.map { $0.isBytes ? "hex(\($0.name)) AS \($0.name)" : $0.name }.joined(separator: ", ")
    }

    /// The order a table's rows are read in where it matters: a container's manifest items in
    /// manifest order (their insertion order), which the central copy keeps by loading them so.
    var localOrder: String {
        self == .manifestItems ? " ORDER BY rowid" : ""
    }

    /// Where shipping reads each table: append-only tables by id range, the others by the keys
    /// each batch recorded (their current rows: a later state replaces an earlier one).
    enum Selection {
        case idRange
        case keys(column: String)
        case compositeKeys
    }

    var selection: Selection {
        switch self {
        case .movements, .readings, .quarantine: .idRange
        case .inventory: .keys(column: "epc")
        case .alerts: .keys(column: "id")
        case .transport, .transportAnomalies: .keys(column: "container")
        case .shipments: .keys(column: "shipment")
        case .manifestContainers, .manifestItems: .keys(column: "container")
        case .readingMinutes: .compositeKeys
        }
    }
}

/// One value of a shipped column, as either database holds it; what tests and checks compare.
public enum CentralValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case text(String)
    case real(Double)
    case integer(Int64)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .text(let text): text
        case .real(let value): "\(value)"
        case .integer(let value): "\(value)"
        }
    }
}

extension CentralValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let real): self = .real(real)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        }
    }
}
