import SortgateCore

// The transport scenario (`--scenario transport`): containers passing a small sorting center
// dock-in → induction → sorter → chute → staging or cold room → dock-out → departed, with a
// manifest and the journeys the transport status must show, computed here from the plan.
//
// Files written:
//   --out        the capture: Impinj tag events (one per message) of three readers, and XY-MD02
//                Modbus polls of a cold room at 4 °C and the outbound dock at 14 °C every 30 s
//   --manifest   the manifest CSV: container, shipment, destination, class, expected_by, items
//   --expected   the journeys: for every container its status, zone, destination, stage times,
//                anomalies ({kind, at, zone}), min/max °C (containers of a class), and each
//                packed item with its container. Site: Tools/captures/transport-site.yaml.
//
// What happens (T = --start, 2026-11-28T08:00:00Z by default; reads every 2 s within a zone, 4 s walks):
//   C1…C4      regular journeys, sorted to their destinations, staged, loaded, departed
//              (C1 carries three SGTIN items read with it, C4's manifest row is an SSCC-18)
//   C5         missorted: destination chute-01, sorted to chute-02
//   C6         chilled, warms up: ten minutes in the cold room, then eight on the 14 °C dock
//              (alarm_delay 5 min): excursion-high confirmed 5 min after it reached the dock
//              (two items packed in it)
//   C7         chilled, one minute on the dock: no excursion
//   U1         a GRAI tote in no manifest: unexpected; it stays in staging past the 20 min
//              dwell limit until the capture ends
//   M1         expected by T+15 min and never seen: missing
// Journey rules the oracle applies (the documented semantics): received = first read, sorted =
// first chute read, loaded = first dock-out read, departed = last read when the clock (the
// capture's last event time) passed it by absent_after; stage = furthest reached.

/// The readers and sensors of the transport demo site (`Tools/captures/transport-site.yaml`).
enum TransportSite {
    static let readers: [ReaderSpec] = [
        ReaderSpec(
            id: "dock-in-reader",
            topic: "readers/dock-in/events",
            model: "Impinj R700",
            vendor: .impinj,
            hostname: "impinj-20-01-aa",
            utcOffsetMinutes: 0,
            readPoints: [ReadPoint(antenna: 1, zone: "dock-in-1", name: "Dock in")]
        ),
        ReaderSpec(
            id: "sorter-reader",
            topic: "readers/sorter/events",
            model: "Impinj R720",
            vendor: .impinj,
            hostname: "impinj-20-02-bb",
            utcOffsetMinutes: 0,
            readPoints: [
                ReadPoint(antenna: 1, zone: "induction-1", name: "Induction"),
                ReadPoint(antenna: 2, zone: "sorter-1", name: "Sorter"),
                ReadPoint(antenna: 3, zone: "chute-01", name: "Chute 01"),
                ReadPoint(antenna: 4, zone: "chute-02", name: "Chute 02"),
                ReadPoint(antenna: 5, zone: "chute-03", name: "Chute 03"),
            ]
        ),
        ReaderSpec(
            id: "outbound-reader",
            topic: "readers/outbound/events",
            model: "Impinj R720",
            vendor: .impinj,
            hostname: "impinj-20-03-cc",
            utcOffsetMinutes: 0,
            readPoints: [
                ReadPoint(antenna: 1, zone: "staging-1", name: "Staging"),
                ReadPoint(antenna: 2, zone: "cold-room-a", name: "Cold room A"),
                ReadPoint(antenna: 3, zone: "dock-out-1", name: "Dock out"),
            ]
        ),
    ]

    /// Modbus temperature sensors: (device id, zone, °C).
    static let sensors: [(id: String, zone: String, celsius: Double)] = [
        ("coldroom-a-t1", "cold-room-a", 4.0), ("dock-out-t1", "dock-out-1", 14.0),
    ]

    static let chutes: Set<String> = ["chute-01", "chute-02", "chute-03"]
    static let dwellLimits: [String: Int64] = ["staging-1": 1_200, "cold-room-a": 1_800]
    static let alarmDelay: Int64 = 300

    static func reader(of zone: String) -> (index: Int, antenna: Int) {
        for (index, reader) in readers.enumerated() {
            if let point = reader.readPoints.first(where: { $0.zone == zone }) { return (index, point.antenna) }
        }
        preconditionFailure("no reader covers zone '\(zone)'")
    }
}

private let second: Int64 = 1_000_000_000

