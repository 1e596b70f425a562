public import Logging
public import ServiceLifecycle
public import SortgateStore
public import SortgateConfig
import SortgateCore
import SortgateIngest

/// Delivers the alert outbox: one loop per configured route (`mqtt`, `webhook`), each taking the
/// oldest pending notification of its route, handing it over, and removing it from the outbox
/// only once the route acknowledged it (PUBACK for MQTT, a 2xx answer for the webhook).
///
/// ## Order and retries
/// A route never skips a notification: on a failure the entry's attempt count goes up, the
/// failure is logged with the delay, and the same entry is tried again after a bounded
/// exponential backoff (`Backoff`, 200 ms doubling to 30 s), so a receiver sees the
/// alerts in outbox order even after an hour of outage. A notification can arrive twice (the
/// route took it but the acknowledgement was lost, or the gateway stopped in between); it then
/// carries the same alert id and transition. The routes are independent: a dead webhook does not
/// hold back MQTT.
///
/// ## Threads
/// The SQLite calls (read the oldest row, delete or count it) run on the service's own task: each
/// is one short indexed statement on a WAL database, made at most once per notification or per
/// poll interval, so it does not hold a cooperative thread long enough to matter. The network work
/// is libmosquitto's thread (MQTT) and async-http-client's event loop (webhook).
///
/// ## Shutdown
/// On graceful shutdown the loops stop after the delivery in progress: a webhook request is
/// cancelled, an MQTT publish still waiting for its PUBACK is failed by stopping the client. What
/// was not acknowledged stays in the outbox and is delivered by the next run, so the order of
/// this service among the others does not matter for loss.
public final class AlertDeliveryService: Service, Sendable {
    /// The outbox route name of the MQTT topic.
    public static let mqttRouteName = "mqtt"
    /// The outbox route name of the webhook.
    public static let webhookRouteName = "webhook"

    /// Why the service could not be set up (a configuration problem: start-up stops).
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Pacing of the delivery loops.
    public struct Configuration: Sendable {
        /// How often an empty outbox is looked at again (default 200 ms) when no commit says that
        /// alerts were written (`alertsCommitted()`, which the gateway calls after each batch that
        /// wrote some): the longest an alert written by another process (`sortgate alerts ack`)
        /// waits before its delivery.
        public var pollInterval: Duration
        /// The first retry delay after a failure (default 200 ms).
        public var initialRetryDelay: Duration
        /// The longest retry delay (default 30 s).
        public var maximumRetryDelay: Duration

        public init(
            pollInterval: Duration = .milliseconds(200),
            initialRetryDelay: Duration = .milliseconds(200),
            maximumRetryDelay: Duration = .seconds(30)
        ) {
            self.pollInterval = pollInterval
            self.initialRetryDelay = initialRetryDelay
            self.maximumRetryDelay = maximumRetryDelay
        }
    }

    /// The outbox route names `alerts` configures, in a fixed order: what `SQLiteStore` must be
    /// opened with (`alertRoutes`) so that each alert gets one row per route.
    public static func routeNames(_ alerts: AlertsConfig) -> [String] {
        (alerts.mqtt == nil ? [] : [mqttRouteName]) + (alerts.webhook == nil ? [] : [webhookRouteName])
    }

    private let store: SQLiteStore
    private let routes: [any AlertDeliveryRoute]
    /// One per route: a commit that wrote alerts wakes each route's idle loop.
    private let commits: [CommitSignal]
    private let configuration: Configuration
    private let logger: Logger

    /// A service for the routes of `config.alerts`, or nil when none is configured.
    ///
    /// - Throws: `SetupError` when the MQTT route names a broker that is not under `brokers`.
    public static func make(
        config: SiteConfig,
        store: SQLiteStore,
        logger: Logger,
        configuration: Configuration = Configuration()
    ) throws -> AlertDeliveryService? {
        var routes: [any AlertDeliveryRoute] = []
        if let mqtt = config.alerts.mqtt {
            guard let broker = config.brokers[mqtt.broker] else {
                throw SetupError(
                    description: "alerts.mqtt names broker '\(mqtt.broker)', which is not under brokers in "
                        + "\(config.file); add it or correct the name"
                )
            }
            routes.append(try MQTTAlertRoute(route: mqtt, broker: broker, logger: logger))
        }
        if let webhook = config.alerts.webhook {
            routes.append(WebhookAlertRoute(route: webhook))
        }
        guard !routes.isEmpty else {
            return nil
        }
        return AlertDeliveryService(store: store, routes: routes, logger: logger, configuration: configuration)
    }

