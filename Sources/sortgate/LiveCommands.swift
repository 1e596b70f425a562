import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateLogging
import SortgateStore
import UnixSignals

/// The logging options of every command that logs: `--log-level` and `--log-format`.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = LogLevelOption(argument: "info")!

    @Option(
        name: .long,
        help: "text (for a terminal), logfmt or json (one record per line, for journald or Loki)."
    )
    var logFormat = LogFormatOption(argument: "text")!

    /// Sends every logger of the process to standard error at the chosen level and format, and
    /// returns the command's own logger.
    ///
    /// `text` is swift-log's `StreamLogHandler`, the layout `sortgate` always wrote; the others
    /// are `LineLogHandler` lines stamped with the wall clock.
    func bootstrap() -> Logger {
        let level = logLevel.level
        let format = logFormat.format
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .logfmt, .json:
                var handler = LineLogHandler(
                    label: label,
                    layout: format == .json ? .json : .logfmt,
                    output: StandardErrorLines.shared,
                    metadataProvider: LoggingSystem.metadataProvider,
                    now: EventTime.wallClockNow
                )
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: "sortgate")
    }
}

/// The `--log-format` option.
struct LogFormatOption: ExpressibleByArgument {
    var format: LogFormat

    init?(argument: String) {
        guard let format = LogFormat(rawValue: argument) else { return nil }
        self.format = format
    }

    static var allValueStrings: [String] { LogFormat.allCases.map(\.rawValue) }
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
