import Foundation
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

extension EPCISExport {
    /// The EPCIS 2.0 JSON-LD context every document names.
    public static let context = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
}

extension FactReader {
    /// Builds an EPCISDocument of the movements with `since <= at < until`, from a site's SQLite or
    /// a hub's PostgreSQL (all sites' movements, each stay's readings from its own site).
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
    /// container, children the items) at its first arrival in the window (on a hub, by the manifest
    /// of the site that read that arrival).
    ///
    /// Event ids are `urn:uuid:` UUIDs (version 8, RFC 9562) derived from the event's kind, EPC
    /// and time alone, so exporting the same movements again gives the same ids.
    public func epcisExport(
        since: EventTime,
        until: EventTime?,
        configuration: EPCISExportConfiguration,
        creationDate: EventTime
    ) async throws -> EPCISExport {
        var export = EPCISExport(document: .null)
        var events: [JSONValue] = []
        let movements = try await fetch(EPCISQueries.movements(since: since.rfc3339, until: until?.rfc3339))
        var aggregated: Set<String> = []
        for row in movements {
            let epc = row.text("epc")
            let kind = row.text("kind")
            let at = row.text("at")
            let from = row.optionalText("from_zone")
            let to = row.optionalText("to_zone")
            let scheme = row.optionalText("scheme")
            let uri = row.optionalText("uri") ?? EPCISExport.rawURI(hex: epc)
            let isContainer = ["sscc-96", "grai-96", "grai-170"].contains(scheme ?? "")
            let readZone = (kind == "departure" ? from : to) ?? ""
            var members: [(String, JSONValue)] = [
                ("type", .string("ObjectEvent")),
                ("eventID", .string(EPCISExport.eventID("ObjectEvent", epc, kind, at))),
                ("eventTime", .string(at)),
                ("eventTimeZoneOffset", .string("+00:00")),
                ("epcList", .array([.string(uri)])),
                ("action", .string("OBSERVE")),
            ]
            let role = configuration.zoneRoles[readZone]
            let (bizStep, disposition) = EPCISExport.vocabulary(kind: kind, role: role)
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
                let sensors = try await staySensorElements(epc: epc, zone: from, until: at, site: row.optionalText("site"))
                if !sensors.isEmpty { members.append(("sensorElementList", .array(sensors))) }
            }
            events.append(.object(members))
            export.objectEvents += 1
            if isContainer, kind == "arrival", let containerURI = row.optionalText("uri"), !aggregated.contains(containerURI) {
                aggregated.insert(containerURI)
                let manifest = EPCISQueries.manifestItems(container: containerURI, site: row.optionalText("site"))
                let items = try await fetch(manifest).map { row -> JSONValue in
                    .string(row.optionalText("uri") ?? EPCISExport.rawURI(hex: row.text("item")))
                }
                if !items.isEmpty {
                    var aggregation: [(String, JSONValue)] = [
                        ("type", .string("AggregationEvent")),
                        ("eventID", .string(EPCISExport.eventID("AggregationEvent", epc, kind, at))),
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
            ("@context", .array([.string(EPCISExport.context)])),
            ("type", .string("EPCISDocument")),
            ("schemaVersion", .string("2.0")),
            ("creationDate", .string(creationDate.rfc3339)),
            ("epcisBody", .object([("eventList", .array(events))])),
        ])
        return export
    }

    /// The sensor elements of a container's stay in `zone` that ended at `until`: a summary of the
    /// zone's readings during the stay and the container's excursions confirmed during it.
    func staySensorElements(epc: String, zone: String, until: String, site: String?) async throws -> [JSONValue] {
        guard let start = try await fetch(EPCISQueries.stayStart(epc: epc, until: until, site: site)).first?.text("at")
        else { return [] }
        var elements: [JSONValue] = []
        if let row = try await fetch(EPCISQueries.stayReadings(zone: zone, from: start, until: until, site: site)).first,
            row.integer("n") > 0, let low = row.optionalReal("lo"), let high = row.optionalReal("hi"),
            let mean = row.optionalReal("mean")
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
        for alert in try await fetch(EPCISQueries.stayAlerts(container: epc, from: start, until: until, site: site)) {
            var report: [(String, JSONValue)] = [
                ("type", .string("Temperature")),
                ("exception", .string("ALARM_CONDITION")),
                ("time", .string(alert.text("confirmed_at"))),
            ]
            if let peak = alert.optionalReal("peak_celsius") { report.append(("value", .number(peak))) }
            report.append(("uom", .string("CEL")))
            elements.append(.object([("sensorReport", .array([.object(report)]))]))
        }
        return elements
    }
}

extension EPCISExport {
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
