import Foundation
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Testing

/// The transport scenario of the capture generator (`--scenario transport`), replayed with its
/// manifest: every container's journey is what the generator's own model says, and the EPCIS
/// export of the replay validates against GS1's schema and holds every movement once.
@Suite("Transport status and EPCIS export of a replay")
struct TransportReplayTests {
    static let captures = repositoryRoot.appendingPathComponent("Tools/captures")
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("sortgate").path
    static let validator = repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/epcis/validate.py")
        .path

    /// The committed site config with its database in `folder`, written there as `site.yaml`.
    static func siteConfig(in folder: TemporaryFolder) throws -> String {
        var text = try String(contentsOf: captures.appendingPathComponent("transport-site.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../../demo-data/transport.sqlite", with: folder.path("sortgate.sqlite"))
        text = text.replacingOccurrences(
            of: "[../../Devices]",
            with: "[\(repositoryRoot.appendingPathComponent("Devices").path)]"
        )
        try text.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        return folder.path("site.yaml")
    }

    /// What the capture generator's model says the transport capture must give.
    static func expectedOutcome() throws -> Expected {
        try JSONDecoder().decode(
            Expected.self,
            from: Data(contentsOf: captures.appendingPathComponent("transport.expected.json"))
        )
    }

    /// The transport capture in two parts, `1.jsonl` (its first 800 lines: C1…C5 already seen) and
    /// `2.jsonl` (the rest), for tests that do something between them.
    static func splitCapture(into folder: TemporaryFolder) throws {
        let lines = try String(contentsOf: captures.appendingPathComponent("transport.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        for (name, part) in [("1.jsonl", lines[..<800]), ("2.jsonl", lines[800...])] {
            try (part.joined(separator: "\n") + "\n").write(
                toFile: folder.path(name),
                atomically: true,
                encoding: .utf8
            )
        }
    }

    /// Runs the `sortgate` executable to completion.
    static func sortgate(_ arguments: [String], in folder: TemporaryFolder) throws -> (Int32, String, String) {
        try run(executable, arguments, in: folder)
    }

    /// Runs a program to completion (ten minutes at most): exit status, stdout, stderr.
    static func run(_ executable: String, _ arguments: [String], in folder: TemporaryFolder) throws -> (
        Int32, String, String
    ) {
        let result = try CommandRunner.run(executable, arguments, timeout: .seconds(600))
        return (result.status, result.standardOutput, result.standardError)
    }

    struct Expected: Decodable {
        struct Anomaly: Decodable, Hashable {
            var kind: String
            var at: String
            var zone: String?
        }
        struct Container: Decodable {
            var name: String
            var container: String
            var uri: String?
            var shipment: String?
            var status: String
            var zone: String?
            var destination: String?
            var received_at: String?
            var sorted_at: String?
            var loaded_at: String?
            var departed_at: String?
            var min_celsius: Double?
            var max_celsius: Double?
            var items: Int
            var anomalies: [Anomaly]
        }
        struct Item: Decodable {
            var item: String
            var uri: String
            var container: String
        }
        var last_event_time: String
        var containers: [Container]
        var items: [Item]
    }

    /// Checks every transport row and its anomalies against the generator's journeys; returns the rows.
    @discardableResult
    static func checkJourneys(_ store: SQLiteStore, _ expected: Expected) throws -> [String: TransportRecord] {
        let rows = Dictionary(uniqueKeysWithValues: try store.transport().map { ($0.container, $0) })
        #expect(rows.count == expected.containers.count)
        let anomalies = Dictionary(grouping: try store.transportAnomalies(), by: \.container)
        for container in expected.containers {
            let row = try #require(rows[container.container], "no transport row for \(container.name)")
            #expect(row.uri == container.uri, "\(container.name)")
            #expect(row.shipment == container.shipment, "\(container.name)")
            #expect(row.status == container.status, "\(container.name)")
            #expect(row.zone == container.zone, "\(container.name)")
            #expect(row.destination == container.destination, "\(container.name)")
            #expect(row.receivedAt == container.received_at, "\(container.name)")
            #expect(row.sortedAt == container.sorted_at, "\(container.name)")
            #expect(row.loadedAt == container.loaded_at, "\(container.name)")
            #expect(row.departedAt == container.departed_at, "\(container.name)")
            #expect(row.minCelsius == container.min_celsius, "\(container.name)")
            #expect(row.maxCelsius == container.max_celsius, "\(container.name)")
            #expect(row.items == container.items, "\(container.name)")
            let stored = (anomalies[container.container] ?? []).map {
                Expected.Anomaly(kind: $0.kind, at: $0.at, zone: $0.zone)
            }
            #expect(stored == container.anomalies, "\(container.name)")
            #expect(row.anomalies == container.anomalies.map(\.kind).joined(separator: ","), "\(container.name)")
        }
        return rows
    }

    @Test("Manifest + replay: every journey as the generator's model says, shipments summed, one command answers")
    func journeys() async throws {
        let folder = try TemporaryFolder()
        let configPath = try Self.siteConfig(in: folder)
        let expected = try Self.expectedOutcome()
        // The scenario has one of each anomaly the issue asks for.
        let kinds = Set(expected.containers.flatMap { $0.anomalies.map(\.kind) })
        #expect(kinds == ["missorted", "unexpected", "missing", "temperature", "dwell"])

        let manifest = Self.captures.appendingPathComponent("transport.manifest.csv").path
        let (status, output, errors) = try Self.sortgate(
            ["manifest", "import", manifest, "--config", configPath],
            in: folder
        )
        #expect(status == 0, "\(errors)")
        #expect(output.contains("8 container(s) of 4 shipment(s): 8 added, 0 changed, 0 unchanged; rejected 0"))

        let config = try SiteConfig.load(path: configPath)
        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        let topology = SiteTopology(config: config)
        let session = IngestSession(topology: topology, sink: store)
        session.loadManifest(topology.manifest(from: try store.manifestContainers()))
        let summary = try await Replayer().run(
            files: [Self.captures.appendingPathComponent("transport.jsonl").path],
            into: session
        )
        #expect(summary.session.rejectedTotal == 0)
        #expect(summary.lastEventTime?.rfc3339 == expected.last_event_time)

        let rows = try Self.checkJourneys(store, expected)
        let warm = try #require(expected.containers.first { $0.name == "C6" })
        #expect((rows[warm.container]?.minutesOutOfRange ?? 0) > 5)

        // Items packed in a container follow it: same zone, same status.
        let inventory = Dictionary(uniqueKeysWithValues: try store.inventory().map { ($0.epc, $0) })
        #expect(expected.items.count == 5)
        for item in expected.items {
            let row = try #require(inventory[item.item])
            let container = try #require(inventory[item.container])
            #expect(row.uri == item.uri)
            #expect(row.zone == container.zone)
            #expect(row.status == container.status)
            #expect(row.zoneSince == container.zoneSince)
        }

        let shipments = Dictionary(uniqueKeysWithValues: try store.shipments().map { ($0.shipment, $0) })
        #expect(shipments.keys.sorted() == ["SH-1001", "SH-1002", "SH-1003", "SH-2001"])
        #expect(shipments["SH-1001"]?.status == "departed")
        #expect(shipments["SH-1001"]?.containersDeparted == 3)
        #expect(shipments["SH-1002"]?.anomalies == 1)
        #expect(shipments["SH-2001"]?.anomalies == 1)
        #expect(shipments["SH-1003"]?.status == "expected")
        #expect(shipments["SH-1003"]?.containersReceived == 0)
        #expect(shipments["SH-1003"]?.anomalies == 1)

        // Importing the same manifest again changes nothing.
        let (again, againOutput, _) = try Self.sortgate(
            ["manifest", "import", manifest, "--config", configPath],
            in: folder
        )
        #expect(again == 0)
        #expect(againOutput.contains("0 added, 0 changed, 8 unchanged; rejected 0; manifest generation 1"))

        // One command: where is shipment SH-1002 and is anything wrong with it?
        let (shown, table, _) = try Self.sortgate(
            ["transport", "--config", configPath, "--shipment", "SH-1002"],
            in: folder
        )
        #expect(shown == 0)
        let missorted = try #require(expected.containers.first { $0.name == "C5" })
        #expect(table.contains("SH-1002   departed"))
        #expect(table.contains("missorted"))
        #expect(table.contains("sorted to chute-02, destination chute-01"))
        #expect(table.contains(missorted.container))
        #expect(!table.contains("SH-1001"))
        // For scripts: the same as JSON, filtered by status.
        let (listed, json, _) = try Self.sortgate(
            ["transport", "--config", configPath, "--status", "departed", "--format", "json"],
            in: folder
        )
        #expect(listed == 0)
        let listing = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let departed = try #require(listing["containers"] as? [[String: Any]])
        #expect(departed.compactMap { $0["status"] as? String } == Array(repeating: "departed", count: 7))
        #expect(
            Set(departed.compactMap { $0["container"] as? String })
                == Set(expected.containers.filter { $0.status == "departed" }.map(\.container))
        )
        #expect((listing["shipments"] as? [[String: Any]])?.count == 4)
        #expect(
            (listing["anomalies"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == [
                "missorted", "temperature",
            ]
        )
        let (unknown, _, unknownError) = try Self.sortgate(
            ["transport", "--config", configPath, "--shipment", "SH-10O2"],
            in: folder
        )
        #expect(unknown == 1)
        #expect(unknownError.contains("no shipment 'SH-10O2' in the database; did you mean 'SH-1002'?"))
    }

    @Test("A manifest imported mid-replay, as into a running gateway, is picked up at the next flush: same journeys")
    func manifestImportedWhileRunning() async throws {
        let folder = try TemporaryFolder()
        let configPath = try Self.siteConfig(in: folder)
        let expected = try Self.expectedOutcome()
        // The capture in two parts: the manifest arrives between them (C1…C5 already seen).
        try Self.splitCapture(into: folder)
        let config = try SiteConfig.load(path: configPath)
        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        let topology = SiteTopology(config: config)
        let session = IngestSession(topology: topology, sink: store)
        let reloader = ManifestReloader(store: store, topology: topology, interval: .zero)
        session.manifestUpdates = { reloader.poll() }
        _ = try await Replayer().run(files: [folder.path("1.jsonl")], into: session)
        #expect(reloader.generation == 0)
        #expect(try store.transport().allSatisfy { $0.shipment == nil && $0.anomalies.isEmpty })
        #expect(reloader.poll() == nil)

        let manifest = try ManifestFile.load(
            path: Self.captures.appendingPathComponent("transport.manifest.csv").path,
            site: config
        )
        #expect(manifest.problems.isEmpty)
        let imported = try store.importManifest(manifest.rows.map(\.record), at: EventTime(nanoseconds: 0))
        #expect(imported.generation == 1)
        _ = try await Replayer().run(files: [folder.path("2.jsonl")], into: session)
        #expect(reloader.generation == 1)
        try Self.checkJourneys(store, expected)
    }

    @Test("A gateway restarted mid-shift restores inventory and journeys and ends with the same journeys")
    func restart() async throws {
        let folder = try TemporaryFolder()
        let configPath = try Self.siteConfig(in: folder)
        let expected = try Self.expectedOutcome()
        try Self.splitCapture(into: folder)
        let config = try SiteConfig.load(path: configPath)
        let manifest = Self.captures.appendingPathComponent("transport.manifest.csv").path
        #expect(try Self.sortgate(["manifest", "import", manifest, "--config", configPath], in: folder).0 == 0)
        let topology = SiteTopology(config: config)
        func run(_ file: String, restoring: Bool) async throws {
            let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
            let session = IngestSession(topology: topology, sink: store)
            if restoring {
                session.restore(try store.inventoryEntries(zoneNames: config.zones.map(\.name)).entries)
                session.restoreJourneys(try store.transportJourneys(zoneNames: config.zones.map(\.name)))
            }
            session.loadManifest(topology.manifest(from: try store.manifestContainers()))
            _ = try await Replayer().run(files: [folder.path(file)], into: session)
        }
        try await run("1.jsonl", restoring: false)
        let before = try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite")).transport()
        #expect(before.filter { $0.status == "sorted" }.count >= 2)
        try await run("2.jsonl", restoring: true)
        try Self.checkJourneys(try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite")), expected)
    }

    @Test("EPCIS export: valid per GS1's schema, every movement once with its EPC URI, time and SGLN; stable ids")
    func epcisExport() async throws {
        let folder = try TemporaryFolder()
        let configPath = try Self.siteConfig(in: folder)
        let manifest = Self.captures.appendingPathComponent("transport.manifest.csv").path
        #expect(try Self.sortgate(["manifest", "import", manifest, "--config", configPath], in: folder).0 == 0)
        let capture = Self.captures.appendingPathComponent("transport.jsonl").path
        #expect(try Self.sortgate(["replay", capture, "--config", configPath], in: folder).0 == 0)

        let export = ["export", "epcis", "--config", configPath, "--since", "2026-11-28T00:00:00Z"]
        let (status, _, errors) = try Self.sortgate(export + ["--out", folder.path("a.jsonld")], in: folder)
        #expect(status == 0, "\(errors)")
        #expect(try Self.sortgate(export + ["--out", folder.path("b.jsonld")], in: folder).0 == 0)

        // GS1's schema accepts it, and rejects a copy with one required field removed.
        let (valid, report, _) = try Self.run(
            "/usr/bin/env",
            ["python3", Self.validator, folder.path("a.jsonld")],
            in: folder
        )
        #expect(valid == 0, "\(report)")
        var broken = try String(contentsOfFile: folder.path("a.jsonld"), encoding: .utf8)
        broken = broken.replacingOccurrences(of: #""eventTimeZoneOffset": "+00:00","#, with: "")
        try broken.write(toFile: folder.path("broken.jsonld"), atomically: true, encoding: .utf8)
        let (invalid, brokenReport, _) = try Self.run(
            "/usr/bin/env",
            ["python3", Self.validator, folder.path("broken.jsonld")],
            in: folder
        )
        #expect(invalid == 1)
        #expect(brokenReport.contains("'eventTimeZoneOffset' is a required property"))

        let document = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: folder.url.appendingPathComponent("a.jsonld")))
                as? [String: Any]
        )
        let events = try #require((document["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]])
        let objects = events.filter { $0["type"] as? String == "ObjectEvent" }
        let config = try SiteConfig.load(path: configPath)
        let store = try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite"))
        let movements = try store.movements()
        #expect(movements.count == 89)
        #expect(objects.count == movements.count)
        let uris = Dictionary(uniqueKeysWithValues: try store.inventory().map { ($0.epc, $0.uri) })
        let locations = config.zoneLocations.mapValues(\.description)
        func key(_ epc: String, _ at: String, _ readPoint: String?, _ step: String) -> String {
            "\(epc)|\(at)|\(readPoint ?? "-")|\(step)"
        }
        var exported: [String: Int] = [:]
        for event in objects {
            let epc = (event["epcList"] as? [String])?.first ?? ""
            let readPoint = (event["readPoint"] as? [String: Any])?["id"] as? String
            let step = event["bizStep"] as? String ?? ""
            exported[
                key(epc, event["eventTime"] as? String ?? "", readPoint, step == "departing" ? "d" : "a"),
                default: 0
            ] += 1
            if step != "departing" {
                #expect((event["bizLocation"] as? [String: Any])?["id"] as? String == readPoint)
            }
        }
        for movement in movements {
            let uri = try #require(uris[movement.epc] ?? nil, "no URI for \(movement.epc)")
            let zone = movement.kind == "departure" ? movement.fromZone : movement.toZone
            let k = key(uri, movement.at, zone.flatMap { locations[$0] }, movement.kind == "departure" ? "d" : "a")
            #expect(exported[k] == 1, "\(movement.kind) of \(movement.epc) at \(movement.at)")
        }
        #expect(locations["chute-02"] == "urn:epc:id:sgln:4012345.00001.chute-02")

        // Business steps: receiving at the dock-in, loading at the dock-out, departing.
        let steps = Set(objects.compactMap { $0["bizStep"] as? String })
        #expect(steps == ["receiving", "other", "staging_outbound", "storing", "loading", "departing"])
        // The warmed-up container's departure carries its stay on the dock and the excursion.
        let expected = try Self.expectedOutcome()
        let warm = try #require(expected.containers.first { $0.name == "C6" })
        let departure = try #require(
            objects.first {
                ($0["epcList"] as? [String]) == [warm.uri ?? ""] && $0["bizStep"] as? String == "departing"
            }
        )
        #expect(departure["disposition"] as? String == "in_transit")
        let sensors = try #require(departure["sensorElementList"] as? [[String: Any]])
        let reports = sensors.flatMap { $0["sensorReport"] as? [[String: Any]] ?? [] }
        #expect(reports.contains { $0["maxValue"] as? Double == 14 && $0["uom"] as? String == "CEL" })
        let alarm = try #require(reports.first { $0["exception"] as? String == "ALARM_CONDITION" })
        #expect(alarm["time"] as? String == warm.anomalies.first { $0.kind == "temperature" }?.at)
        #expect(alarm["value"] as? Double == 14)

        // Items packed in containers: one AggregationEvent per packed container, children by URI.
        let aggregations = events.filter { $0["type"] as? String == "AggregationEvent" }
        #expect(aggregations.count == 2)
        let c1 = try #require(expected.containers.first { $0.name == "C1" })
        let c1Aggregation = try #require(aggregations.first { $0["parentID"] as? String == c1.uri })
        #expect(
            c1Aggregation["childEPCs"] as? [String]
                == expected.items.filter { $0.container == c1.container }.map(\.uri)
        )
        #expect(c1Aggregation["eventTime"] as? String == c1.received_at)

        // Exporting again gives the same event ids, all distinct.
        let second = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: folder.url.appendingPathComponent("b.jsonld")))
                as? [String: Any]
        )
        let secondEvents = try #require((second["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]])
        let ids = events.compactMap { $0["eventID"] as? String }
        #expect(ids.count == events.count)
        #expect(Set(ids).count == ids.count)
        #expect(secondEvents.compactMap { $0["eventID"] as? String } == ids)
    }
}
