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

    /// The demo config with `database: {postgres: …}` (a hub config that still names the devices,
    /// so that `replay` can decode their captures).
    func hubConfig(from relativePath: String, postgres: PostgresServer, in folder: TemporaryFolder) throws -> String {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(relativePath), encoding: .utf8)
        let hub = text.replacingOccurrences(
            of: "  sqlite: ../demo-data/sortgate.sqlite",
            with: "  postgres: \(postgres.url())\n  password_file: \(postgres.passwordFile)"
        ).replacingOccurrences(of: "profiles_path: [../Devices]", with: "profiles_path: [\(repositoryRoot.path)/Devices]")
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
    func withRunningClient(_ body: @escaping @Sendable (CentralShipper) async throws -> Void) async throws {
        try await central.withRunningClient { [shipper] _ in try await body(shipper) }
    }
}
