import Foundation
import Logging
import ServiceLifecycle
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateStore
import SortgateTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The central PostgreSQL away (stopped, refusing the password, with a certificate of another CA)
/// and the gateway killed while shipping: the backlog stays on the gateway's disk and arrives once,
/// in order.
@Suite("Central shipping through outages", .serialized)
struct CentralOutageTests {
    /// `SELECT count(*) FROM table` on the central server (0 while it is down or the table missing).
    static func count(_ postgres: PostgresServer, _ table: String) -> Int {
        Int((try? postgres.psql("SELECT count(*) FROM \(table)"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            ?? 0
    }

    @Test("PostgreSQL stopped under a live MQTT load and started again: nothing lost, nothing twice, order kept")
    func serverStoppedUnderLoad() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        defer { broker.stop() }
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        var config = try demoConfig(port: broker.port, folder: folder)
        config.central = CentralConfig(server: try postgres.server(), interval: .milliseconds(50))
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()
        let shipper = try #require(gateway.gateway.shipper)

        try await publish(oneReadPerTag(0..<2_000), port: broker.port)
        #expect(await eventually(timeout: .seconds(60)) { Self.count(postgres, "inventory") == 2_000 })

        postgres.stop()
        // The load goes on while the server is away: the gateway commits, the backlog grows.
        try await publish(oneReadPerTag(2_000..<8_000), port: broker.port)
        #expect(await gateway.waitForMessages(8_000))
        let failing = await eventually(timeout: .seconds(45)) {
            let status = shipper.status
            return status.errors >= 2 && status.backlog.batches > 0 && gateway.gateway.statusLine.contains("failing")
        }
        #expect(failing, "\(shipper.status)")
        // The backlog's batches committed before now, and wait at least until the server is back.
        let backlogSeen = ContinuousClock.now
        let down = shipper.status
        #expect(down.lastError?.kind == .connection)
        #expect(down.lastError?.description.contains("127.0.0.1:\(postgres.port)/postgres") == true)
        #expect(down.backlog.rows >= 6_000)
        #expect(gateway.gateway.statusLine.contains("central backlog \(down.backlog.batches) batches"))

        let waitedAtLeast = ContinuousClock.now - backlogSeen
        try postgres.start()
        let drained = await eventually(timeout: .seconds(90)) {
            Self.count(postgres, "inventory") == 8_000 && shipper.status.backlog.batches == 0
        }
        #expect(drained, "\(shipper.status)")
        #expect(shipper.status.lastError == nil)
        // Every shipped batch's lag was recorded; the longest is the outage's.
        #expect(shipper.status.lag.count == UInt64(shipper.status.shippedBatches))
        #expect(shipper.status.lag.maximum >= UInt64(waitedAtLeast / .microseconds(1)))
        try await gateway.stop()

        // Nothing lost, nothing twice: every tag once, read once, arrived once.
        #expect(try postgres.psql("SELECT count(*), sum(reads), min(reads), max(reads) FROM inventory") == "8000\t8000\t1\t1\n")
        #expect(try postgres.psql("SELECT count(*), count(DISTINCT epc) FROM movements WHERE kind = 'arrival'") == "8000\t8000\n")
        // Order kept: the central movements, in the order they arrived, are the local ones in commit order.
        let central = try postgres.psql("SELECT epc, kind, at FROM movements ORDER BY id")
        let local = try gateway.store.movements().sorted { $0.id < $1.id }.map { "\($0.epc)\t\($0.kind)\t\($0.at)" }
        #expect(central.split(separator: "\n").map(String.init) == local)
        let store = gateway.store
        let site = config.site
        let client = try CentralTestShipper.store(postgres)
        try await client.withRunningClient { client in try await expectSameRows(store, client, site: site) }
    }

    @Test("a refused password and a certificate of another CA: a clear error naming the server, backlog kept, retried")
    func refusedLogins() async throws {
        let certificates = try TestCertificates.generate(name: "central")
        defer { certificates.remove() }
        let otherCA = try TestCertificates.generate(name: "another")
        defer { otherCA.remove() }
        let postgres = try PostgresServer(tls: certificates)
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let store = try SQLiteStore(
            path: folder.path("site.sqlite"),
            zoneNames: config.zones.map(\.name),
            sourceNames: config.devices.map(\.id),
            shipsToCentral: true
        )
        _ = try await replay([CentralShippingTests.demoCapture], config: config, store: store)
        let batches = try store.centralBacklog(after: 0).batches

        // A password the server does not know.
        let wrongPassword = folder.path("wrong.pw")
        try "not-the-password\n".write(toFile: wrongPassword, atomically: true, encoding: .utf8)
        var server = try postgres.server()
        server.passwordFile = wrongPassword
        server.tls = TLSConfig(ca: certificates.caFile)
        try await withShipper(store, server, site: config.site) { shipper in
            let retried = await eventually(timeout: .seconds(20)) { shipper.status.errors >= 3 }
            #expect(retried)
            let error = try #require(shipper.status.lastError)
            #expect(error.kind == .authentication)
            #expect(error.description.hasPrefix("central PostgreSQL 127.0.0.1:\(postgres.port)/postgres: "))
            #expect(error.description.contains("password authentication failed for user \"sortgate\""))
            #expect(try store.centralBacklog(after: 0).batches == batches)
            // The server is told the password the gateway has: the next retry gets through.
            try postgres.psql("ALTER USER sortgate PASSWORD 'not-the-password'")
            let shipped = await eventually(timeout: .seconds(40)) { shipper.status.backlog.batches == 0 && shipper.status.shippedBatches == batches }
            #expect(shipped, "\(shipper.status)")
            #expect(Self.count(postgres, "movements") == (try store.movements().count))
        }

        // A server certificate signed by a CA the gateway does not trust.
        let otherStore = try SQLiteStore(
            path: folder.path("other.sqlite"),
            zoneNames: config.zones.map(\.name),
            sourceNames: config.devices.map(\.id),
            shipsToCentral: true
        )
        _ = try await replay([CentralShippingTests.demoCapture], config: config, store: otherStore)
        server.tls = TLSConfig(ca: otherCA.caFile)
        try await withShipper(otherStore, server, site: "other-site") { shipper in
            let retried = await eventually(timeout: .seconds(20)) { shipper.status.errors >= 3 }
            #expect(retried)
            let error = try #require(shipper.status.lastError)
            #expect(error.kind == .tls, "\(error)")
            #expect(error.description.hasPrefix("central PostgreSQL 127.0.0.1:\(postgres.port)/postgres: "))
            #expect(error.description.contains(otherCA.caFile))
            #expect(try otherStore.centralBacklog(after: 0).batches == batches)
            #expect(try postgres.psql("SELECT count(*) FROM central_sites WHERE site = 'other-site'") == "0\n")
        }
    }

    /// Runs a shipper service for `store` in its own group while `body` runs, then stops it.
    func withShipper(
        _ store: SQLiteStore,
        _ server: PostgresConfig,
        site: String,
        _ body: (CentralShipper) async throws -> Void
    ) async throws {
        let central = try CentralStore(server: server, logger: CentralTestShipper.logger)
        var configuration = CentralShipper.Configuration(site: site, interval: .milliseconds(50))
        configuration.retry = Backoff.Bounds(minimum: .milliseconds(100), maximum: .seconds(2))
        let shipper = CentralShipper(store: store, central: central, configuration: configuration, logger: CentralTestShipper.logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: shipper)], logger: CentralTestShipper.logger))
        let running = Task { try await group.run() }
        do {
            try await body(shipper)
        } catch {
            await group.triggerGracefulShutdown()
            try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test("sortgate run killed with SIGKILL while shipping and restarted: every batch arrives once, the mark is the last one")
    func killedWhileShipping() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        defer { broker.stop() }
        let postgres = try PostgresServer()
        defer { postgres.remove() }
        let folder = try TemporaryFolder()
        try RunCommandTests.writeSiteConfig(port: broker.port, folder: folder)
        let site = try String(contentsOfFile: folder.path("site.yaml"), encoding: .utf8)
        try (site + "\ncentral: {postgres: \"\(postgres.url())\", password_file: \(postgres.passwordFile), interval: 20ms}\n")
            .write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)

