public import Logging
public import Prometheus
public import ServiceLifecycle
public import SortgateConfig
public import SortgateCore
public import SortgateHTTP
public import SortgateIngest
public import SortgateStore

/// The live gateway of one site, wired in one place: the event ring (in its file, recovered after
/// a crash before anything else runs: see `Gateway+Ring`), the device sources (MQTT and
/// Modbus) writing into it, the pipeline service consuming it, the sink writer committing to
/// SQLite, the alert delivery, the state restored from the previous run, the manifest reloader,
/// an optional capture recorder, the status line, and the HTTP API when the config has `http:`
/// (built here since it shows the parts above: see `Gateway+HTTP`).
///
/// `sortgate run` builds one from the site config and runs it; the integration tests and the live
/// benchmark run the very same type. It is a `Service` (as Hummingbird's `Application` is): its
/// parts run in a `ServiceGroup` of their own, which follows the graceful shutdown of whatever
/// runs the gateway. More services (an HTTP server, a PostgreSQL shipper) join through
/// `Options.services`.
///
/// ## Order
/// Services start in this order and stop in reverse: the pipeline (the ring's consumer), alert
/// delivery, the central shipper (with `central` in the config), the HTTP API (with `http`), the
/// extra services, the MQTT sources, the Modbus poller, the status reporter. So on
/// SIGTERM the sources stop first, then the pipeline drains the ring and writes the last batch,
/// then exits. Alert delivery stops before the final flush: that loses nothing, since every
/// alert's outbox rows are written with its batch and stay until acknowledged; the next run
/// delivers them.
///
/// ## A stop ends in a bounded time
/// When the database cannot be written (a full disk), the batch writer retries, the pipeline waits
/// behind it, the ring fills and the sources wait for room: nothing is lost while the gateway
/// runs. A stop starts the writer's clock (`Options.stopTimeout`): a commit still failing then is
/// given up, the pipeline drains the ring so the sources can stop, and `run()` throws with what
/// was not written, logged as critical.
public final class Gateway: Service, Sendable {
    /// What a gateway does beyond the site config; the defaults are `sortgate run`'s.
    public struct Options: Sendable {
        /// Also append every raw message to this capture file.
        public var record: String?
        /// The ring's size; nil for the config's `ring` section.
        public var ring: EventRing.Configuration?
        /// When the pipeline writes a batch.
        public var flushPolicy: FlushPolicy
        /// Without messages for this long, the event-time clock advances by itself.
        public var idleAdvanceAfter: Duration
        /// On stop, how long a failing database write is retried before it is given up (so that
        /// a stop ends before a service manager's kill timeout).
        public var stopTimeout: Duration
        /// Deliver the alert outbox to the configured routes (`alerts.mqtt`, `alerts.webhook`).
        public var deliverAlerts: Bool
        /// Log a status line this often; nil for the config's `status_interval`.
        public var statusInterval: Duration?
        /// Wraps the SQLite store before the pipeline writes to it (tests inject slow or failing sinks).
        public var wrapSink: (@Sendable (SQLiteStore) -> any FactSink)?
        /// Services run with the gateway's own, after alert delivery and before the sources.
        public var services: [ServiceGroupConfiguration.ServiceConfiguration]
        /// The Prometheus registry the HTTP API's `/metrics` renders (config `http:`). `sortgate run`
        /// bootstraps swift-metrics with a `PrometheusMetricsFactory` writing into the same one, so
        /// the counters recorded through swift-metrics appear beside the gateway's snapshot.
        public var metricsRegistry: PrometheusCollectorRegistry
        /// Committed batches a live-stream client (`/api/stream`) may lag behind before it is
        /// disconnected, so that it never holds up the writer.
        public var liveStreamClientBuffer: Int

