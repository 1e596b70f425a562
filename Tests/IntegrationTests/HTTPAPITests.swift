import Foundation
import GRDB
import Logging
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateHTTP
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Synchronization
import Testing

/// The HTTP API over a database a replay wrote (as `sortgate serve` runs it): every answer is what
/// SQLite holds, read directly here; tokens are enforced; every route is documented in
/// `openapi.yaml` and every answer matches its documented schema.
@Suite("HTTP API over a replayed database")
struct HTTPAPITests {
    static let token = "test-token-0123456789"

    /// The transport scenario (RFID, a cold room with a Modbus sensor, a manifest, a warm
    /// container's excursion) replayed into a database, and the API serving it on a free port.
    final class Server: Sendable {
        let folder: TemporaryFolder
        let config: SiteConfig
        let store: SQLiteStore
        let service: HTTPService
        let port: Int
        /// What the server logged.
        let log = LogStore()
        private let group: ServiceGroup
        private let running: Task<Void, any Error>

        init(token: String? = HTTPAPITests.token) async throws {
            folder = try TemporaryFolder()
            let configPath = try TransportReplayTests.siteConfig(in: folder)
            let manifest = TransportReplayTests.captures.appendingPathComponent("transport.manifest.csv").path
            let (status, _, errors) = try TransportReplayTests.sortgate(
                ["manifest", "import", manifest, "--config", configPath],
                in: folder
            )
            #expect(status == 0, "\(errors)")
            config = try SiteConfig.load(path: configPath)
            store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
            let topology = SiteTopology(config: config)
            let session = IngestSession(topology: topology, sink: store)
            session.loadManifest(topology.manifest(from: try store.manifestContainers()))
            _ = try await Replayer().run(
                files: [TransportReplayTests.captures.appendingPathComponent("transport.jsonl").path],
                into: session
            )
            let logger = log.logger
            let listening = Mutex<Int?>(nil)
            service = try HTTPService(
                configuration: HTTPService.Configuration(port: 0, token: token.map { APIToken($0) }),
                site: config,
                databasePath: folder.path("sortgate.sqlite"),
                registry: PrometheusCollectorRegistry(),
                acknowledge: { [store] id, time in try store.acknowledgeAlert(id: id, at: time) },
                logger: logger,
                onListening: { port in listening.withLock { $0 = port } }
            )
            group = ServiceGroup(configuration: .init(services: [service], logger: logger))
            running = Task { [group] in try await group.run() }
            guard await eventually(timeout: .seconds(10), { listening.withLock { $0 } != nil }),
                let port = listening.withLock({ $0 })
            else { throw TestSupportError("the HTTP API did not start listening within 10 s") }
            self.port = port
        }

        var client: HTTPTestClient { HTTPTestClient(port: port, token: HTTPAPITests.token) }

        /// Runs `sql` on a connection of its own: what SQLite holds, not what the API's queries say.
        func rows(_ sql: String) throws -> [Row] {
            let queue = try DatabaseQueue(path: folder.path("sortgate.sqlite"))
            return try queue.read { try Row.fetchAll($0, sql: sql) }
        }

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    @Test("Without the token every data endpoint answers 401 with WWW-Authenticate; /health and the page need none")
    func authentication() async throws {
        let server = try await Server()
        let anonymous = HTTPTestClient(port: server.port, token: nil)
        for path in ["/api/inventory", "/api/zones", "/api/alerts", "/metrics", "/ready", "/api/stream", "/openapi.yaml"] {
            let reply = try await anonymous.get(path)
            #expect(reply.status == 401, "\(path)")
            #expect(reply.headers["WWW-Authenticate"].first == "Bearer realm=\"sortgate\"", "\(path)")
            #expect(try reply.json()["error"] as? String == "missing or wrong bearer token")
        }
        let wrong = try await anonymous.request("/api/zones", token: "test-token-0123456788")
        #expect(wrong.status == 401)
        let shorter = try await anonymous.request("/api/zones", token: String(Self.token.dropLast()))
        #expect(shorter.status == 401)
        #expect(try await anonymous.get("/health").status == 200)
        #expect(try await anonymous.get("/").status == 200)
        #expect(try await server.client.get("/api/zones").status == 200)
        // EventSource cannot send headers: the stream takes the token as a query parameter.
        let opened = Mutex(false)
        _ = try await anonymous.events("/api/stream?token=\(Self.token)") { _ in
            opened.withLock { $0 = true }
            return true
        }
        #expect(opened.withLock { $0 })
        let post = try await anonymous.request("/api/alerts/x/ack", method: .POST)
        #expect(post.status == 401)
        try await server.stop()
    }