        var run = try CrashRecoveryTests.start(folder, number: 0)
        #expect(await eventually(timeout: .seconds(30)) { run.text.contains("MQTT subscribed to") })
        let published = CrashRecoveryTests.Published()
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<CrashRecoveryTests.publishers {
                    group.addTask { try await CrashRecoveryTests.publish(part, port: broker.port, published: published) }
                }
                try await group.waitForAll()
            }
        }
        var generator = SystemRandomNumberGenerator()
        for kill in 1...5 {
            // Killed once shipping is under way, at a random moment of it.
            #expect(await eventually(timeout: .seconds(30)) { Self.count(postgres, "movements") > 0 })
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...1_200, using: &generator)))
            CrashRecoveryTests.kill(run)
            run = try CrashRecoveryTests.start(folder, number: kill)
            #expect(await eventually(timeout: .seconds(30)) { run.text.contains("MQTT subscribed to") }, "\(run.text)")
        }
        published.stop.store(true, ordering: .relaxed)
        try await load.value
        let total = published.unique.load(ordering: .relaxed) + published.hot.load(ordering: .relaxed)
        let store = try SQLiteStore.openReadOnly(path: folder.path("live.sqlite"))
        let caughtUp = await eventually(timeout: .seconds(60)) {
            (try? store.centralBacklog(after: 0).batches) == 0
                && (try? store.inventory().reduce(0) { $0 + $1.reads }) == total
        }
        #expect(caughtUp)
        run.process.terminate()
        run.process.waitUntilExit()
        // Shipped once: the mark is the last local batch, and the central rows are the local ones.
        let lastSeq = try postgres.psql("SELECT seq FROM central_sites").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(lastSeq) ?? 0 > 0)
        #expect(try postgres.psql("SELECT count(*) FROM central_sites") == "1\n")
        let client = try CentralTestShipper.store(postgres)
        try await client.withRunningClient { client in try await expectSameRows(store, client, site: "demo-sorting-center") }
    }
}