/// One container of the scenario and what the manifest says about it.
struct TransportContainer {
    var name: String
    var tag: GeneratedEPC
    /// How the manifest names it (hex, URI or SSCC-18); nil when it is in no manifest.
    var manifestName: String?
    /// The EPC hex the manifest's name encodes (filter 0 for URIs and SSCC-18).
    var manifestHex: String?
    var shipment: String?
    var destination: String?
    var temperatureClass: String?
    var expectedBy: Int64?
    var items: [GeneratedEPC]
    /// (zone, first read, last read) in seconds from the start; empty when never seen.
    var stays: [(zone: String, from: Int64, to: Int64)]
}

struct TransportScenario {
    let start: Int64
    let absentAfter: Int64
    let end: Int64
    var containers: [TransportContainer] = []

    init(start: Int64, absentAfter: Int64) {
        self.start = start
        self.absentAfter = absentAfter
        self.end = 2_400
        containers = makeContainers()
    }

    /// A route through the site from `at` seconds: each zone for its duration, 4 s walks between.
    private func route(from at: Int64, _ legs: [(String, Int64)]) -> [(zone: String, from: Int64, to: Int64)] {
        var time = at
        var stays: [(zone: String, from: Int64, to: Int64)] = []
        for (zone, duration) in legs {
            stays.append((zone, time, time + duration))
            time += duration + 4
        }
        return stays
    }

    private func makeContainers() -> [TransportContainer] {
        let prefix = "4012345"
        func sscc(_ serial: Int) -> GeneratedEPC {
            let reference = String(serial)
            let padded = String(repeating: "0", count: 10 - reference.count) + reference
            return GS1Encoder.sscc96(filter: 2, companyPrefix: prefix, serialReference: padded)
        }
        func item(_ serial: UInt64) -> GeneratedEPC {
            GS1Encoder.sgtin96(filter: 1, companyPrefix: prefix, itemReference: "012345", serial: serial)
        }
        func regular(_ chute: String) -> [(String, Int64)] {
            [
                ("dock-in-1", 20), ("induction-1", 10), ("sorter-1", 10), (chute, 30), ("staging-1", 60),
                ("dock-out-1", 40),
            ]
        }
        func chilled(_ chute: String, dock: Int64) -> [(String, Int64)] {
            [
                ("dock-in-1", 20), ("induction-1", 10), ("sorter-1", 10), (chute, 30), ("cold-room-a", 600),
                ("dock-out-1", dock),
            ]
        }
        /// The SSCC-96 the manifest's URI or SSCC-18 encodes: the tag's with filter 0.
        func filterZero(_ epc: GeneratedEPC) -> String {
            var bits = epc.epc
            bits.setBits(at: 8, count: 3, to: 0)
            return bits.hex
        }
        let c1 = sscc(1)
        let c4 = sscc(4)
        let m1 = GS1Encoder.sscc96(filter: 0, companyPrefix: prefix, serialReference: "0000000099")
        var list: [TransportContainer] = [
            TransportContainer(
                name: "C1",
                tag: c1,
                manifestName: c1.uri!,
                manifestHex: filterZero(c1),
                shipment: "SH-1001",
                destination: "chute-01",
                expectedBy: 1_800,
                items: [item(101), item(102), item(103)],
                stays: route(from: 60, regular("chute-01"))
            ),
            TransportContainer(
                name: "C2",
                tag: sscc(2),
                manifestName: sscc(2).hex,
                manifestHex: sscc(2).hex,
                shipment: "SH-1001",
                destination: "chute-02",
                items: [],
                stays: route(from: 90, regular("chute-02"))
            ),
            TransportContainer(
                name: "C3",
                tag: sscc(3),
                manifestName: sscc(3).hex,
                manifestHex: sscc(3).hex,
                shipment: "SH-1001",
                destination: "chute-03",
                items: [],
                stays: route(from: 120, regular("chute-03"))
            ),
            TransportContainer(
                name: "C4",
                tag: c4,
                manifestName: Self.sscc18(prefix: prefix, serialReference: "0000000004"),
                manifestHex: filterZero(c4),
                shipment: "SH-1002",
                destination: "chute-01",
                items: [],
                stays: route(from: 150, regular("chute-01"))
            ),
            TransportContainer(
                name: "C5",
                tag: sscc(5),
                manifestName: sscc(5).uri!,
                manifestHex: filterZero(sscc(5)),
                shipment: "SH-1002",
                destination: "chute-01",
                items: [],
                stays: route(from: 180, regular("chute-02"))
            ),
            TransportContainer(
                name: "C6",
                tag: sscc(6),
                manifestName: sscc(6).uri!,
                manifestHex: filterZero(sscc(6)),
                shipment: "SH-2001",
                destination: "chute-03",
                temperatureClass: "chilled",
                expectedBy: 1_800,
                items: [item(601), item(602)],
                stays: route(from: 210, chilled("chute-03", dock: 480))
            ),
            TransportContainer(
                name: "C7",
                tag: sscc(7),
                manifestName: sscc(7).hex,
                manifestHex: sscc(7).hex,
                shipment: "SH-2001",
                destination: "chute-03",
                temperatureClass: "chilled",
                items: [],
                stays: route(from: 240, chilled("chute-03", dock: 60))
            ),
            TransportContainer(
                name: "U1",
                tag: GS1Encoder.grai96(filter: 0, companyPrefix: prefix, assetType: "00077", serial: 4711),
                items: [],
                stays: route(
                    from: 270,
                    [("dock-in-1", 20), ("induction-1", 10), ("sorter-1", 10), ("chute-02", 30), ("staging-1", 2_400)]
                )
            ),
            TransportContainer(
                name: "M1",
                tag: m1,
                manifestName: m1.uri!,
                manifestHex: m1.hex,
                shipment: "SH-1003",
                destination: "chute-02",
                expectedBy: 900,
                items: [],
                stays: []
            ),
        ]
        // Nobody is read after the end of the capture.
        for index in list.indices {
            list[index].stays = list[index].stays.compactMap { stay in
                stay.from > end ? nil : (stay.zone, stay.from, min(stay.to, end))
            }
        }
        return list
    }