    @Test("Inventory pages cover the table exactly once, in order, and filters select what SQL selects")
    func inventoryPagination() async throws {
        let server = try await Server()
        let expected = try server.rows("SELECT epc, zone FROM inventory ORDER BY zone, epc").map { $0["epc"] as String }
        // The scenario's 8 containers and 5 packed items.
        #expect(expected.count == 13)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/api/inventory?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await server.client.get(path).json()
            let items = try #require(page["items"] as? [[String: Any]])
            #expect(items.count <= 3)
            seen += items.compactMap { $0["epc"] as? String }
            cursor = page["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 1000
        #expect(seen == expected)
        #expect(pages == 5)

        let zone = try #require(
            try server.rows("SELECT zone FROM inventory GROUP BY zone ORDER BY count(*) DESC LIMIT 1").first
        )["zone"] as String
        for (query, sql) in [
            ("zone=\(zone)&status=present", "zone = '\(zone)' AND status = 'present'"),
            ("status=departed", "status = 'departed'"),
            ("scheme=sscc-96", "scheme = 'sscc-96'"),
        ] {
            let page = try await server.client.get("/api/inventory?limit=1000&\(query)").json()
            let epcs = try #require(page["items"] as? [[String: Any]]).compactMap { $0["epc"] as? String }
            let rows = try server.rows("SELECT epc FROM inventory WHERE \(sql) ORDER BY zone, epc").map { $0["epc"] as String }
            #expect(epcs == rows, "\(query)")
        }
        #expect(try await server.client.get("/api/inventory?status=lost").status == 400)
        #expect(try await server.client.get("/api/inventory?limit=0").status == 400)
        #expect(try await server.client.get("/api/inventory?cursor=%21%21").status == 400)
        try await server.stop()
    }

    @Test("Zones, alerts, readings, transport and a container's journey are what the database holds")
    func contentsMatchTheDatabase() async throws {
        let server = try await Server()
        let zones = try #require(try await server.client.get("/api/zones").json()["zones"] as? [[String: Any]])
        #expect(zones.map { $0["zone"] as? String } == server.config.zones.map(\.name))
        let present = Dictionary(
            uniqueKeysWithValues: try server.rows(
                "SELECT zone, count(*) AS n FROM inventory WHERE status = 'present' GROUP BY zone"
            ).map { ($0["zone"] as String, $0["n"] as Int) }
        )
        for zone in zones {
            let name = try #require(zone["zone"] as? String)
            #expect(zone["present"] as? Int == present[name] ?? 0, "\(name)")
        }
        let coldRoom = try #require(zones.first { $0["type"] as? String == "cold-room" })
        let temperature = try #require(coldRoom["temperature"] as? [String: Any])
        let latest = try #require(
            try server.rows(
                "SELECT sensor, at, celsius FROM readings WHERE zone = '\(coldRoom["zone"]!)' ORDER BY at DESC LIMIT 1"
            ).first
        )
        #expect(temperature["at"] as? String == latest["at"] as String)
        #expect(temperature["celsius"] as? Double == latest["celsius"] as Double)

        let alerts = try #require(try await server.client.get("/api/alerts").json()["alerts"] as? [[String: Any]])
        let stored = try server.rows("SELECT id, status FROM alerts ORDER BY confirmed_at, id")
        #expect(!stored.isEmpty)
        #expect(alerts.map { $0["id"] as? String } == stored.map { $0["id"] as String })
        #expect(alerts.map { $0["status"] as? String } == stored.map { $0["status"] as String })

