import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import SortgateTestSupport
import Testing

/// The live gateway polling the Modbus simulator: readings land in the database, and the
/// recording replays to the same readings.
@Suite("Live Modbus polling")
struct LiveModbusTests {
    @Test("Cold-room sensors polled live give exact readings, and the recorded polls replay to the same rows")
    func liveReadingsEqualReplay() async throws {
        let script = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tools/ModbusSimulator/demo-coldrooms.yaml"),
            encoding: .utf8
        )
        let simulator = try await ModbusSimulatorProcess(script: script)
        let folder = try TemporaryFolder()
        let yaml = """
            site: live-modbus-test
            database: {sqlite: \(folder.path("live.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            zones:
              cold-room-a: {type: cold-room}
              freezer-b: {type: cold-room}
            devices:
              - {id: coldroom-a-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 1}, poll: 200ms, timeout: 200ms, zone: cold-room-a}
              - {id: freezer-b-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 2}, poll: 200ms, timeout: 200ms, zone: freezer-b}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        let recording = folder.path("polls.jsonl")
        let gateway = try LiveGateway(config: config, record: recording)
        #expect(await eventually(timeout: .seconds(20)) { gateway.pipeline.status.totals.sensorReadings >= 10 })
        try await gateway.stop()

        let live = try gateway.store.readings()
        #expect(live.count >= 10)
        #expect(Set(live.filter { $0.sensor == "coldroom-a-t1" }.map(\.celsius)) == [4.0])
        #expect(Set(live.filter { $0.sensor == "freezer-b-t1" }.map(\.celsius)) == [-20.0])
        #expect(Set(live.map(\.zone)) == ["cold-room-a", "freezer-b"])

        var replayConfig = config
        replayConfig.database = .sqlite(path: folder.path("replayed.sqlite"))
        let replayed = try SQLiteStore.forSite(config, path: folder.path("replayed.sqlite"))
        _ = try await replay([recording], config: replayConfig, store: replayed)
        #expect(try replayed.readings() == live)
    }
}

/// A confirmed excursion is committed at once, whatever the flush interval.
@Suite("Live cold-chain alerts")
struct LiveAlertFlushTests {
    @Test("an excursion confirmed between flushes is committed at once, with the readings before it")
    func alertFlushesAtOnce() async throws {
        // One transmitter at 12 °C in a chilled (2–8 °C) room: the excursion starts at the first
        // poll and is confirmed one alarm delay (1 s) later.
        let script = """
            units:
              - unit: 1
                name: coldroom-a
                registers:
                  - {table: input, address: 1, type: int16, scale: 0.1, value: 12.0}
                  - {table: input, address: 2, type: uint16, scale: 0.1, value: 62.5}
            """
        let simulator = try await ModbusSimulatorProcess(script: script)
        let folder = try TemporaryFolder()
        let yaml = """
            site: live-alert-flush-test
            database: {sqlite: \(folder.path("live.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            zones:
              cold-room-a: {type: cold-room, class: chilled}
            devices:
              - {id: coldroom-a-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 1}, poll: 200ms, timeout: 200ms, zone: cold-room-a}
            cold_chain:
              classes:
                chilled: {min: 2, max: 8, alarm_delay: 1s}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        // Batches every 60 s (and complete ones too): only the alert can make one sooner.
        let gateway = try LiveGateway(
            config: try SiteConfig.load(path: folder.path("site.yaml")),
            flushPolicy: FlushPolicy(interval: .seconds(60), completeInterval: .seconds(60))
        )
        let started = ContinuousClock.now
        let committed = await eventually(timeout: .seconds(15)) {
            ((try? gateway.store.alerts()) ?? []).contains { $0.kind == "excursion-high" && $0.subject == "sensor:coldroom-a-t1" }
        }
        let elapsed = ContinuousClock.now - started
        try await gateway.stop()
        #expect(committed)
        #expect(elapsed < .seconds(15))
        let alerts = try gateway.store.alerts().filter { $0.subject == "sensor:coldroom-a-t1" }
        #expect(alerts.count == 1)
        #expect(alerts.first?.status == "active")
        #expect(alerts.first?.peakCelsius == 12.0)
        #expect(alerts.first?.zone == "cold-room-a")
        #expect(alerts.first?.class == "chilled")
        let readings = try gateway.store.readings().filter { $0.sensor == "coldroom-a-t1" }
        #expect(readings.count >= 6)
        #expect(Set(readings.map(\.celsius)) == [12.0])
    }
}

/// What the HTTP API of a live gateway says about its Modbus devices.
@Suite("Live Modbus polling through the HTTP API")
struct LiveModbusHTTPTests {
    @Test("/api/sources and /metrics show each device's polls, failures by kind and connection, and agree")
    func sourcesAndMetrics() async throws {
        let script = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tools/ModbusSimulator/demo-coldrooms.yaml"),
            encoding: .utf8
        )
        let simulator = try await ModbusSimulatorProcess(script: script)
        let folder = try TemporaryFolder()
        let httpPort = freeLoopbackPort()
        // `dead-t1` points at a port nobody listens on: every poll fails to connect.
        let yaml = """
            site: live-modbus-http-test
            database: {sqlite: \(folder.path("live.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            http: {port: \(httpPort)}
            zones:
              cold-room-a: {type: cold-room}
            devices:
              - {id: coldroom-a-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 1}, poll: 200ms, timeout: 200ms, zone: cold-room-a}
              - {id: dead-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(freeLoopbackPort()), unit: 1}, poll: 200ms, timeout: 200ms, zone: cold-room-a}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let gateway = try LiveGateway(config: try SiteConfig.load(path: folder.path("site.yaml")))
        let client = HTTPTestClient(port: httpPort, token: nil)
        try await client.waitUntilListening()
        #expect(await eventually(timeout: .seconds(20)) { gateway.pipeline.status.totals.sensorReadings >= 5 })

        func modbus(_ sources: [[String: Any]], _ device: String) -> [String: Any]? {
            sources.first { $0["device"] as? String == device }?["modbus"] as? [String: Any]
        }
        let before = try #require(try await client.get("/api/sources").json()["sources"] as? [[String: Any]])
        let metrics = try PrometheusExposition(parsing: try await client.get("/metrics").text)
        let after = try #require(try await client.get("/api/sources").json()["sources"] as? [[String: Any]])

        let healthy = try #require(after.first { $0["device"] as? String == "coldroom-a-t1" })
        #expect(healthy["kind"] as? String == "modbus")
        #expect(healthy["connected"] as? Bool == true)
        #expect(modbus(after, "coldroom-a-t1")?["failed_polls"] as? Int == 0)
        let dead = try #require(after.first { $0["device"] as? String == "dead-t1" })
        #expect(dead["connected"] as? Bool == false)
        let deadFailures = try #require(modbus(after, "dead-t1")?["failures"] as? [String: Int])
        #expect((deadFailures["connection"] ?? 0) >= 1)
        #expect((modbus(after, "dead-t1")?["last_error"] as? String)?.isEmpty == false)

        // Polls go on between the three requests: the scrape lies between the two listings.
        for device in ["coldroom-a-t1", "dead-t1"] {
            let polls = try #require(metrics.value("sortgate_modbus_polls_total", ["source": device]))
            #expect(Double(modbus(before, device)?["polls"] as? Int ?? -1) <= polls, "\(device)")
            #expect(polls <= Double(modbus(after, device)?["polls"] as? Int ?? -1), "\(device)")
        }
        #expect(metrics.value("sortgate_source_connected", ["source": "coldroom-a-t1"]) == 1)
        #expect(metrics.value("sortgate_source_connected", ["source": "dead-t1"]) == 0)
        let failed = try #require(
            metrics.value("sortgate_modbus_request_failures_total", ["source": "dead-t1", "kind": "connection"])
        )
        #expect(Double(deadFailures["connection"] ?? -1) >= failed && failed >= 1)
        #expect(metrics.value("sortgate_modbus_failed_polls_total", ["source": "coldroom-a-t1"]) == 0)
        try await gateway.stop()
    }
}
