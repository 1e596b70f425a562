import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate run --config F`: the live gateway.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway live until SIGTERM or SIGINT (then drain, flush and exit 0).",
        discussion: """
            Subscribes to every MQTT device of the config, decodes and deduplicates what arrives, \
            and keeps the inventory in the configured database. With --record, every raw message \
            is also appended to a capture file that `sortgate replay` turns into the same database. \
            With `http:` in the config it also serves the HTTP API, /metrics and the dashboard.
            """
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Also record every raw message to this capture file.")
    var record: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let registry = Gateway.bootstrapMetrics()
        let site = try loadConfigOrExit(config)
        let gateway: Gateway
        do {
            gateway = try Gateway(
                config: site,
                options: Gateway.Options(record: record, metricsRegistry: registry),
                logger: logger
            )
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(error.kind == .config ? 2 : 1)
        }
        try await runServices([.init(service: gateway)], logger: logger)
    }
}
