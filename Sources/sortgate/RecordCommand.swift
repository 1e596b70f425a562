import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway

/// `sortgate record --config F --out CAPTURE [--duration S]`.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record every raw device message to a capture file (JSON Lines) until stopped.",
        discussion: "Replaying the capture with `sortgate replay` feeds the same messages through the same code."
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "The capture file to write (replaced if it exists).")
    var out: String

    @Option(name: .long, help: "Stop after this many seconds (default: until SIGTERM/SIGINT).")
    var duration: Double?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        let site = try loadConfigOrExit(config)
        let writer: CaptureWriter
        do {
            writer = try CaptureWriter(path: out)
        } catch {
            printError("sortgate: cannot create capture '\(out)': \((error as NSError).localizedDescription)")
            throw ExitCode(1)
        }
        let ring = EventRing.live(config: site)
        let recorder = CaptureRecorderService(
            writer: writer,
            ring: ring,
            sourceNames: site.devices.map(\.id),
            logger: logger
        )
        let sources: DeviceSources
        do {
            sources = try DeviceSources(config: site, topology: SiteTopology(config: site), ring: ring, logger: logger)
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(2)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: recorder)]
        services += sources.services
        if let duration {
            services.append(
                .init(
                    service: StopAfter(.milliseconds(Int64(duration * 1000))),
                    successTerminationBehavior: .gracefullyShutdownGroup
                )
            )
        }
        logger.info("recording", metadata: ["capture": "\(out)", "brokers": "\(sources.mqtt.count)"])
        try await runServices(services, logger: logger)
        let dropped = ring.droppedTotal
        print("recorded \(recorder.recorded) messages to \(out)" + (dropped > 0 ? " (\(dropped) dropped)" : ""))
    }
}
