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
            is also appended to a capture file that `sortgate replay` turns into the same database.
            """
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Also record every raw message to this capture file.")
    var record: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = LogLevelOption(argument: "info")!

    func run() async throws {
        let logger = bootstrapLogging(level: logLevel.level)
        let site = try loadConfigOrExit(config)
        let store = try openStore(site, deliveringAlerts: true)
        let ring = EventRing.live(config: site)
        let topology = SiteTopology(config: site)
        // SQLite commits on its own thread while the pipeline goes on consuming the ring.
        let writer = LiveSinkWriter(writingTo: store, logger: logger)
        let session = IngestSession(topology: topology, sink: writer)
        // Manifests are loaded at the first flush, and again whenever `manifest import` changes them.
        let manifests = ManifestReloader(store: store, topology: topology)
        session.manifestUpdates = { manifests.poll() }
        do {
            let saved = try store.inventoryEntries(zoneNames: site.zones.map(\.name))
            session.restore(saved.entries)
            session.restoreJourneys(try store.transportJourneys(zoneNames: site.zones.map(\.name)))
            let present = saved.entries.filter { $0.status == .present }.count
            logger.info(
                "restored the inventory of the previous run",
                metadata: ["epcs": "\(saved.entries.count)", "present": "\(present)", "skipped": "\(saved.skipped)"]
            )
            if saved.skipped > 0 {
                logger.warning(
                    "\(saved.skipped) inventory rows name zones no longer in the config; they are not tracked"
                )
            }
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        }
        var recorder: CaptureWriter?
        if let record {
            do {
                recorder = try CaptureWriter(path: record)
            } catch {
                printError("sortgate: cannot create capture '\(record)': \((error as NSError).localizedDescription)")
                throw ExitCode(1)
            }
        }
        let pipeline = PipelineService(session: session, ring: ring, writer: writer, recorder: recorder, logger: logger)
        let sources = try makeSources(site, ring: ring, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: pipeline)]
        // Listed after the pipeline, so it stops before the pipeline's final flush: that loses
        // nothing, since every alert's outbox rows are written with it and stay until acknowledged;
        // the next run delivers them.
        if let delivery = try makeAlertDelivery(site, store: store, logger: logger) {
            services.append(.init(service: delivery))
        }
        services += sources.services
        if let interval = site.statusInterval {
            services.append(
                .init(
                    service: StatusReporter(interval: interval, logger: logger) { statusLine(pipeline, sources, ring) }
                )
            )
        }
        logger.info(
            "sortgate running",
            metadata: [
                "site": "\(site.site)", "devices": "\(site.devices.count)", "brokers": "\(sources.mqtt.count)",
                "modbus_connections": "\(sources.modbus?.connections.count ?? 0)",
                "database": "\(site.database)",
            ]
        )
        try await runServices(services, logger: logger)
        logger.info("sortgate stopped: \(statusLine(pipeline, sources, ring))")
    }
}

/// One line saying how the live gateway is doing.
func statusLine(_ pipeline: PipelineService, _ devices: DeviceSources, _ ring: EventRing) -> String {
    let status = pipeline.status
    let sources = devices.mqtt
    let connected = sources.filter { $0.isConnected }.count
    let reconnects = sources.reduce(0) { $0 + $1.reconnects }
    let failedPolls = status.sources.reduce(0) { $0 + $1.failedPolls }
    let dropped = ring.droppedTotal
    let depth = ring.depth
    return "messages \(status.session.messages) (rejected \(status.session.rejectedTotal)), "
        + "reads \(status.totals.tagEvents), arrivals \(status.totals.arrivals), moves \(status.totals.moves), "
        + "departures \(status.totals.departures), present \(status.present), "
        + (devices.modbus == nil
            ? "" : "sensor readings \(status.totals.sensorReadings), failed polls \(failedPolls), ")
        + "brokers connected \(connected)/\(sources.count), reconnects \(reconnects), dropped \(dropped), "
        + "ring \(depth.current)/\(ring.slots) slots (max \(depth.highWater))"
        + (status.commitLatency.count > 0
            ? ", arrival→commit p50 \(status.commitLatency.percentile(0.5) / 1000) ms "
                + "p99 \(status.commitLatency.percentile(0.99) / 1000) ms" : "")
        + (status.recorded > 0 ? ", recorded \(status.recorded)" : "")
        + (status.refusedReads > 0 ? ", refused reads \(status.refusedReads) (tracker full: raise dedup.max_tags)" : "")
}

/// Opens the configured SQLite database for writing, or exits with the reason.
///
/// With `deliveringAlerts` (only `sortgate run`, which runs the `AlertDeliveryService`), every
/// alert transition also gets an outbox row per configured route; a replay or an `alerts ack`
/// queues nothing, since nothing would deliver it.
func openStore(_ site: SiteConfig, deliveringAlerts: Bool = false) throws -> SQLiteStore {
    switch site.database {
    case .sqlite(let path):
        do {
            return try SQLiteStore(
                path: path,
                zoneNames: site.zones.map(\.name),
                sourceNames: site.devices.map(\.id),
                quarantineLimit: site.quarantineLimit,
                alertRoutes: deliveringAlerts ? AlertDeliveryService.routeNames(site.alerts) : []
            )
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        }
    case .postgres(let url):
        printError("sortgate: database '\(url)': PostgreSQL is not supported by this build; use `sqlite: PATH`")
        throw ExitCode(2)
    }
}