    /// An SSCC-18: extension digit 0, prefix, serial reference, GS1 check digit.
    static func sscc18(prefix: String, serialReference: String) -> String {
        let body = "0" + prefix + serialReference.dropFirst()
        let digits = body.compactMap(\.wholeNumberValue)
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() { sum += digit * (index % 2 == 0 ? 3 : 1) }
        return body + String((10 - sum % 10) % 10)
    }

    // MARK: - Capture

    /// The capture lines in arrival order.
    func captureLines(random: inout SplitMix64) -> [String] {
        var lines: [(time: Int64, order: Int, line: String)] = []
        var order = 0
        for container in containers {
            for stay in container.stays {
                let (readerIndex, antenna) = TransportSite.reader(of: stay.zone)
                let reader = TransportSite.readers[readerIndex]
                var time = stay.from
                while time <= stay.to {
                    for epc in [container.tag] + container.items {
                        let nanoseconds = start + time * second
                        let read = ReadEvent(tag: 0, reader: readerIndex, antenna: antenna, time: nanoseconds, count: 1)
                        let payload = DevicePayloads.impinjTagEvent(read, epc: epc.epc, reader: reader, random: &random)
                        let arrival = nanoseconds + 5_000_000
                        lines.append(
                            (
                                arrival, order,
                                #"{"t":\#(JSONText.time(arrival)),"source":\#(JSONText.string(reader.id)),"#
                                    + #""topic":\#(JSONText.string(reader.topic)),"payload":\#(JSONText.string(payload))}"#
                            )
                        )
                        order += 1
                    }
                    time += 2
                }
            }
        }
        // Sensors poll every 30 s, 15 s off the tag reads' whole seconds, from the start to the end.
        var poll: Int64 = 15
        while poll <= end {
            for sensor in TransportSite.sensors {
                let raw = Int(UInt16(bitPattern: Int16((sensor.celsius * 10).rounded())))
                let time = start + poll * second
                lines.append(
                    (
                        time, order,
                        #"{"t":\#(JSONText.time(time)),"source":"\#(sensor.id)","#
                            + #""modbus":{"table":"input","address":1,"registers":[\#(raw),450]}}"#
                    )
                )
                order += 1
            }
            poll += 30
        }
        return lines.sorted { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }.map(\.line)
    }

    /// The capture's last event time, in seconds from the start (the pipeline's clock stops there).
    var lastEventSecond: Int64 {
        var last: Int64 = 0
        var poll: Int64 = 15
        while poll <= end {
            last = max(last, poll)
            poll += 30
        }
        for container in containers { for stay in container.stays { last = max(last, stay.to) } }
        return last
    }

    // MARK: - Manifest

    var manifestCSV: String {
        var text = "container,shipment,destination,class,expected_by,items\n"
        for container in containers {
            guard let name = container.manifestName, let shipment = container.shipment,
                let destination = container.destination
            else { continue }
            let expectedBy = container.expectedBy.map { EventTime(nanoseconds: start + $0 * second).rfc3339 } ?? ""
            let items = container.items.map { $0.uri! }.joined(separator: " ")
            text += "\(name),\(shipment),\(destination),\(container.temperatureClass ?? ""),\(expectedBy),\(items)\n"
        }
        return text
    }