        let sensor = latest["sensor"] as String
        let readings = try await server.client.get("/api/sensors/\(sensor)/readings").json()
        let rows = try #require(readings["readings"] as? [[String: Any]])
        let hourBefore = try server.rows(
            "SELECT at FROM readings WHERE sensor = '\(sensor)' AND at >= '\(readings["from"]!)' ORDER BY at"
        )
        #expect(rows.count == hourBefore.count && !rows.isEmpty)
        #expect(rows.last?["at"] as? String == latest["at"] as String)
        let day = try await server.client.get(
            "/api/sensors/\(sensor)/readings?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"
        ).json()
        let minutes = try #require(day["per_minute"] as? [[String: Any]])
        let storedMinutes = try server.rows("SELECT count FROM reading_minutes WHERE sensor = '\(sensor)'")
        #expect(minutes.count == storedMinutes.count && !minutes.isEmpty)
        #expect(day["readings"] == nil)
        #expect(try await server.client.get("/api/sensors/nobody/readings").status == 404)
        #expect(try await server.client.get("/api/sensors/\(sensor)/readings?from=yesterday").status == 400)

        let transport = try await server.client.get("/api/transport").json()
        let containers = try #require(transport["containers"] as? [[String: Any]])
        #expect(containers.count == (try server.rows("SELECT container FROM transport").count))
        let shipments = try #require(transport["shipments"] as? [[String: Any]])
        #expect(shipments.count == (try server.rows("SELECT shipment FROM shipments").count))
        let one = try #require(shipments.first?["shipment"] as? String)
        let filtered = try await server.client.get("/api/transport?shipment=\(one)").json()
        #expect(
            (filtered["containers"] as? [[String: Any]])?.count
                == (try server.rows("SELECT container FROM transport WHERE shipment = '\(one)'").count)
        )

