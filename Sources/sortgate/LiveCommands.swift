import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import UnixSignals

/// Logging to standard error at the chosen level.
func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "sortgate")
}

/// The `--log-level` option of the live commands.
struct LogLevelOption: ExpressibleByArgument {
    var level: Logger.Level

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}

/// Runs services until SIGTERM/SIGINT (or until one of them ends the group), stopping them in
/// reverse order: the last ones listed (the sources) stop first.
func runServices(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(services: services, logger: logger)
    configuration.gracefulShutdownSignals = [.sigterm, .sigint]
    let group = ServiceGroup(configuration: configuration)
    do {
        try await group.run()
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(1)
    }
}

/// Opens the configured SQLite database for writing, or exits with the reason (1: the database
/// cannot be opened; 2: the config names a database this build cannot use).
///
/// With `deliveringAlerts` (only `sortgate run`, which delivers the outbox), every alert transition
/// also gets an outbox row per configured route; a replay or an `alerts ack` queues nothing.
func openStore(_ site: SiteConfig, deliveringAlerts: Bool = false) throws -> SQLiteStore {
    do {
        return try Gateway.openStore(site, deliveringAlerts: deliveringAlerts)
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(error.kind == .config ? 2 : 1)
    }
}
