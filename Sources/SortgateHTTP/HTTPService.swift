import Foundation
public import Hummingbird
public import Logging
import NIOCore
import NIOPosix
public import Prometheus
public import ServiceLifecycle
public import SortgateConfig
public import SortgateStore

/// The HTTP API of one site: JSON endpoints over the database, Prometheus `/metrics`, the live
/// stream and the dashboard, on Hummingbird.
///
/// `sortgate run` runs it inside its `Gateway` (the gateway builds it when the config has `http:`,
/// and shows itself through `GatewayStatus` and the committed batches it publishes to `feed`);
/// `sortgate serve` runs it alone over a database, without a gateway. Reads go through a read-only
/// SQLite connection pool, so a request never waits for the pipeline's writer nor delays it.
///
/// With a token, every request but `/health` and the dashboard's files needs
/// `Authorization: Bearer TOKEN` (see `BearerTokenMiddleware`). On graceful shutdown the live
/// stream's clients are disconnected first, so the server's own drain does not wait for them.
public final class HTTPService: Service, Sendable {
    /// Where and how the server listens, from the config's `http:` section.
    public struct Configuration: Sendable {
        public var bind: String
        /// 0 picks a free port (tests); `onListening` tells which.
        public var port: Int
        /// Nil: no authentication (allowed on loopback only; the config loader enforces it).
        public var token: APIToken?
        /// Concurrent read-only SQLite connections.
        public var databaseReaders: Int
        /// Batches a stream client may lag before it is disconnected.
        public var streamClientBuffer: Int
        /// How often an idle stream gets a keepalive comment.
        public var keepaliveInterval: Duration

        public init(
            bind: String = "127.0.0.1",
            port: Int = 8080,
            token: APIToken? = nil,
            databaseReaders: Int = 4,
            streamClientBuffer: Int = 256,
            keepaliveInterval: Duration = .seconds(15)
        ) {
            self.bind = bind
            self.port = port
            self.token = token
            self.databaseReaders = databaseReaders
            self.streamClientBuffer = streamClientBuffer
            self.keepaliveInterval = keepaliveInterval
        }

        /// The config's `http:` section; reads the token file (refusing one others may read).
        public init(_ config: HTTPConfig) throws(HTTPServiceError) {
            self.init(bind: config.bind, port: config.port, token: try config.tokenFile.map(APIToken.init(file:)))
        }
    }

    public let configuration: Configuration
    /// The live stream's fan-out: the gateway publishes each committed batch here.
    public let feed: LiveFeed
    private let endpoints: APIEndpoints
    private let stream: StreamEndpoint
    private let dashboard: DashboardFiles
    private let registry: PrometheusCollectorRegistry
    private let exporter: GatewayMetricsExporter
    private let openAPI: ByteBuffer
    private let logger: Logger
    private let onListening: @Sendable (Int) -> Void
    private let workers: APIWorkers

    /// - Parameters:
    ///   - site: the site config (zones and devices the API lists).
    ///   - databasePath: the SQLite file to read; it must exist (written by `run` or `replay`).
    ///   - gateway: the running gateway, or nil (`sortgate serve`).
    ///   - feed: where the gateway publishes its committed batches for the live stream.
    ///   - registry: the Prometheus registry `/metrics` renders; the process's swift-metrics
    ///     backend should write into the same one.
    ///   - acknowledge: the write behind `POST /api/alerts/{id}/ack`; nil refuses acks.
    ///   - onListening: called with the port once the server listens.
    public init(
        configuration: Configuration,
        site: SiteConfig,
        databasePath: String,
        gateway: (any GatewayStatus)? = nil,
        feed: LiveFeed? = nil,
        registry: PrometheusCollectorRegistry,
        acknowledge: AlertAcknowledger?,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(HTTPServiceError) {
        let database: SQLiteStore
        do {
            database = try SQLiteStore.openReadOnly(path: databasePath, readers: max(2, configuration.databaseReaders))
        } catch {
            throw HTTPServiceError(kind: .database, description: "HTTP API: \(error)")
        }
        guard let openAPIURL = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources")
            ?? Bundle.module.resourceURL.map({ $0.appendingPathComponent("Resources/openapi.yaml") }),
            let openAPIData = FileManager.default.contents(atPath: openAPIURL.path)
        else {
            throw HTTPServiceError(kind: .database, description: "HTTP API: the OpenAPI document is missing from the bundle")
        }
        self.configuration = configuration
        self.feed = feed ?? LiveFeed(clientBuffer: configuration.streamClientBuffer)
        self.registry = registry
        self.exporter = GatewayMetricsExporter(registry: registry)
        self.openAPI = ByteBuffer(bytes: openAPIData)
        self.logger = logger
        self.onListening = onListening
        workers = APIWorkers(threads: max(2, configuration.databaseReaders))
        endpoints = APIEndpoints(
            site: site,
            database: database,
            gateway: gateway,
            feed: self.feed,
            acknowledge: acknowledge,
            workers: workers,
            logger: logger
        )
        stream = StreamEndpoint(feed: self.feed, database: database, workers: workers, logger: logger)
        dashboard = DashboardFiles()
    }

    /// Every route the server answers, as `METHOD /path` with `{name}` parameters (the OpenAPI
    /// test checks each is documented).
    public var routes: [String] {
        router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
    }

    private var router: Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        if let token = configuration.token { router.add(middleware: BearerTokenMiddleware(token: token)) }
        endpoints.addRoutes(to: router)
        stream.addRoute(to: router)
        dashboard.addRoutes(to: router)
        router.get("metrics") { [self] _, _ in try await metrics() }
        router.get("openapi.yaml") { [openAPI] _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: openAPI)
            )
        }
        return router
    }

    public func run() async throws {
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.bind, port: configuration.port), serverName: "sortgate"),
            onServerRunning: { [logger, onListening, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("HTTP API listening", metadata: ["address": "\(configuration.bind):\(port)"])
                onListening(port)
            },
            eventLoopGroupProvider: .shared(workers.eventLoops),
            logger: logger
        )
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { [feed, configuration] in
                        // Keepalives until the stop, which ends the sleep with a cancellation.
                        while !Task.isCancelled && !Task.isShuttingDownGracefully {
                            try? await Task.sleep(for: configuration.keepaliveInterval)
                            feed.keepalive()
                        }
                    }
                    do {
                        try await application.run()
                    } catch let error as IOError {
                        throw HTTPServiceError(
                            kind: .listen,
                            description: "HTTP API: cannot listen on \(configuration.bind):\(configuration.port): "
                                + "\(error.description); free the port or change http.port / http.bind in the config"
                        )
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: { [feed] in
                feed.close()
            }
        } catch {
            await workers.shutdown()
            throw error
        }
        await workers.shutdown()
    }

    /// The Prometheus text: the gateway's snapshot and the outbox depth put into the registry,
    /// then the whole registry rendered.
    func metrics() async throws -> Response {
        let depth = try await endpoints.read { [database = endpoints.database] in try database.outboxDepth() }
        // Taken last, just before rendering, so that the sampled totals and the instruments the
        // gateway records itself (the latency histograms) describe nearly the same moment.
        let snapshot = endpoints.gateway?.snapshot()
        let routes = Set((snapshot?.alertRoutes ?? []) + depth.keys).sorted()
        let text = try await workers.run { [exporter, registry, feed] in
            exporter.update(snapshot: snapshot, outboxDepth: depth, routes: routes, feed: feed)
            return registry.emitToBuffer()
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
        )
    }
}