    init(store: SQLiteStore, routes: [any AlertDeliveryRoute], logger: Logger, configuration: Configuration) {
        self.store = store
        self.routes = routes
        self.commits = routes.map { _ in CommitSignal() }
        self.configuration = configuration
        self.logger = logger
    }

    /// A batch that wrote alert notifications committed: each route with an empty outbox looks
    /// again now, not at its next poll, so a confirmed excursion leaves as soon as it is durable.
    public func alertsCommitted() {
        for signal in commits { signal.signal() }
    }

    /// Delivers until graceful shutdown (or cancellation), then closes the routes' connections.
    public func run() async throws {
        do {
            for route in routes {
                try route.start()
            }
        } catch {
            for route in routes {
                await route.shutdown()
            }
            throw error
        }
        logger.info("alert delivery started", metadata: ["alert.routes": "\(routes.map(\.destination))"])
        await withTaskGroup(of: Void.self) { group in
            for (route, commits) in zip(routes, commits) {
                group.addTask { await self.deliveryLoop(route, commits: commits) }
            }
            group.addTask {
                // Wakes a delivery that waits for an acknowledgement (an MQTT publish to a broker
                // that is down) so that its loop can see the shutdown; `gracefulShutdown()` returns
                // on shutdown and throws on cancellation, and both end the loops.
                _ = try? await gracefulShutdown()
                for route in self.routes {
                    route.interrupt()
                }
            }
            await group.waitForAll()
        }
        for route in routes {
            await route.shutdown()
        }
        logger.info("alert delivery stopped")
    }

    /// Delivers the notifications of one route in outbox order until shutdown.
    private func deliveryLoop(_ route: any AlertDeliveryRoute, commits: CommitSignal) async {
        var logger = logger
        logger[metadataKey: "alert.route"] = "\(route.name)"
        var backoff = Backoff(
            bounds: Backoff.Bounds(minimum: configuration.initialRetryDelay, maximum: configuration.maximumRetryDelay)
        )
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let entry: OutboxEntry
            do {
                guard let oldest = try store.pendingNotifications(route: route.name, limit: 1).first else {
                    guard await pause(configuration.pollInterval, or: commits) else { break }
                    continue
                }
                entry = oldest
            } catch {
                let delay = backoff.recordFailure()
                logger.error("cannot read the alert outbox: \(error); retrying in \(delay)")
                guard await pause(delay) else { break }
                continue
            }
            var metadata: Logger.Metadata = [
                "alert.id": "\(entry.alertID)", "alert.transition": "\(entry.transition)",
                "alert.seq": "\(entry.seq)",
            ]
            do {
                try await cancelWhenGracefulShutdown { try await route.deliver(entry) }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    logger.info(
                        "alert delivery interrupted by shutdown; it stays in the outbox for the next run",
                        metadata: metadata
                    )
                    break
                }
                let delay = backoff.recordFailure()
                metadata["alert.attempts"] = "\(entry.attempts + 1)"
                logger.warning(
                    "alert not delivered to \(route.destination): \(error); retrying the same alert in \(delay)",
                    metadata: metadata
                )
                recordFailure(entry, logger: logger)
                guard await pause(delay) else { break }
                continue
            }
            backoff.recordSuccess()
            logger.info("alert delivered to \(route.destination)", metadata: metadata)
            do {
                try store.notificationDelivered(seq: entry.seq)
            } catch {
                // The route has it; the row stays and is sent again (same id) after the backoff.
                let delay = backoff.recordFailure()
                logger.error(
                    "alert delivered but not removed from the outbox: \(error); it will be sent again in \(delay)",
                    metadata: metadata
                )
                guard await pause(delay) else { break }
            }
        }
    }

    /// Counts a failed attempt in the outbox; a failure to count is only logged (the count is
    /// informational, the row stays first in line either way).
    private func recordFailure(_ entry: OutboxEntry, logger: Logger) {
        do {
            try store.notificationFailed(seq: entry.seq)
        } catch {
            logger.error("cannot count a failed alert delivery in the outbox: \(error)")
        }
    }

    /// Sleeps for `duration`; false when shutdown or cancellation cut it short.
    private func pause(_ duration: Duration, or commits: CommitSignal? = nil) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown {
                if let commits {
                    await commits.wait(upTo: duration)
                } else {
                    try await Task.sleep(for: duration)
                }
            }
            return !Task.isShuttingDownGracefully && !Task.isCancelled
        } catch {
            return false
        }
    }
}