        public init(
            record: String? = nil,
            ring: EventRing.Configuration? = nil,
            flushPolicy: FlushPolicy = .live,
            idleAdvanceAfter: Duration = .seconds(1),
            stopTimeout: Duration = .seconds(10),
            deliverAlerts: Bool = true,
            statusInterval: Duration? = nil,
            wrapSink: (@Sendable (SQLiteStore) -> any FactSink)? = nil,
            services: [ServiceGroupConfiguration.ServiceConfiguration] = [],
            metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
            liveStreamClientBuffer: Int = 256
        ) {
            self.record = record
            self.ring = ring
            self.flushPolicy = flushPolicy
            self.idleAdvanceAfter = idleAdvanceAfter
            self.stopTimeout = stopTimeout
            self.deliverAlerts = deliverAlerts
            self.statusInterval = statusInterval
            self.wrapSink = wrapSink
            self.services = services
            self.metricsRegistry = metricsRegistry
            self.liveStreamClientBuffer = liveStreamClientBuffer
        }
    }

    /// Why a gateway could not be built; `description` says what to do about it.
    public struct SetupError: Error, CustomStringConvertible {
        public enum Kind: Sendable {
            /// The config cannot be run as it is (a broker name, a password file, PostgreSQL).
            case config
            /// The database or the capture file could not be opened.
            case storage
        }
        public var kind: Kind
        public var description: String
    }

    public let config: SiteConfig
    public let topology: SiteTopology
    public let store: SQLiteStore
    public let ring: EventRing
    public let writer: BatchWriter
    public let pipeline: PipelineService
    public let sources: DeviceSources
    public let alertDelivery: AlertDeliveryService?
    /// Ships what SQLite commits to the central PostgreSQL; nil without `central` in the config.
    public let shipper: CentralShipper?
    /// The HTTP API, when the config has `http:`.
    public let http: HTTPService?
    private let group: ServiceGroup
    private let logger: Logger
    private let stopTimeout: Duration