    // MARK: - Expected journeys

    /// The journeys file, one object per container in the order of the scenario.
    var expectedJSON: String {
        let clock = lastEventSecond
        func time(_ seconds: Int64?) -> String { seconds.map { JSONText.time(start + $0 * second) } ?? "null" }
        var entries: [String] = []
        var items: [String] = []
        for container in containers {
            let stays = container.stays
            let received = stays.first?.from
            let sorted = stays.first { TransportSite.chutes.contains($0.zone) }
            let loaded = stays.first { $0.zone == "dock-out-1" }
            let last = stays.last
            let departed = last.flatMap { $0.to + absentAfter / second < clock ? $0.to : nil }
            let status: String
            if stays.isEmpty {
                status = "expected"
            } else if departed != nil {
                status = "departed"
            } else if loaded != nil {
                status = "loaded"
            } else if sorted != nil {
                status = "sorted"
            } else {
                status = stays.contains { $0.zone == "induction-1" || $0.zone == "sorter-1" } ? "in-sort" : "received"
            }
            var anomalies: [(at: Int64, kind: String, zone: String?)] = []
            if let destination = container.destination, let sorted, sorted.zone != destination {
                anomalies.append((sorted.from, "missorted", sorted.zone))
            }
            if container.manifestName == nil, let received { anomalies.append((received, "unexpected", nil)) }
            if let expectedBy = container.expectedBy, received.map({ $0 > expectedBy }) ?? (clock > expectedBy) {
                anomalies.append((expectedBy, "missing", nil))
            }
            for (index, stay) in stays.enumerated() {
                guard let limit = TransportSite.dwellLimits[stay.zone] else { continue }
                // A stay ends with the next zone's first read, or the departure (dated the last read);
                // the stay of a container still there lasts until the clock.
                let left = index + 1 < stays.count ? stays[index + 1].from : departed ?? clock
                if left - stay.from > limit { anomalies.append((stay.from + limit, "dwell", stay.zone)) }
            }
            // A chilled container on the 14 °C dock: the excursion starts on entry (the dock's last
            // reading applies at once) and is confirmed alarm_delay later, if it is still there then.
            let classed = stays.contains { $0.zone == "cold-room-a" }
            if classed, let dock = loaded, (departed ?? clock) - dock.from >= TransportSite.alarmDelay {
                anomalies.append((dock.from + TransportSite.alarmDelay, "temperature", "dock-out-1"))
            }
            anomalies.sort { $0.at != $1.at ? $0.at < $1.at : $0.kind < $1.kind }
            let hex = stays.isEmpty ? container.manifestHex! : container.tag.hex
            let zone = last.map { JSONText.string($0.zone) } ?? "null"
            let anomalyText = anomalies.map {
                #"{"kind":\#(JSONText.string($0.kind)),"at":\#(time($0.at)),"zone":\#(JSONText.string($0.zone))}"#
            }
            let temperatures =
                classed
                ? #""min_celsius":4.0,"max_celsius":\#(loaded == nil ? "4.0" : "14.0")"#
                : #""min_celsius":null,"max_celsius":null"#
            entries.append(
                #"    {"name":\#(JSONText.string(container.name)),"container":\#(JSONText.string(hex)),"#
                    + #""uri":\#(JSONText.string(container.tag.uri)),"shipment":\#(JSONText.string(container.shipment)),"#
                    + #""status":\#(JSONText.string(status)),"zone":\#(zone),"#
                    + #""destination":\#(JSONText.string(container.destination)),"#
                    + #""received_at":\#(time(received)),"sorted_at":\#(time(sorted?.from)),"#
                    + #""loaded_at":\#(time(loaded?.from)),"departed_at":\#(time(departed)),\#(temperatures),"#
                    + #""items":\#(container.items.count),"anomalies":[\#(anomalyText.joined(separator: ","))]}"#
            )
            for item in container.items {
                items.append(
                    #"    {"item":\#(JSONText.string(item.hex)),"uri":\#(JSONText.string(item.uri)),"#
                        + #""container":\#(JSONText.string(container.tag.hex))}"#
                )
            }
        }
        return """
            {
              "start": \(time(0)),
              "last_event_time": \(time(clock)),
              "absent_after_seconds": \(absentAfter / second),
              "containers": [
            \(entries.joined(separator: ",\n"))
              ],
              "items": [
            \(items.joined(separator: ",\n"))
              ]
            }

            """
    }
}
