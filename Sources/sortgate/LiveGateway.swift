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

/// The inputs of a live gateway: one MQTT source per broker, one Modbus poller for all Modbus
/// devices (a thread per connection inside), all writing raw messages into one event ring.
struct DeviceSources {
    var mqtt: [MQTTSource]
    var modbus: ModbusPoller?

    /// The services to run, in start order (stopped in reverse, before the consumer listed earlier).
    var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        mqtt.map { .init(service: $0) } + (modbus.map { [.init(service: $0)] } ?? [])
    }
}

/// The sources of a site, or exit with the reason when one cannot be set up.
func makeSources(_ site: SiteConfig, ring: EventRing, logger: Logger) throws -> DeviceSources {
    let hasModbus = site.devices.contains { if case .modbus = $0.connection { true } else { false } }
    do {
        let mqtt = try MQTTSource.make(config: site, ring: ring, logger: logger)
        // Modbus polls are few and small: they always wait for room in the ring.
        let sourceIDs = Dictionary(uniqueKeysWithValues: site.devices.enumerated().map { ($1.id, UInt16($0)) })
        let modbus =
            hasModbus
            ? ModbusPoller(config: site, logger: logger) { record in
                if let source = sourceIDs[record.source] { ring.push(poll: record, source: source) }
            } : nil
        return DeviceSources(mqtt: mqtt, modbus: modbus)
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(2)
    }
}

/// The delivery of the alert outbox to the configured routes; nil when no route is configured.
/// Exits when a route cannot be set up (a broker name not under `brokers`, an unreadable password file).
func makeAlertDelivery(_ site: SiteConfig, store: SQLiteStore, logger: Logger) throws -> AlertDeliveryService? {
    do {
        return try AlertDeliveryService.make(config: site, store: store, logger: logger)
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