    /// Builds the gateway of `config`: opens the database, restores the inventory and journeys of
    /// the previous run, and sets up every source and route. Nothing runs until `run()`.
    public init(config: SiteConfig, options: Options = Options(), logger: Logger) throws(SetupError) {
        self.config = config
        self.logger = logger
        self.stopTimeout = options.stopTimeout
        topology = SiteTopology(config: config)
        store = try Self.openStore(config, deliveringAlerts: options.deliverAlerts)
        // The ring lives in a file so that a killed process leaves its messages behind.
        let prepared = try Self.prepareRing(config, options.ring ?? config.ring, store: store, logger: logger)
        ring = prepared.live
        // SQLite commits on its own thread while the pipeline goes on consuming the ring.
        writer = BatchWriter(writingTo: options.wrapSink?(store) ?? store, logger: logger)
        let session = IngestSession(topology: topology, sink: writer)
        // Manifests are loaded at the first flush, and again whenever `manifest import` changes them.
        let manifests = ManifestReloader(store: store, topology: topology)
        session.manifestUpdates = { manifests.poll() }
        try Self.restore(session, from: store, config: config, logger: logger)
        var recorder: CaptureWriter?
        if let path = options.record {
            do {
                recorder = try CaptureWriter(path: path)
            } catch {
                throw SetupError(kind: .storage, description: "cannot create capture '\(path)': \(error)")
            }
        }
        // What each committed batch held goes to the HTTP API: its live stream and its counts.
        let committed = CommittedFactCounts()
        let feed = LiveFeed(clientBuffer: options.liveStreamClientBuffer)
        let zoneNames = topology.zones.names
        let sourceNames = topology.sources.names
        let shipper = try Self.makeShipper(config, store: store, logger: logger)
        let delivery: AlertDeliveryService?
        do {
            delivery =
                options.deliverAlerts ? try AlertDeliveryService.make(config: config, store: store, logger: logger) : nil
        } catch {
            throw SetupError(kind: .config, description: "\(error)")
        }
        let publishCommitted: @Sendable (FactBatch) -> Void = { batch in
            committed.add(batch)
            feed.publish { LiveEvent.events(of: batch, zoneNames: zoneNames, sourceNames: sourceNames) }
        }
        // After each commit: the HTTP API's counts and live stream, the central shipper's wake-up,
        // and the alert delivery's when the batch wrote alert notifications.
        let publishes = config.http != nil
        var afterCommit: (@Sendable (FactBatch) -> Void)?
        if publishes || shipper != nil || delivery != nil {
            afterCommit = { batch in
                if publishes { publishCommitted(batch) }
                shipper?.batchCommitted()
                if !batch.alerts.isEmpty { delivery?.alertsCommitted() }
            }
        }
        pipeline = PipelineService(
            session: session,
            ring: ring,
            writer: writer,
            recorder: recorder,
            flushPolicy: options.flushPolicy,
            idleAdvanceAfter: options.idleAdvanceAfter,
            stopTimeout: options.stopTimeout,
            onCommitted: afterCommit,
            logger: logger
        )
        // Before any source can write into the ring: what the last process left is committed first.
        try Self.recoverRing(prepared, config: config, pipeline: pipeline, store: store, logger: logger)
        do {
            sources = try DeviceSources(config: config, topology: topology, ring: ring, logger: logger)
        } catch {
            throw SetupError(kind: .config, description: "\(error)")
        }
        self.shipper = shipper
        alertDelivery = delivery
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: pipeline)]
        if let alertDelivery { services.append(.init(service: alertDelivery)) }
        if let shipper { services.append(.init(service: shipper)) }
        http = try Self.makeHTTPService(
            config: config,
            status: GatewayHTTPStatus(
                config: config,
                topology: topology,
                pipeline: pipeline,
                sources: sources,
                ring: ring,
                committed: committed,
                alertRoutes: options.deliverAlerts ? AlertDeliveryService.routeNames(config.alerts) : []
            ),
            store: store,
            feed: feed,
            registry: options.metricsRegistry,
            logger: logger
        )
        // The API stops before the pipeline's last flush and after the sources. When it cannot
        // start (its port is taken) the gateway stops gracefully, draining what it took in, and
        // `run()` throws its error.
        if let http { services.append(.init(service: http, failureTerminationBehavior: .gracefullyShutdownGroup)) }
        services += options.services
        services += sources.services
        if let interval = options.statusInterval ?? config.statusInterval {
            let line: @Sendable () -> String = { [pipeline, sources, ring, shipper] in
                Self.statusLine(pipeline: pipeline, sources: sources, ring: ring, shipper: shipper)
            }
            services.append(.init(service: StatusReporter(interval: interval, logger: logger, line: line)))
        }
        group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
    }

    /// Runs every part until graceful shutdown of the task running the gateway (SIGTERM in
    /// `sortgate run`), or until one part fails; then stops them in reverse order.
    public func run() async throws {
        logger.info(
            "sortgate running",
            metadata: [
                "site": "\(config.site)", "devices": "\(config.devices.count)", "brokers": "\(sources.mqtt.count)",
                "modbus_connections": "\(sources.modbus?.connections.count ?? 0)",
                "database": "\(config.database)",
            ]
        )
        // A stop must end in a bounded time even when the database cannot be written: the sources
        // stop first, and they wait for room in a ring that only drains once the writer lets the
        // pipeline go on; so the writer's clock starts when the stop does.
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: { [writer, stopTimeout] in
            writer.beginStop(within: stopTimeout)
        }
        logger.info("sortgate stopped: \(statusLine)")
    }

    /// One line saying how the gateway is doing (the periodic status line and the last log line).
    public var statusLine: String {
        Self.statusLine(pipeline: pipeline, sources: sources, ring: ring, shipper: shipper)
    }

    /// True when every broker is connected and has granted every subscription.
    public var isSubscribed: Bool { sources.isSubscribed }

    // MARK: - Building

    /// Opens the configured SQLite database for writing.
    ///
    /// With `deliveringAlerts`, every alert transition also gets an outbox row per configured route.
    public static func openStore(_ config: SiteConfig, deliveringAlerts: Bool) throws(SetupError) -> SQLiteStore {
        switch config.database {
        case .sqlite(let path):
            do {
                return try SQLiteStore(
                    path: path,
                    zoneNames: config.zones.map(\.name),
                    sourceNames: config.devices.map(\.id),
                    quarantineLimit: config.quarantineLimit,
                    alertRoutes: deliveringAlerts ? AlertDeliveryService.routeNames(config.alerts) : [],
                    shipsToCentral: config.central != nil
                )
            } catch {
                throw SetupError(kind: .storage, description: "\(error)")
            }
        case .postgres(let server):
            throw SetupError(
                kind: .config,
                description: "database '\(server.url)' is a hub's PostgreSQL: the reading commands and `replay` "
                    + "use it, but a gateway keeps its facts in SQLite (it must work offline) and ships them there "
                    + "with `central: {postgres: URL}`; give database: {sqlite: PATH}"
            )
        }
    }

    /// The shipper of `config.central`, or nil when the config ships nowhere.
    static func makeShipper(_ config: SiteConfig, store: SQLiteStore, logger: Logger) throws(SetupError)
        -> CentralShipper?
    {
        guard let central = config.central else { return nil }
        do {
            return CentralShipper(
                store: store,
                central: try CentralStore(server: central.server, logger: logger),
                configuration: CentralShipper.Configuration(site: config.site, central: central),
                logger: logger
            )
        } catch {
            throw SetupError(kind: .config, description: "\(error)")
        }
    }

    /// Gives `session` the inventory and container journeys the database holds.
    static func restore(
        _ session: IngestSession,
        from store: SQLiteStore,
        config: SiteConfig,
        logger: Logger
    ) throws(SetupError) {
        do {
            let saved = try store.inventoryEntries(zoneNames: config.zones.map(\.name))
            session.restore(saved.entries)
            session.restoreJourneys(try store.transportJourneys(zoneNames: config.zones.map(\.name)))
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
            throw SetupError(kind: .storage, description: "cannot restore the previous run's state: \(error)")
        }
    }

    static func statusLine(
        pipeline: PipelineService,
        sources: DeviceSources,
        ring: EventRing,
        shipper: CentralShipper?
    ) -> String {
        let status = pipeline.status
        let brokers = sources.brokersConnected
        let reconnects = sources.mqtt.reduce(0) { $0 + $1.reconnects }
        let failedPolls = status.sources.reduce(0) { $0 + $1.failedPolls }
        let depth = ring.depth
        return "messages \(status.session.messages) (rejected \(status.session.rejectedTotal)), "
            + "reads \(status.totals.tagEvents), arrivals \(status.totals.arrivals), moves \(status.totals.moves), "
            + "departures \(status.totals.departures), present \(status.present), "
            + (sources.modbus == nil
                ? "" : "sensor readings \(status.totals.sensorReadings), failed polls \(failedPolls), ")
            + "brokers connected \(brokers.connected)/\(brokers.total), reconnects \(reconnects), "
            + "dropped \(ring.droppedTotal), ring \(depth.current)/\(ring.slots) slots (max \(depth.highWater))"
            + (status.commitLatency.count > 0
                ? ", arrival→commit p50 \(status.commitLatency.percentile(0.5) / 1000) ms "
                    + "p99 \(status.commitLatency.percentile(0.99) / 1000) ms" : "")
            + (status.recorded > 0 ? ", recorded \(status.recorded)" : "")
            + (status.refusedReads > 0
                ? ", refused reads \(status.refusedReads) (tracker full: raise dedup.max_tags)" : "")
            + (shipper.map { shipper in
                let central = shipper.status
                return ", central backlog \(central.backlog.batches) batches (\(central.backlog.rows) rows, "
                    + "oldest \(central.backlog.age.components.seconds) s), shipped \(central.shippedRows) rows"
                    + (central.lastError == nil ? "" : " (failing: \(central.lastError!.kind.rawValue))")
            } ?? "")
    }
}
