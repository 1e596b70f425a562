import Foundation
import GRDB
import NIOHTTP1
import SortgateStore
import SortgateTestSupport
import Testing

/// `sortgate run` with `http:` as an operator starts it: a real mosquitto, the demo's readers, the
/// API with a token; and the start-up refusals of a token file others can read, a missing one, a
/// non-loopback bind without a token and a port already taken.
@Suite("sortgate run with the HTTP API")
struct RunHTTPTests {
    static let token = "run-test-token-abcdef"

    /// The demo site (readers only) with `http` appended, and its token file (mode `tokenMode`).
    static func writeConfig(
        brokerPort: Int,
        folder: TemporaryFolder,
        http: String,
        tokenMode: Int? = 0o600
    ) throws {
        try RunCommandTests.writeSiteConfig(port: brokerPort, folder: folder)
        var site = try String(contentsOfFile: folder.path("site.yaml"), encoding: .utf8)
        site = site.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("http:") && !$0.hasPrefix("status_interval") }.joined(separator: "\n")
        site += "\nhttp: \(http)\n"
        try site.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        if let tokenMode {
            try (token + "\n").write(toFile: folder.path("token"), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: tokenMode], ofItemAtPath: folder.path("token"))
        }
    }

    /// Runs `sortgate run` until it exits by itself (start-up refused), with a 30 s limit.
    static func runUntilExit(_ folder: TemporaryFolder) throws -> (Int32, String) {
        let (status, _, errors) = try TransportReplayTests.run(
            RunCommandTests.executable,
            ["run", "--config", folder.path("site.yaml")],
            in: folder
        )
        return (status, errors)
    }

    @Test("The API answers what SQLite holds; /metrics parses and its counters equal the status line's and the database's")
    func serveLiveGateway() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let port = freeLoopbackPort()
        try Self.writeConfig(
            brokerPort: broker.port,
            folder: folder,
            http: "{bind: 127.0.0.1, port: \(port), token_file: \(folder.path("token"))}"
        )
        let process = try Process.startLogging(
            URL(fileURLWithPath: RunCommandTests.executable),
            ["run", "--config", folder.path("site.yaml")],
            output: folder.url.appendingPathComponent("stdout.log"),
            error: folder.url.appendingPathComponent("stderr.log")
        )
        defer { if process.isRunning { process.interrupt() } }
        let log = { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }
        let client = HTTPTestClient(port: port, token: Self.token)
        try await client.waitUntilListening()
        #expect(
            await eventually(timeout: .seconds(20)) { log().contains("MQTT subscribed to 'readers/dock-out/events'") }
        )
        // Ready once the broker granted every subscription.
        let readyDeadline = ContinuousClock.now + .seconds(10)
        var ready = try await client.get("/ready")
        while ready.status != 200 && ContinuousClock.now < readyDeadline {
            try await Task.sleep(for: .milliseconds(50))
            ready = try await client.get("/ready")
        }
        #expect(ready.status == 200)
        #expect(try ready.json()["reasons"] as? [String] == [])
        #expect(try await HTTPTestClient(port: port, token: nil).get("/api/sources").status == 401)
        #expect(try await HTTPTestClient(port: port, token: nil).get("/health").status == 200)

        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let published = try await publishCapture(capture, port: broker.port, range: 0..<1500)

        // Scrape until every message is processed and committed.
        var metrics = try PrometheusExposition(parsing: try await client.get("/metrics").text)
        let deadline = ContinuousClock.now + .seconds(60)
        while (metrics.value("sortgate_messages_total") ?? 0) < Double(published)
            || (metrics.value("sortgate_commit_latency_seconds_count") ?? 0) < Double(published)
        {
            #expect(ContinuousClock.now < deadline, "metrics never reached \(published) messages")
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(100))
            metrics = try PrometheusExposition(parsing: try await client.get("/metrics").text)
        }
        #expect(metrics.types["sortgate_source_messages_total"] == "counter")
        #expect(metrics.types["sortgate_commit_latency_seconds"] == "histogram")
        #expect(metrics.types["sortgate_sqlite_commit_duration_seconds"] == "histogram")
        #expect(metrics.types["sortgate_ring_depth_slots"] == "gauge")
        #expect(metrics.value("sortgate_messages_total") == Double(published))
        #expect(metrics.sum("sortgate_source_messages_total") == Double(published))
        #expect(metrics.value("sortgate_commit_latency_seconds_count") == Double(published))
        #expect((metrics.value("sortgate_sqlite_commit_duration_seconds_count") ?? 0) >= 1)
        #expect(metrics.sum("sortgate_source_reads_total") == metrics.value("sortgate_tag_reads_total"))
        #expect(metrics.value("sortgate_source_connected", ["source": "dock1-reader"]) == 1)
        #expect(metrics.sum("sortgate_source_dropped_total") == 0)
        #expect((metrics.value("sortgate_ring_high_water_slots") ?? 0) > 0)

        // The API's inventory, every page, is the table as SQLite holds it.
        var epcs: [String] = []
        var cursor: String?
        repeat {
            let page = try await client.get("/api/inventory?limit=40" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
            epcs += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["epc"] as? String }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        let database = try DatabaseQueue(path: folder.path("live.sqlite"))
        let stored = try await database.read { try String.fetchAll($0, sql: "SELECT epc FROM inventory ORDER BY zone, epc") }
        #expect(epcs == stored)
        #expect(epcs.count == 95)
        let sources = try #require(try await client.get("/api/sources").json()["sources"] as? [[String: Any]])
        #expect(sources.reduce(0) { $0 + (($1["messages"] as? Int) ?? 0) } == published)

        // Facts written count what committed batches held: once the last batch is committed they
        // equal the rows SQLite holds (the scrape above may precede the last commit by a moment).
        let arrivals = try await database.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM movements WHERE kind = 'arrival'") ?? -1
        }
        let moves = try await database.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM movements WHERE kind = 'move'") ?? -1
        }
        var written = metrics
        let writtenDeadline = ContinuousClock.now + .seconds(10)
        while written.value("sortgate_facts_written_total", ["kind": "arrival"]) != Double(arrivals)
            && ContinuousClock.now < writtenDeadline
        {
            try await Task.sleep(for: .milliseconds(100))
            written = try PrometheusExposition(parsing: try await client.get("/metrics").text)
        }
        #expect(written.value("sortgate_facts_written_total", ["kind": "arrival"]) == Double(arrivals))
        #expect(written.value("sortgate_facts_written_total", ["kind": "move"]) == Double(moves))

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let status = try #require(log().split(separator: "\n").last { $0.contains("sortgate stopped: ") })
        func figure(_ name: String) -> Double? {
            guard let range = status.range(of: "\(name) ") else { return nil }
            return Double(status[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(figure("messages") == metrics.value("sortgate_messages_total"))
        #expect(figure("rejected") == metrics.value("sortgate_rejected_total"))
        #expect(figure("reads") == metrics.value("sortgate_tag_reads_total"))
        #expect(figure("arrivals") == metrics.value("sortgate_facts_derived_total", ["kind": "arrival"]))
        #expect(figure("moves") == metrics.value("sortgate_facts_derived_total", ["kind": "move"]))
        #expect(figure("dropped") == metrics.sum("sortgate_source_dropped_total"))
        // The MQTT source mirrors its connection into swift-metrics once a second.
        #expect(metrics.value("sortgate_broker_connected", ["broker": "site"]) != nil)
        // Departures can only grow after the scrape (absent tags depart as time goes on).
        #expect((figure("departures") ?? -1) >= (metrics.value("sortgate_facts_derived_total", ["kind": "departure"]) ?? 0))
    }

    @Test("A token file others can read, a missing or empty one, an open bind without a token and a taken port stop start-up")
    func startUpRefusals() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let token = folder.path("token")

        try Self.writeConfig(
            brokerPort: broker.port, folder: folder,
            http: "{port: \(freeLoopbackPort()), token_file: \(token)}", tokenMode: 0o644
        )
        var (status, errors) = try Self.runUntilExit(folder)
        #expect(status == 2)
        #expect(errors.contains("http.token_file '\(token)' is readable by group or others (mode 644); run `chmod 600 \(token)`"))

        try FileManager.default.removeItem(atPath: token)
        (status, errors) = try Self.runUntilExit(folder)
        #expect(status == 2)
        #expect(errors.contains("http.token_file '\(token)' cannot be read"))

        #expect(FileManager.default.createFile(atPath: token, contents: Data("  \n".utf8), attributes: [.posixPermissions: 0o600]))
        (status, errors) = try Self.runUntilExit(folder)
        #expect(status == 2)
        #expect(errors.contains("http.token_file '\(token)' is empty"))

        try Self.writeConfig(brokerPort: broker.port, folder: folder, http: "{bind: 0.0.0.0, port: 8080}", tokenMode: nil)
        (status, errors) = try Self.runUntilExit(folder)
        #expect(status == 2)
        #expect(errors.contains("binding 0.0.0.0 opens the API beyond this machine, which requires a token"))

        // The broker's own port is taken.
        try Self.writeConfig(brokerPort: broker.port, folder: folder, http: "{port: \(broker.port)}", tokenMode: nil)
        (status, errors) = try Self.runUntilExit(folder)
        #expect(status == 1)
        #expect(errors.contains("HTTP API: cannot listen on 127.0.0.1:\(broker.port)"))
    }
}
