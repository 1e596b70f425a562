import Foundation
import GRDB
public import SortgateCore

/// What an EPCIS export needs to know about the site.
public struct EPCISExportConfiguration: Sendable {
    /// The SGLN URI of each zone, for `readPoint` and `bizLocation`.
    public var zoneLocations: [String: String]
    /// The role of each zone, which decides the CBV business step.
    public var zoneRoles: [String: TransportZoneRole]

    public init(zoneLocations: [String: String], zoneRoles: [String: TransportZoneRole]) {
        self.zoneLocations = zoneLocations
        self.zoneRoles = zoneRoles
    }
}

/// An EPCIS 2.0 document and what it holds.
public struct EPCISExport: Sendable {
    public var document: JSONValue
    public var objectEvents = 0
    public var aggregationEvents = 0
    /// Zones that movements name but that have no SGLN (their events carry no location).
    public var zonesWithoutLocation: Set<String> = []
}

extension SQLiteStore {
    /// The EPCIS 2.0 JSON-LD context every document names.
    public static let epcisContext = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

    /// Builds an EPCISDocument of the movements with `since <= at < until`.
    ///
    /// Every arrival, move and departure is one `ObjectEvent` (action OBSERVE) of its EPC (the
    /// pure-identity URI, or `urn:epc:raw:` for an undecodable EPC) at its time, with a CBV 2.0
    /// business step by the role of the zone (dock-in `receiving`; induction, sorter and chute
    /// `other`, since CBV 2.0 has no sorting step; staging `staging_outbound`; cold room
    /// `storing`; dock-out and vehicle `loading`; a departure `departing`), disposition
    /// `in_progress` (a departure from a dock-out or vehicle `in_transit`, from elsewhere
    /// `unknown`), `readPoint` the zone it was read in and `bizLocation` the zone it is in
    /// afterwards (none after a departure). A container's move or departure, which ends a stay,
    /// carries a `sensorElementList`: min/max/mean of the zone's readings during the stay, and
    /// each excursion of the container confirmed then (`exception: ALARM_CONDITION`, its peak).
    /// A container packed with manifest items gets an `AggregationEvent` (OBSERVE, parent the
    /// container, children the items) at its first arrival in the window.
    ///
    /// Event ids are `urn:uuid:` UUIDs (version 8, RFC 9562) derived from the event's kind, EPC
    /// and time alone, so exporting the same movements again gives the same ids.
    public func epcisExport(
        since: EventTime,
        until: EventTime?,
        configuration: EPCISExportConfiguration,
        creationDate: EventTime
    ) throws(SQLiteStoreError) -> EPCISExport {
        try attempt("exporting EPCIS events") {
            try reader.read { db in
                var export = EPCISExport(document: .null)
                var events: [JSONValue] = []
                let movements = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT m.epc, m.kind, m.from_zone, m.to_zone, m.at, i.scheme, i.uri
                        FROM movements m LEFT JOIN inventory i ON i.epc = m.epc
                        WHERE m.at >= ?1 AND (?2 IS NULL OR m.at < ?2)
                        ORDER BY m.at, m.id
                        """,
                    arguments: [since.rfc3339, until?.rfc3339]
                )
                var aggregated: Set<String> = []
                for row in movements {
                    let epc: String = row["epc"]
                    let kind: String = row["kind"]
                    let at: String = row["at"]
                    let from: String? = row["from_zone"]
                    let to: String? = row["to_zone"]
                    let scheme: String? = row["scheme"]
                    let uri = (row["uri"] as String?) ?? Self.rawURI(hex: epc)
                    let isContainer = ["sscc-96", "grai-96", "grai-170"].contains(scheme ?? "")
                    let readZone = (kind == "departure" ? from : to) ?? ""
                    var members: [(String, JSONValue)] = [
                        ("type", .string("ObjectEvent")),
                        ("eventID", .string(Self.eventID("ObjectEvent", epc, kind, at))),
                        ("eventTime", .string(at)),
                        ("eventTimeZoneOffset", .string("+00:00")),
                        ("epcList", .array([.string(uri)])),
                        ("action", .string("OBSERVE")),
                    ]
                    let role = configuration.zoneRoles[readZone]
                    let (bizStep, disposition) = Self.vocabulary(kind: kind, role: role)
                    members.append(("bizStep", .string(bizStep)))
                    members.append(("disposition", .string(disposition)))
                    if let location = configuration.zoneLocations[readZone] {
                        members.append(("readPoint", .object([("id", .string(location))])))
                        if kind != "departure" {
                            members.append(("bizLocation", .object([("id", .string(location))])))
                        }
                    } else {
                        export.zonesWithoutLocation.insert(readZone)
                    }
                    if isContainer, kind != "arrival", let from {
                        let sensors = try Self.staySensorElements(db, epc: epc, zone: from, until: at)
                        if !sensors.isEmpty { members.append(("sensorElementList", .array(sensors))) }
                    }
                    events.append(.object(members))
                    export.objectEvents += 1
                    if isContainer, kind == "arrival", let containerURI = row["uri"] as String?,
                        !aggregated.contains(containerURI)
                    {
                        aggregated.insert(containerURI)
                        let items = try Row.fetchAll(
                            db,
                            sql: """
                                SELECT i.item, i.uri FROM manifest_items i
                                JOIN manifest_containers c ON c.container = i.container
                                WHERE c.uri = ? ORDER BY i.rowid
                                """,
                            arguments: [containerURI]
                        ).map { row -> JSONValue in
                            .string((row["uri"] as String?) ?? Self.rawURI(hex: row["item"]))
                        }
                        if !items.isEmpty {
                            var aggregation: [(String, JSONValue)] = [
                                ("type", .string("AggregationEvent")),
                                ("eventID", .string(Self.eventID("AggregationEvent", epc, kind, at))),
                                ("eventTime", .string(at)),
                                ("eventTimeZoneOffset", .string("+00:00")),
                                ("parentID", .string(containerURI)),
                                ("childEPCs", .array(items)),
                                ("action", .string("OBSERVE")),
                                ("bizStep", .string(bizStep)),
                                ("disposition", .string(disposition)),
                            ]
                            if let location = configuration.zoneLocations[readZone] {
                                aggregation.append(("readPoint", .object([("id", .string(location))])))
                                aggregation.append(("bizLocation", .object([("id", .string(location))])))
                            }
                            events.append(.object(aggregation))
                            export.aggregationEvents += 1
                        }
                    }
                }
                export.document = .object([
                    ("@context", .array([.string(Self.epcisContext)])),
                    ("type", .string("EPCISDocument")),
                    ("schemaVersion", .string("2.0")),
                    ("creationDate", .string(creationDate.rfc3339)),
                    ("epcisBody", .object([("eventList", .array(events))])),
                ])
                return export
            }
        }
    }

    /// CBV 2.0 business step and disposition of a movement, by the role of the zone it was read in.
    static func vocabulary(kind: String, role: TransportZoneRole?) -> (bizStep: String, disposition: String) {
        if kind == "departure" {
            return ("departing", role?.isLoadingPoint == true ? "in_transit" : "unknown")
        }
        switch role {
        case .dockIn: return ("receiving", "in_progress")
        case .staging: return ("staging_outbound", "in_progress")
        case .coldRoom: return ("storing", "in_progress")
        case .dockOut, .vehicle: return ("loading", "in_progress")
        case .induction, .sorter, .chute, nil: return ("other", "in_progress")
        }
    }

    /// The sensor elements of a container's stay in `zone` that ended at `until`: a summary of the
    /// zone's readings during the stay and the container's excursions confirmed during it.
    static func staySensorElements(_ db: Database, epc: String, zone: String, until: String) throws -> [JSONValue] {
        guard
            let start = try String.fetchOne(
                db,
                sql: """
                    SELECT at FROM movements WHERE epc = ? AND at < ? AND kind IN ('arrival', 'move')
                    ORDER BY at DESC LIMIT 1
                    """,
                arguments: [epc, until]
            )
        else { return [] }
        var elements: [JSONValue] = []
        if let row = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*) AS n, min(celsius) AS lo, max(celsius) AS hi, avg(celsius) AS mean
                FROM readings WHERE zone = ? AND at >= ? AND at <= ?
                """,
            arguments: [zone, start, until]
        ), let count: Int = row["n"], count > 0, let low: Double = row["lo"], let high: Double = row["hi"],
            let mean: Double = row["mean"]
        {
            elements.append(
                .object([
                    ("sensorMetadata", .object([("startTime", .string(start)), ("endTime", .string(until))])),
                    (
                        "sensorReport",
                        .array([
                            .object([
                                ("type", .string("Temperature")),
                                ("minValue", .number(low)),
                                ("maxValue", .number(high)),
                                ("meanValue", .number(mean)),
                                ("uom", .string("CEL")),
                            ])
                        ])
                    ),
                ])
            )
        }
        let alerts = try Row.fetchAll(
            db,
            sql: """
                SELECT confirmed_at, peak_celsius FROM alerts
                WHERE container = ? AND confirmed_at >= ? AND confirmed_at <= ? AND kind != 'sensor-offline'
                ORDER BY confirmed_at
                """,
            arguments: [epc, start, until]
        )
        for alert in alerts {
            var report: [(String, JSONValue)] = [
                ("type", .string("Temperature")),
                ("exception", .string("ALARM_CONDITION")),
                ("time", .string(alert["confirmed_at"])),
            ]
            if let peak: Double = alert["peak_celsius"] { report.append(("value", .number(peak))) }
            report.append(("uom", .string("CEL")))
            elements.append(.object([("sensorReport", .array([.object(report)]))]))
        }
        return elements
    }

    /// The EPC raw URI (TDS §12.4) of an EPC sortgate cannot decode: `urn:epc:raw:BITS.xHEX`.
    static func rawURI(hex: String) -> String {
        "urn:epc:raw:\(hex.count * 4).x\(hex)"
    }

    /// A version 8 UUID URN from two FNV-1a-64 digests of the event's identity: stable across
    /// exports, distinct per (event type, EPC, movement kind, time), which `movements` keeps unique.
    static func eventID(_ type: String, _ epc: String, _ kind: String, _ at: String) -> String {
        let text = Array("sortgate-epcis|\(type)|\(epc)|\(kind)|\(at)".utf8)
        func fnv(_ basis: UInt64) -> UInt64 {
            var hash = basis
            for byte in text { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            return hash
        }
        var high = fnv(0xcbf2_9ce4_8422_2325)
        var low = fnv(high ^ 0x9e37_79b9_7f4a_7c15)
        high = (high & ~0xF000) | 0x8000  // version 8 in bits 48–51
        low = (low & ~(0b11 << 62)) | (0b10 << 62)  // RFC 9562 variant
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return "urn:uuid:\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-"
            + "\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
    }
}
