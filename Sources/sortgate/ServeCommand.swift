import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateConfig
import SortgateGateway
import SortgateHTTP
import SortgateStore

/// `sortgate serve --config F`: the HTTP API over the configured database, with no devices.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API, /metrics and the dashboard over the database, without devices.",
        discussion: """
            For browsing a database a replay wrote (or one a stopped gateway left). Uses the config's \\
            `http:` section (bind, port, token_file) and `database:`; acknowledging an alert writes to \\
            the file. /api/sources lists the configured devices with "live": false. Stops on SIGTERM/SIGINT.
            """
    )

    @Option(name: .long, help: "The site config (it must have an http: section).")
    var config: String

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let registry = Gateway.bootstrapMetrics()
        let site = try loadConfigOrExit(config)
        guard let http = site.http else {
            printError("sortgate: \(site.file) has no http: section; add one (e.g. `http: {port: 8080}`) to serve")
            throw ExitCode(2)
        }
        guard case .sqlite(let path) = site.database else {
            printError("sortgate: serve reads SQLite databases only; \(site.file) names another")
            throw ExitCode(2)
        }
        // Refuses a missing database before anything would create one.
        _ = try query { try SQLiteStore.openReadOnly(path: path) }
        let store = try openStore(site)
        let service: HTTPService
        do {
            service = try HTTPService(
                configuration: HTTPService.Configuration(http),
                site: site,
                databasePath: path,
                registry: registry,
                acknowledge: { id, time in try store.acknowledgeAlert(id: id, at: time) },
                logger: logger
            )
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(error.kind == .token ? 2 : 1)
        }
        try await runServices([.init(service: service)], logger: logger)
    }
}