        let warm = try #require(
            try server.rows("SELECT container FROM alerts WHERE container IS NOT NULL LIMIT 1").first
        )["container"] as String
        let journey = try await server.client.get("/api/containers/\(warm.lowercased())").json()
        #expect(journey["container"] as? String == warm)
        let movements = try #require(journey["movements"] as? [[String: Any]])
        #expect(movements.count == (try server.rows("SELECT id FROM movements WHERE epc = '\(warm)'").count))
        #expect(((journey["alerts"] as? [[String: Any]])?.count ?? 0) >= 1)
        #expect((journey["transport"] as? [String: Any])?["container"] as? String == warm)
        #expect(try await server.client.get("/api/containers/0000").status == 404)
        try await server.stop()
    }

    @Test("POST ack marks the alert acknowledged in SQLite and answers it; an unknown id is 404")
    func acknowledge() async throws {
        let server = try await Server()
        let id = try #require(try server.rows("SELECT id FROM alerts ORDER BY id LIMIT 1").first)["id"] as String
        let reply = try await server.client.request("/api/alerts/\(id)/ack", method: .POST)
        #expect(reply.status == 200)
        #expect(try reply.json()["status"] as? String == "acknowledged")
        let row = try #require(try server.rows("SELECT status, acknowledged_at FROM alerts WHERE id = '\(id)'").first)
        #expect(row["status"] as String == "acknowledged")
        #expect(try reply.json()["acknowledged_at"] as? String == row["acknowledged_at"] as String)
        #expect(try await server.client.request("/api/alerts/nope/ack", method: .POST).status == 404)
        // The dashboard's list: every alert not cleared, the acknowledged one included; `active` leaves it out.
        func ids(_ path: String) async throws -> [String] {
            try #require(try await server.client.get(path).json()["alerts"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        }
        let uncleared = try await ids("/api/alerts?uncleared=true")
        #expect(uncleared == (try server.rows("SELECT id FROM alerts WHERE status <> 'cleared' ORDER BY confirmed_at, id")).map { $0["id"] as String })
        #expect(uncleared.contains(id))
        let active = try await ids("/api/alerts?active=true")
        #expect(active == (try server.rows("SELECT id FROM alerts WHERE status = 'active' ORDER BY confirmed_at, id")).map { $0["id"] as String })
        #expect(!active.contains(id))
        // The write is logged with the client's address.
        let logged = server.log.all.filter { $0.message == "alert acknowledged over HTTP" }
        #expect(logged.count == 1)
        #expect(logged.first?.metadata["alert"] == id)
        #expect(logged.first?.metadata["client"]?.hasPrefix("127.0.0.1:") == true)
        try await server.stop()
    }

    @Test("Every route is in openapi.yaml, every documented path is routed, and every answer matches its schema")
    func openAPIDocument() async throws {
        let server = try await Server()
        let document = try await server.client.get("/openapi.yaml")
        #expect(document.status == 200)
        let folder = server.folder
        try document.body.write(to: folder.url.appendingPathComponent("openapi.yaml"))
        // Routes as the router has them, `:name` parameters written `{name}` as OpenAPI does.
        let routes = server.service.routes.map { route in
            route.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
        }
        #expect(routes.count >= 15)

        let alert = try #require(try server.rows("SELECT id FROM alerts LIMIT 1").first)["id"] as String
        let sensor = try #require(try server.rows("SELECT sensor FROM readings LIMIT 1").first)["sensor"] as String
        let container = try #require(try server.rows("SELECT container FROM transport LIMIT 1").first)["container"]
            as String
        let anonymous = HTTPTestClient(port: server.port, token: nil)
        // (method, documented path, requested path, client): every documented JSON answer once.
        let requests: [(String, String, String, HTTPTestClient)] = [
            ("GET", "/health", "/health", anonymous),
            ("GET", "/ready", "/ready", server.client),
            ("GET", "/api/inventory", "/api/inventory?limit=5", server.client),
            ("GET", "/api/inventory", "/api/inventory?limit=nope", server.client),
            ("GET", "/api/inventory", "/api/inventory", anonymous),
            ("GET", "/api/zones", "/api/zones", server.client),
            ("GET", "/api/sensors/{sensor}/readings", "/api/sensors/\(sensor)/readings", server.client),
            (
                "GET", "/api/sensors/{sensor}/readings",
                "/api/sensors/\(sensor)/readings?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", server.client
            ),
            ("GET", "/api/sensors/{sensor}/readings", "/api/sensors/none/readings", server.client),
            ("GET", "/api/alerts", "/api/alerts", server.client),
            ("GET", "/api/alerts", "/api/alerts?active=true", server.client),
            ("GET", "/api/alerts", "/api/alerts?uncleared=true", server.client),
            ("POST", "/api/alerts/{id}/ack", "/api/alerts/\(alert)/ack", server.client),
            ("POST", "/api/alerts/{id}/ack", "/api/alerts/none/ack", server.client),
            ("GET", "/api/transport", "/api/transport", server.client),
            ("GET", "/api/containers/{epc}", "/api/containers/\(container)", server.client),
            ("GET", "/api/containers/{epc}", "/api/containers/none", server.client),
            ("GET", "/api/sources", "/api/sources", server.client),
            ("GET", "/", "/", anonymous),
            ("GET", "/dashboard/{file}", "/dashboard/index.html", anonymous),
            ("GET", "/dashboard/{file}", "/dashboard/..%2Fopenapi.yaml", anonymous),
            ("GET", "/metrics", "/metrics", server.client),
            ("GET", "/openapi.yaml", "/openapi.yaml", server.client),
        ]
        var exchanges: [[String: Any]] = []
        for (method, documented, path, client) in requests {
            let reply = try await client.request(path, method: method == "POST" ? .POST : .GET)
            exchanges.append([
                "method": method.lowercased(), "path": documented, "request": path, "status": reply.status,
                "content_type": reply.headers["Content-Type"].first ?? "", "body": reply.text,
            ])
        }
        let exchangesFile = folder.url.appendingPathComponent("exchanges.json")
        try JSONSerialization.data(withJSONObject: ["routes": routes, "exchanges": exchanges]).write(to: exchangesFile)
        let checker = repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/openapi/check.py").path
        let (status, output, errors) = try TransportReplayTests.run(
            "/usr/bin/env",
            ["python3", checker, folder.path("openapi.yaml"), exchangesFile.path],
            in: folder
        )
        #expect(status == 0, "\(output)\(errors)")
        #expect(output.contains("\(requests.count) responses match"), "\(output)")
        try await server.stop()
    }
}
