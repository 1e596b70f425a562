import ArgumentParser
import Foundation
import Logging
import SortgateConfig
import SortgateGateway
import SortgateStore

/// `sortgate central migrate --config F`: the central PostgreSQL's schema.
struct CentralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "central",
        abstract: "The central PostgreSQL that many gateways ship to.",
        subcommands: [MigrateCommand.self]
    )

    /// Creates or upgrades the central schema (every shipper also does it at start).
    struct MigrateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the central schema of the config's `central` (or hub `database`) PostgreSQL."
        )

        @Option(name: .long, help: "A site config with `central`, or a hub config with `database: {postgres: URL}`.")
        var config: String

        func run() async throws {
            let site = try loadConfigOrExit(config)
            guard let server = centralServer(of: site) else {
                printError("sortgate: \(config) names no PostgreSQL: add central: {postgres: URL} or database: {postgres: URL}")
                throw ExitCode(2)
            }
            let central = try openCentral(server)
            let applied = try await runCentral(central) { try await $0.migrate() }
            print(
                applied.isEmpty
                    ? "central schema of \(server.serverName) is up to date"
                    : "central schema of \(server.serverName) migrated: \(applied.joined(separator: ", "))"
            )
        }
    }
}

/// The PostgreSQL a config ships to (`central`) or is (a hub's `database`).
func centralServer(of site: SiteConfig) -> PostgresConfig? {
    if case .postgres(let server) = site.database { return server }
    return site.central?.server
}

/// The central store of `server`, or an exit with the reason.
func openCentral(_ server: PostgresConfig) throws -> CentralStore {
    do {
        return try CentralStore(server: server, logger: Logger(label: "sortgate.central"))
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(2)
    }
}

/// Runs `body` with `central`'s client running; a failure exits with its reason.
func runCentral<T: Sendable>(_ central: CentralStore, _ body: @escaping @Sendable (CentralStore) async throws -> T)
    async throws -> T
{
    do {
        return try await central.withRunningClient(body)
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(1)
    }
}

/// Ships everything `store` committed to `server` for `site`, as a gateway's shipper does.
func shipToCentral(_ store: SQLiteStore, site: SiteConfig, server: PostgresConfig) async throws -> Int {
    let central = try openCentral(server)
    let shipper = CentralShipper(
        store: store,
        central: central,
        configuration: CentralShipper.Configuration(site: site.site, central: site.central ?? CentralConfig(server: server)),
        logger: Logger(label: "sortgate.central")
    )
    return try await runCentral(central) { _ in try await shipper.drain() }
}
