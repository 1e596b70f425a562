import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateDevices
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

/// The MQTT sources of a site, or exit with the reason when one cannot be set up.
func makeSources(_ site: SiteConfig, queue: MessageQueue, logger: Logger) throws -> [MQTTSource] {
    let modbus = site.devices.filter { if case .modbus = $0.connection { true } else { false } }
    if !modbus.isEmpty {
        logger.warning(
            "Modbus devices are not polled by this build; ignoring them",
            metadata: ["devices": "\(modbus.map(\.id).joined(separator: ", "))"]
        )
    }
    do {
        return try MQTTSource.make(config: site, queue: queue, logger: logger)
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(2)
    }
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
