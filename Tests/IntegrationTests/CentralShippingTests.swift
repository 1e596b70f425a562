import Foundation
import Logging
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Testing

/// Shipping to a real central PostgreSQL (initdb + pg_ctl in a temporary folder): what arrives is
/// exactly what the site's SQLite holds, column by column.
@Suite("Central shipping", .serialized)
struct CentralShippingTests {
    static let demoCapture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    @Test("the demo capture replayed into SQLite and shipped gives the central rows of SQLite alone, in order, once")
    func demoShipped() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        var config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        config.central = CentralConfig(server: try postgres.server(), batchRows: 2_000)

        let alone = try SQLiteStore.forSite(config, path: folder.path("alone.sqlite"))
        _ = try await replay([Self.demoCapture], config: config, store: alone)

        let shipping = try SQLiteStore(
            path: folder.path("shipping.sqlite"),
            zoneNames: config.zones.map(\.name),
            sourceNames: config.devices.map(\.id),
            shipsToCentral: true
        )
        _ = try await replay([Self.demoCapture], config: config, store: shipping)
        let batches = try shipping.centralBacklog(after: 0).batches
        #expect(batches >= 1)

        let shipper = try CentralTestShipper(config: config, store: shipping)
        let site = config.site
        try await shipper.withRunningClient { shipper in
            let shipped = try await shipper.drain()
            #expect(shipped > 1_000)
            // The mark at the last local batch, the outbox empty.
            #expect(shipper.status.shippedBatches == batches)
            // One lag per batch, each at least the time from its commit (before the drain) to the drain.
            #expect(shipper.status.lag.count == UInt64(batches))
            #expect(shipper.status.lag.minimum > 0)
            #expect(try shipping.centralBacklog(after: 0).batches == 0)
            let mark = try postgres.psql("SELECT seq FROM central_sites WHERE site = 'demo-sorting-center'")
            #expect(mark.trimmingCharacters(in: .whitespacesAndNewlines) == "\(batches)")

            try await expectSameRows(alone, shipper.central, site: site)
            // Movements went in commit order: central ids follow local ids.
            let order = try postgres.psql("SELECT epc, kind, at FROM movements ORDER BY id")
            let local = try alone.movements().sorted { $0.id < $1.id }.map { "\($0.epc)\t\($0.kind)\t\($0.at)" }.joined(separator: "\n")
            #expect(order.trimmingCharacters(in: .newlines) == local)

            // Shipping again ships nothing; the same cargo sent twice changes nothing.
            #expect(try await shipper.drain() == 0)
            let cargo = try #require(try shipping.centralCargo(after: nil, maxRows: 1_000_000))
            try await shipper.central.ship(
                cargo,
                site: site,
                databaseID: "replayed-twice",
                expecting: nil
            )
            try await expectSameRows(alone, shipper.central, site: site)
        }
    }

    @Test("`sortgate replay` with a hub config loads the demo capture straight into PostgreSQL, the same rows as SQLite")
    func replayIntoHub() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let alone = try SQLiteStore.forSite(config, path: folder.path("alone.sqlite"))
        _ = try await replay([Self.demoCapture], config: config, store: alone)

        let hub = try hubConfig(from: "Config/demo.yaml", postgres: postgres, in: folder)
        let result = try CommandRunner.run(
            RunCommandTests.executable,
            ["replay", Self.demoCapture, "--config", hub],
            timeout: .seconds(120)
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("shipped "))
        let central = try CentralTestShipper.store(postgres)
        try await central.withRunningClient { central in
            try await expectSameRows(alone, central, site: config.site)
        }
    }

    @Test("`container` and `mkt` on a hub print exactly what they print on the site's SQLite; `alerts ack` on a hub is refused")
    func coldChainOnHub() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        let (capture, pallet) = try ColdChainReplayTests.timelineCapture(in: folder)
        let site = folder.path("site.yaml")
        let hub = folder.path("hub.yaml")
        let yaml = ColdChainReplayTests.configYAML
        try yaml.replacingOccurrences(of: "sqlite: sortgate.sqlite", with: "sqlite: \(folder.path("site.sqlite"))")
            .write(toFile: site, atomically: true, encoding: .utf8)
        try yaml.replacingOccurrences(
            of: "sqlite: sortgate.sqlite",
            with: "postgres: \"\(postgres.url())\", password_file: \"\(postgres.passwordFile)\""
        ).write(toFile: hub, atomically: true, encoding: .utf8)
        for config in [site, hub] {
            let replayed = try CommandRunner.run(RunCommandTests.executable, ["replay", capture, "--config", config], timeout: .seconds(120))
            #expect(replayed.status == 0, "\(config): \(replayed.standardError)")
        }

        /// The output on the site; on the hub the same, but for what `hubOnly` adds there.
        func same(_ arguments: [String], hubOnly: String = "") throws -> String {
            let onHub = try CommandRunner.run(RunCommandTests.executable, arguments + ["--config", hub])
            let onSite = try CommandRunner.run(RunCommandTests.executable, arguments + ["--config", site])
            #expect(onHub.status == 0, "\(arguments): \(onHub.standardError)")
            #expect(onSite.status == 0, "\(arguments): \(onSite.standardError)")
            if !hubOnly.isEmpty { #expect(onHub.standardOutput.contains(hubOnly), "\(arguments)") }
            #expect(onHub.standardOutput.replacingOccurrences(of: hubOnly, with: "") == onSite.standardOutput, "\(arguments)")
            return onSite.standardOutput
        }
        func at(_ minutes: Double) -> String { ColdChainReplayTests.time(minutes: minutes).rfc3339 }
        // The pallet's record (see `ColdChainReplayTests.timeline` for why these values).
        // On the hub each movement says the site that read it.
        let record = try same(["container", pallet.hex], hubOnly: "  at cold-chain-test")
        #expect(record.hasPrefix("container \(pallet.hex)\n  \(at(0))  arrival  - → cold-room-a\n  \(at(6))  move  cold-room-a → dock-out-1\n"))
        #expect(record.contains("readings 25, min 4.00 °C, max 15.00 °C, MKT "))
        #expect(record.contains("class chilled: time out of range 18 min 0 s"))
        #expect(record.contains("excursion-high active: started \(at(6)), confirmed \(at(16)), peak 15.00 °C"))
        let containerMKT = try same(["mkt", "--container", pallet.hex])
        #expect(containerMKT.hasPrefix("MKT ") && containerMKT.hasSuffix(" for container \(pallet.hex) over 1d ending \(at(24.5)) (25 readings)\n"), "\(containerMKT)")
        // The frozen class's 30-day window, found on the hub from the zone its readings carry.
        let freezer = try same(["mkt", "--sensor", "freezer-b-t1", "--format", "json"])
        #expect(freezer.contains(#""mkt_celsius":-20"#) && freezer.contains(#""window_seconds":2592000"#))
        #expect(freezer.contains(#""readings":21"#))
        let zone = try same(["mkt", "--zone", "cold-room-a", "--window", "10m"])
        #expect(zone.hasPrefix("MKT ") && zone.hasSuffix(" for zone cold-room-a over 10m ending \(at(90)) (11 readings)\n"))

        // An acknowledgement belongs to the site that raised the alert: the hub refuses it.
        let ack = try CommandRunner.run(RunCommandTests.executable, ["alerts", "ack", "A-1", "--config", hub])
        #expect(ack.status == 2)
        #expect(ack.standardError.contains("acknowledge the alert at the gateway that raised it"))
    }

    /// The transport scenario's site (`TransportReplayTests.siteConfig`) shipping to `postgres`, and
    /// a hub config with the same zones reading it: (site config, hub config).
    static func transportSite(shippingTo postgres: PostgresServer, in folder: TemporaryFolder) throws -> (String, String) {
        let site = try TransportReplayTests.siteConfig(in: folder)
        let text = try String(contentsOfFile: site, encoding: .utf8)
        let sqlite = "  sqlite: \(folder.path("sortgate.sqlite"))"
        let server = "  postgres: \(postgres.url())\n  password_file: \(postgres.passwordFile)\n"
        try (text + "\ncentral:\n" + server).write(toFile: site, atomically: true, encoding: .utf8)
        let hub = folder.path("hub.yaml")
        try text.replacingOccurrences(of: sqlite + "\n", with: server).write(toFile: hub, atomically: true, encoding: .utf8)
        return (site, hub)
    }

    /// The transport capture with two bad messages first (broken JSON; bytes that are not UTF-8),
    /// so that the quarantine has rows, one of them binary.
    static func transportCaptureWithBadInput(in folder: TemporaryFolder) throws -> String {
        let capture = try String(
            contentsOf: TransportReplayTests.captures.appendingPathComponent("transport.jsonl"),
            encoding: .utf8
        )
        let bad = [
            #"{"t":"2026-11-28T08:00:10.000000000Z","source":"dock-in-reader","topic":"readers/dock-in/events","payload":"{not json"}"#,
            #"{"t":"2026-11-28T08:00:11.000000000Z","source":"dock-in-reader","topic":"readers/dock-in/events","payload_b64":"//4AQQ=="}"#,
        ]
        let path = folder.path("transport-bad.jsonl")
        try (bad.joined(separator: "\n") + "\n" + capture).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("manifests and the quarantine ship: the same rows centrally, a re-import's changes follow, and the hub's EPCIS export equals the site's, aggregations included")
    func manifestsAndQuarantine() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        let (site, hub) = try Self.transportSite(shippingTo: postgres, in: folder)
        let manifest = TransportReplayTests.captures.appendingPathComponent("transport.manifest.csv").path
        let imported = try CommandRunner.run(RunCommandTests.executable, ["manifest", "import", manifest, "--config", site])
        #expect(imported.status == 0, "\(imported.standardError)")
        let capture = try Self.transportCaptureWithBadInput(in: folder)
        let replayed = try CommandRunner.run(RunCommandTests.executable, ["replay", capture, "--config", site], timeout: .seconds(120))
        #expect(replayed.status == 0, "\(replayed.standardError)")
        #expect(replayed.standardOutput.contains("shipped "), "\(replayed.standardOutput)")

        let config = try SiteConfig.load(path: site)
        let local = try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite"))
        let central = try CentralTestShipper.store(postgres)
        try await central.withRunningClient { central in
            try await expectSameRows(local, central, site: config.site)
        }
        #expect(try postgres.psql("SELECT count(*) FROM manifest_containers WHERE site = 'transport-demo'") == "8\n")
        // SSCC 1's three items and SSCC 6's two, in manifest order.
        #expect(
            try postgres.psql("SELECT uri FROM manifest_items ORDER BY id") == """
                urn:epc:id:sgtin:4012345.012345.101
                urn:epc:id:sgtin:4012345.012345.102
                urn:epc:id:sgtin:4012345.012345.103
                urn:epc:id:sgtin:4012345.012345.601
                urn:epc:id:sgtin:4012345.012345.602

                """
        )
        #expect(
            try postgres.psql("SELECT source, reason, upper(encode(payload, 'hex')) FROM quarantine ORDER BY at") == """
                dock-in-reader\tmalformed-json\t7B6E6F74206A736F6E
                dock-in-reader\tinvalid-utf8\tFFFE0041

                """
        )
        #expect(try postgres.psql("SELECT count(*) FROM shipments WHERE site = 'transport-demo'") == "4\n")

        // The hub's EPCIS document is the site's: the same events, the aggregations included.
        func events(_ config: String, _ name: String) throws -> [[String: Any]] {
            let path = folder.path(name)
            let export = try CommandRunner.run(
                RunCommandTests.executable,
                ["export", "epcis", "--config", config, "--since", "2026-11-28T00:00:00Z", "--out", path]
            )
            #expect(export.status == 0, "\(export.standardError)")
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            return ((document as? [String: Any])?["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]] ?? []
        }
        let siteEvents = try events(site, "site.jsonld")
        let hubEvents = try events(hub, "hub.jsonld")
        let aggregations = siteEvents.filter { $0["type"] as? String == "AggregationEvent" }
        #expect(aggregations.count == 2)
        #expect(siteEvents.count > aggregations.count)
        #expect((hubEvents as NSArray).isEqual(to: siteEvents))

        // A second import empties SSCC 1's items and packs item 601 in SSCC 5 instead: the hub follows.
        let changed = folder.path("changed.manifest.csv")
        try """
            container,shipment,destination,class,expected_by,items
            urn:epc:id:sscc:4012345.0000000001,SH-1001,chute-01,,2026-11-28T08:30:00.000000000Z,
            urn:epc:id:sscc:4012345.0000000005,SH-1002,chute-01,,,urn:epc:id:sgtin:4012345.012345.601

            """.write(toFile: changed, atomically: true, encoding: .utf8)
        let reimported = try CommandRunner.run(RunCommandTests.executable, ["manifest", "import", changed, "--config", site])
        #expect(reimported.status == 0, "\(reimported.standardError)")
        #expect(reimported.standardOutput.contains("0 added, 2 changed, 0 unchanged"), "\(reimported.standardOutput)")
        let store = try Self.shippingStore(config, folder.path("sortgate.sqlite"))
        #expect(try store.centralBacklog(after: 0).batches == 1)
        let shipper = try CentralTestShipper(config: config, store: store)
        let reshipped = try await shipper.withRunningClient { shipper in
            let rows = try await shipper.drain()
            try await expectSameRows(store, shipper.central, site: config.site)
            return rows
        }
        #expect(reshipped > 0)
        #expect(
            try postgres.psql(
                "SELECT c.uri, i.uri FROM manifest_items i JOIN manifest_containers c USING (site, container) ORDER BY i.id"
            ) == """
                urn:epc:id:sscc:4012345.0000000006\turn:epc:id:sgtin:4012345.012345.602
                urn:epc:id:sscc:4012345.0000000005\turn:epc:id:sgtin:4012345.012345.601

                """
        )
    }

    @Test("an alert acknowledged on the site reaches the hub with the shipper's next pass, before any transition of its own")
    func acknowledgementShips() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        let (site, hub) = try Self.transportSite(shippingTo: postgres, in: folder)
        let capture = TransportReplayTests.captures.appendingPathComponent("transport.jsonl").path
        let replayed = try CommandRunner.run(RunCommandTests.executable, ["replay", capture, "--config", site], timeout: .seconds(120))
        #expect(replayed.status == 0, "\(replayed.standardError)")
        let config = try SiteConfig.load(path: site)
        let store = try Self.shippingStore(config, folder.path("sortgate.sqlite"))
        let alert = try #require(try store.alerts().first)
        #expect(alert.acknowledgedAt == nil)
        let query = "SELECT status, coalesce(acknowledged_at, '-') FROM alerts WHERE id = '\(alert.id)'"
        #expect(try postgres.psql(query) == "\(alert.status)\t-\n")

        let ack = try CommandRunner.run(RunCommandTests.executable, ["alerts", "ack", alert.id, "--config", site])
        #expect(ack.status == 0, "\(ack.standardError)")
        // The acknowledgement is a batch of its own in the outbox, and nothing reaches the hub before the shipper runs.
        #expect(try store.centralBacklog(after: 0).batches == 1)
        #expect(try postgres.psql(query) == "\(alert.status)\t-\n")
        let acknowledged = try #require(try store.alerts().first { $0.id == alert.id })
        let at = try #require(acknowledged.acknowledgedAt)
        let shipper = try CentralTestShipper(config: config, store: store)
        let shipped = try await shipper.withRunningClient { try await $0.drain() }
        #expect(shipped == 1)
        #expect(try postgres.psql(query) == "acknowledged\t\(at)\n")
        let listed = try CommandRunner.run(RunCommandTests.executable, ["alerts", "--config", hub, "--format", "csv"])
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(listed.standardOutput.contains("\(alert.id),") && listed.standardOutput.contains(",acknowledged"))
    }

    @Test("two gateways ship to one PostgreSQL: a container moving from one site to the other has one journey, and the hub's inventory shows it at the second")
    func twoSites() async throws {
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        // The same tags, two hours later at the second hub (the generator's seed picks the tags).
        let later = folder.path("hub-b.jsonl")
        let generator = URL(fileURLWithPath: RunCommandTests.executable).deletingLastPathComponent()
            .appendingPathComponent("sortgate-capture-gen").path
        try CommandRunner.runChecked(generator, ["--out", later, "--start", "2026-11-28T10:00:00Z"])

        var siteA = try loadConfig("Config/demo.yaml", databaseIn: folder)
        siteA.central = CentralConfig(server: try postgres.server())
        var siteB = siteA
        siteB.site = "hub-b"
        let storeA = try Self.shippingStore(siteA, folder.path("a.sqlite"))
        let storeB = try Self.shippingStore(siteB, folder.path("b.sqlite"))
        // Both sites have a sensor coldroom-a-t1 in a zone cold-room-a: 4 °C at the first, 12 °C (too warm) at the second.
        let readingsA = try Self.coldRoomPolls(hour: "07", registers: 40, in: folder)
        let readingsB = try Self.coldRoomPolls(hour: "09", registers: 120, in: folder)
        _ = try await replay([readingsA, Self.demoCapture], config: siteA, store: storeA)
        _ = try await replay([readingsB, later], config: siteB, store: storeB)
        let shipperA = try CentralTestShipper(config: siteA, store: storeA)
        try await shipperA.withRunningClient { try await $0.drain() }
        let shipperB = try CentralTestShipper(config: siteB, store: storeB)
        try await shipperB.withRunningClient { try await $0.drain() }

        // Both histories are there; every tag and every container once, at the second hub.
        let movements = try storeA.movements().count + storeB.movements().count
        #expect(try postgres.psql("SELECT count(*) FROM movements") == "\(movements)\n")
        let tags = try storeB.inventory()
        #expect(try postgres.psql("SELECT site, count(*) FROM inventory GROUP BY site") == "hub-b\t\(tags.count)\n")
        let journeysA = try storeA.transport()
        let journeysB = try storeB.transport()
        #expect(!journeysB.isEmpty)
        #expect(try postgres.psql("SELECT count(*), count(DISTINCT container) FROM transport") == "\(journeysB.count)\t\(journeysB.count)\n")
        let container = try #require(journeysB.first { journey in journeysA.contains { $0.container == journey.container } })
        let first = try #require(journeysA.first { $0.container == container.container })
        let central = try postgres.psql(
            "SELECT site, status, zone, received_at FROM transport WHERE container = '\(container.container)'"
        )
        #expect(central == "hub-b\t\(container.status)\t\(container.zone ?? "")\t\(first.receivedAt ?? "")\n")
        let history = try postgres.psql(
            "SELECT DISTINCT site FROM movements WHERE epc = '\(container.container)' ORDER BY site"
        )
        #expect(history == "demo-sorting-center\nhub-b\n")

        // The reading commands on the hub config: the second site's inventory rows, as on its SQLite.
        let hub = try hubConfig(from: "Config/demo.yaml", postgres: postgres, in: folder)
        let hubInventory = try CommandRunner.run(RunCommandTests.executable, ["inventory", "--config", hub, "--format", "csv"])
        #expect(hubInventory.status == 0, "\(hubInventory.standardError)")
        let siteBConfig = try siteConfig(from: hub, sqlite: folder.path("b.sqlite"), postgres: postgres, in: folder)
        let localInventory = try CommandRunner.run(RunCommandTests.executable, ["inventory", "--config", siteBConfig, "--format", "csv"])
        #expect(localInventory.status == 0, "\(localInventory.standardError)")
        // first_seen is the earliest sighting anywhere, so only that column differs: at the first hub.
        // On the hub each row begins with its site.
        func withoutFirstSeen(_ csv: String, from column: Int) -> [String] {
            csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != column }.map(\.element).joined(separator: ",") }
        }
        let sited = ["site," + (localInventory.standardOutput.split(whereSeparator: \.isNewline).first ?? "")]
            + localInventory.standardOutput.split(whereSeparator: \.isNewline).dropFirst().map { "hub-b,\($0)" }
        #expect(withoutFirstSeen(hubInventory.standardOutput, from: 6) == withoutFirstSeen(sited.joined(separator: "\n"), from: 6))
        #expect(hubInventory.standardOutput.split(whereSeparator: \.isNewline).count == tags.count + 1)
        let hubTransport = try CommandRunner.run(RunCommandTests.executable, ["transport", "--config", hub, "--format", "csv"])
        #expect(hubTransport.status == 0, "\(hubTransport.standardError)")
        #expect(hubTransport.standardOutput.split(whereSeparator: \.isNewline).count == journeysB.count + 1)
        #expect(hubTransport.standardOutput.contains("\(container.container),"))
        // The container's record on the hub: its movements at both sites, in time order.
        let hubContainer = try CommandRunner.run(RunCommandTests.executable, ["container", container.container, "--config", hub])
        #expect(hubContainer.status == 0, "\(hubContainer.standardError)")
        func lines(_ movements: [MovementRecord], at site: String) -> [String] {
            movements.map { "  \($0.at)  \($0.kind)  \($0.fromZone ?? "-") → \($0.toZone ?? "-")  at \(site)" }
        }
        let bothSites = try lines(storeA.movements(epc: container.container), at: "demo-sorting-center")
            + lines(storeB.movements(epc: container.container), at: "hub-b")
        #expect(Array(hubContainer.standardOutput.split(separator: "\n").dropFirst().prefix(bothSites.count).map(String.init)) == bothSites)

        // One EPCIS document over both sites: every movement of each, once.
        let export = try CommandRunner.run(
            RunCommandTests.executable,
            ["export", "epcis", "--config", hub, "--since", "2026-11-28T00:00:00Z", "--out", folder.path("hub.jsonld")]
        )
        #expect(export.status == 0, "\(export.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("hub.jsonld"))))
        let events = ((document as? [String: Any])?["epcisBody"] as? [String: Any])?["eventList"] as? [[String: Any]] ?? []
        #expect(events.filter { $0["type"] as? String == "ObjectEvent" }.count == movements)
        let containerURI = try #require(container.uri)
        let containerEvents = events.filter { ($0["epcList"] as? [String]) == [containerURI] }
        #expect(containerEvents.count == (try storeA.movements(epc: container.container).count + storeB.movements(epc: container.container).count))

        // --site: a sensor or zone of the same name at both sites is refused without it, one site's with it.
        func sortgate(_ arguments: [String], _ config: String = hub) throws -> CommandResult {
            try CommandRunner.run(RunCommandTests.executable, arguments + ["--config", config])
        }
        let both = "has readings from 2 sites (demo-sorting-center, hub-b); give --site demo-sorting-center or --site hub-b"
        for arguments in [["readings", "--sensor", "coldroom-a-t1"], ["mkt", "--sensor", "coldroom-a-t1"]] {
            let mixed = try sortgate(arguments)
            #expect(mixed.status == 2, "\(arguments)")
            #expect(mixed.standardError == "sortgate: sensor 'coldroom-a-t1' \(both) rather than mix them\n", "\(arguments)")
        }
        let zone = try sortgate(["mkt", "--zone", "cold-room-a"])
        #expect(zone.status == 2)
        #expect(zone.standardError.contains("zone 'cold-room-a' \(both)"))
        let siteAConfig = try siteConfig(from: hub, sqlite: folder.path("a.sqlite"), postgres: postgres, in: folder)
        let hubReadings = try sortgate(["readings", "--sensor", "coldroom-a-t1", "--site", "hub-b", "--format", "csv"])
        let localReadings = try sortgate(["readings", "--sensor", "coldroom-a-t1", "--format", "csv"], siteBConfig)
        #expect(hubReadings.status == 0, "\(hubReadings.standardError)")
        #expect(localReadings.standardOutput.split(whereSeparator: \.isNewline).count == 4)
        #expect(localReadings.standardOutput.contains(",12.00\r\n"))
        let sitedReadings = localReadings.standardOutput.split(whereSeparator: \.isNewline).enumerated()
            .map { $0.offset == 0 ? "site,\($0.element)" : "hub-b,\($0.element)" }
        #expect(hubReadings.standardOutput.split(whereSeparator: \.isNewline).map(String.init) == sitedReadings)
        let hubTable = try sortgate(["readings", "--sensor", "coldroom-a-t1", "--site", "demo-sorting-center"])
        #expect(hubTable.standardOutput.hasPrefix("site "))
        #expect(hubTable.standardOutput.split(whereSeparator: \.isNewline).dropFirst(2).allSatisfy { $0.hasPrefix("demo-sorting-center ") && $0.hasSuffix(" 4.00") })
        for (name, config) in [("demo-sorting-center", siteAConfig), ("hub-b", siteBConfig)] {
            let onHub = try sortgate(["mkt", "--sensor", "coldroom-a-t1", "--site", name])
            let onSite = try sortgate(["mkt", "--sensor", "coldroom-a-t1"], config)
            #expect(onHub.status == 0, "\(onHub.standardError)")
            #expect(onHub.standardOutput == onSite.standardOutput)
            #expect(onSite.standardOutput.hasPrefix(name == "hub-b" ? "MKT 12.00 °C" : "MKT 4.00 °C"), "\(onSite.standardOutput)")
        }
        // Listings of one site: the rows whose latest fact is there.
        let inventoryA = try sortgate(["inventory", "--site", "demo-sorting-center", "--format", "csv"])
        let countA = try postgres.psql("SELECT count(*) FROM inventory WHERE site = 'demo-sorting-center'")
        #expect(inventoryA.standardOutput.split(whereSeparator: \.isNewline).count == Int(countA.trimmingCharacters(in: .newlines))! + 1)
        let transportB = try sortgate(["transport", "--site", "hub-b", "--format", "csv"])
        #expect(transportB.standardOutput.split(whereSeparator: \.isNewline).count == journeysB.count + 1)
        #expect(transportB.standardOutput.hasPrefix("site,container,"))
        let containerB = try sortgate(["container", container.container, "--site", "hub-b"])
        #expect(Array(containerB.standardOutput.split(whereSeparator: \.isNewline).dropFirst().prefix(while: { $0.hasPrefix("  2026") }).map(String.init)) == lines(try storeB.movements(epc: container.container), at: "hub-b"))
        // Each site's alerts (the second's cold room too warm): that site's rows, as on its database.
        let alertsB = try storeB.alerts()
        #expect(!alertsB.isEmpty)
        let hubAlerts = try sortgate(["alerts", "--site", "hub-b", "--format", "csv"])
        let hubAlertRows = hubAlerts.standardOutput.split(whereSeparator: \.isNewline).dropFirst()
        #expect(hubAlertRows.map { String($0.split(separator: ",")[1]) } == alertsB.map(\.id))
        #expect(hubAlertRows.allSatisfy { $0.hasPrefix("hub-b,") })
        #expect(try sortgate(["alerts", "--format", "csv"]).standardOutput.split(whereSeparator: \.isNewline).count
            == alertsB.count + (try storeA.alerts().count) + 1)
        let unknown = try sortgate(["inventory", "--site", "hub-c"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError == "sortgate: no site 'hub-c' has shipped to the hub; sites: demo-sorting-center, hub-b\n")
        // A site's own database: its own name changes nothing, another is refused.
        let own = try sortgate(["inventory", "--site", "demo-sorting-center", "--format", "csv"], siteAConfig)
        #expect(own.status == 0, "\(own.standardError)")
        #expect(own.standardOutput == (try sortgate(["inventory", "--format", "csv"], siteAConfig)).standardOutput)
        let other = try sortgate(["inventory", "--site", "hub-b"], siteAConfig)
        #expect(other.status == 2)
        #expect(other.standardError.contains("this config's database is site 'demo-sorting-center''s own"))
    }

    /// Polls of the demo's `coldroom-a-t1` at `hour`:58:00, :20 and :40 (`registers` tenths of a °C):
    /// long enough for the chilled class's alarm delay (30 s) to confirm an excursion.
    static func coldRoomPolls(hour: String, registers: Int, in folder: TemporaryFolder) throws -> String {
        let path = folder.path("polls-\(registers).jsonl")
        try ["00", "20", "40"].map { second in
            #"{"t":"2026-11-28T\#(hour):58:\#(second).000000000Z","source":"coldroom-a-t1","modbus":{"table":"input","address":1,"registers":[\#(registers),450]}}"#
                + "\n"
        }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The hub config `hub` with a site's SQLite at `path` instead of PostgreSQL: the same zones
    /// and classes, so that a command prints the same on both.
    func siteConfig(from hub: String, sqlite path: String, postgres: PostgresServer, in folder: TemporaryFolder) throws -> String {
        let site = folder.path("site-\(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent).yaml")
        try String(contentsOfFile: hub, encoding: .utf8)
            .replacingOccurrences(of: "  postgres: \(postgres.url())\n  password_file: \(postgres.passwordFile)", with: "  sqlite: \(path)")
            .write(toFile: site, atomically: true, encoding: .utf8)
        return site
    }

    static func shippingStore(_ config: SiteConfig, _ path: String) throws -> SQLiteStore {
        try SQLiteStore(
            path: path,
            zoneNames: config.zones.map(\.name),
            sourceNames: config.devices.map(\.id),
            shipsToCentral: true
        )
    }

    /// The demo config with `database: {postgres: …}` (a hub config that still names the devices,
    /// so that `replay` can decode their captures).
    func hubConfig(from relativePath: String, postgres: PostgresServer, in folder: TemporaryFolder) throws -> String {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(relativePath), encoding: .utf8)
        let hub = text.replacingOccurrences(
            of: "  sqlite: ../demo-data/sortgate.sqlite",
            with: "  postgres: \(postgres.url())\n  password_file: \(postgres.passwordFile)"
        ).replacingOccurrences(of: "profiles_path: [../Devices]", with: "profiles_path: [\(repositoryRoot.path)/Devices]")
            + "\ntransport: {epcis: {location: \"urn:epc:id:sgln:4012345.00001.0\"}}\n"
        let path = folder.path("hub.yaml")
        try hub.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Every shipped table of `local` equals the central rows of `site`, column by column (as multisets).
func expectSameRows(_ local: SQLiteStore, _ central: CentralStore, site: String) async throws {
    for table in CentralTable.allCases {
        let localRows = try local.shippedColumns(of: table).map { $0.map(\.description) }.sorted { $0.lexicographicallyPrecedes($1) }
        let centralRows = try await central.shippedColumns(of: table, site: site).map { $0.map(\.description) }
            .sorted { $0.lexicographicallyPrecedes($1) }
        #expect(localRows.count == centralRows.count, "\(table.rawValue): row counts")
        #expect(localRows == centralRows, "\(table.rawValue): rows differ")
    }
}

extension PostgresServer {
    /// The server as a config names it.
    func server(database: String = "postgres") throws -> PostgresConfig {
        var server = try PostgresConfig.parse(url: url(database: database)).get()
        server.passwordFile = passwordFile
        return server
    }
}

/// A shipper of `store` to the config's central server, run with its client for one drain at a time.
struct CentralTestShipper: Sendable {
    let shipper: CentralShipper
    var central: CentralStore { shipper.central }

    init(config: SiteConfig, store: SQLiteStore) throws {
        let central = try CentralStore(server: config.central!.server, logger: Self.logger)
        shipper = CentralShipper(
            store: store,
            central: central,
            configuration: CentralShipper.Configuration(site: config.site, central: config.central!),
            logger: Self.logger
        )
    }

    static let logger: Logger = {
        var logger = Logger(label: "test-central")
        logger.logLevel = .warning
        return logger
    }()

    static func store(_ postgres: PostgresServer) throws -> CentralStore {
        try CentralStore(server: try postgres.server(), logger: logger)
    }

    /// Runs `body` with the central client running.
    func withRunningClient<T: Sendable>(_ body: @escaping @Sendable (CentralShipper) async throws -> T) async throws -> T {
        try await central.withRunningClient { [shipper] _ in try await body(shipper) }
    }
}
