import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateGateway
import SortgateIngest
import SortgateMQTT
import SortgateStore
import Synchronization

/// The `Gateway` that `sortgate run` runs (MQTT sources → event ring → pipeline service →
/// SQLite; with Modbus sensors and an `alerts.mqtt` route, as in the steady phase, also the
/// poller and the alert delivery; with `http:`, as in `http-load`, the HTTP API), in this child process: `prime` only subscribes (creating the
/// persistent session), `drain` takes the queued messages until `expected` were committed. The
/// steady phase adds a subscriber on the alert topic.
enum GatewayRun {
    static func run(
        configPath: String,
        expected: Int,
        primeOnly: Bool,
        idle: Double,
        poll: Duration = .milliseconds(5)
    ) async throws -> SubscriberResult {
        var logger = Logger(label: "bench-gateway")
        logger.logLevel = .warning
        let config = try SiteConfig.load(path: configPath)
        // The steady phase's alerts would each log a warning line.
        if config.alerts.mqtt != nil { logger.logLevel = .error }
        let alerts = AlertLatency()
        var options = Gateway.Options(statusInterval: .seconds(3600))
        // With `http:` (`http-load`), `/metrics` renders the swift-metrics backend as in `sortgate run`.
        if config.http != nil { options.metricsRegistry = Gateway.bootstrapMetrics() }
        let gateway = try Gateway(config: config, options: options, logger: logger)
        let pipeline = gateway.pipeline
        let writer = gateway.writer
        let ring = gateway.ring
        let sources = gateway.sources.mqtt
        let alertSubscriber = try alerts.subscriber(config: config, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: gateway)], logger: logger))
        let running = Task { try await group.run() }
        var connectedAt: Int64 = 0
        var cpuStart: Int64 = 0
        var cpuAtFirstMessage: Int64 = -1
        var doneAt: Int64 = 0
        var lastProgress = monotonicNanoseconds()
        var lastCount: UInt64 = 0
        while true {
            try await Task.sleep(for: poll)
            let now = monotonicNanoseconds()
            if connectedAt == 0 && sources.allSatisfy(\.isConnected) {
                connectedAt = now
                cpuStart = processCPUMicroseconds()
            }
            if primeOnly {
                if sources.reduce(0, { $0 + $1.statistics.subscriptionsGranted }) >= config.devices.count { break }
                continue
            }
            // Counters only: copying the latency histograms out on every look would cost the gateway
            // a copy of their buckets at its next record.
            let status = pipeline.counts
            let messages = alerts.mqttMessages(status, config: config)
            if messages > 0 {
                alerts.loadStarted()
                if cpuAtFirstMessage < 0 { cpuAtFirstMessage = processCPUMicroseconds() }
            }
            // Done when the batch holding the last message is committed.
            if messages >= UInt64(expected) && writer.committedCount == writer.handedOverCount {
                doneAt = now
                alerts.loadEnded()
                break
            }
            if messages != lastCount {
                lastCount = messages
                lastProgress = now
            } else if connectedAt != 0 && Double(now - lastProgress) / 1e9 > idle {
                doneAt = lastProgress
                break
            }
        }
        let cpuNow = processCPUMicroseconds()
        let cpu = cpuNow - cpuStart
        if let alertSubscriber {
            // The alerts confirmed last are still on their way (outbox poll, publish).
            try await Task.sleep(for: .seconds(2))
            alertSubscriber.stop()
        }
        if let shipper = gateway.shipper {
            // The batches committed last are still on their way to PostgreSQL.
            let deadline = monotonicNanoseconds() + 30_000_000_000
            try await Task.sleep(for: .seconds(1))
            while shipper.status.backlog.batches > 0, monotonicNanoseconds() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        await group.triggerGracefulShutdown()
        try await running.value
        let status = pipeline.status
        var result = SubscriberResult(
            received: Int(alerts.mqttMessages(status, config: config)),
            seconds: Double(max(doneAt - connectedAt, 1)) / 1e9,
            cpuMicroseconds: cpu,
            loadCPUMicroseconds: cpuAtFirstMessage < 0 ? nil : cpuNow - cpuAtFirstMessage,
            facts: status.totals.arrivals + status.totals.moves + status.totals.departures,
            commitP50Microseconds: status.commitLatency.percentile(0.5),
            commitP99Microseconds: status.commitLatency.percentile(0.99),
            commitMaxMicroseconds: status.commitLatency.maximum,
            ringDropped: ring.droppedTotal,
            ringHighWaterSlots: ring.depth.highWater,
            rejected: status.session.rejectedTotal,
            arrivals: status.totals.arrivals,
            flushP99Microseconds: status.flushDuration.percentile(0.99),
            flushMaxMicroseconds: status.flushDuration.maximum,
            flushes: status.flushDuration.count
        )
        if let shipper = gateway.shipper {
            let shipped = shipper.status
            result.shipLagP50Microseconds = shipped.lag.percentile(0.5)
            result.shipLagP99Microseconds = shipped.lag.percentile(0.99)
            result.shipLagMaxMicroseconds = shipped.lag.maximum
            result.shippedBatches = shipped.shippedBatches
            result.shippedRows = shipped.shippedRows
            result.unshippedBatches = shipped.backlog.batches
        }
        if alertSubscriber != nil { try alerts.summarise(into: &result, readings: gateway.store.readings()) }
        return result
    }
}

/// Arrival of the confirming temperature reading → alert received on the alert topic.
///
/// A reading's arrival is its poll's time (wall clock at the start of the poll, which is also
/// the time the gateway gives the reading; the poll itself takes well under a millisecond on
/// loopback), read back from the `readings` table; a subscriber on the alert topic stamps each
/// alert's reception. The reading that confirms an
/// alert is the first poll whose time is at or after the alert's `at`: for `cleared` the reading
/// back in range itself, for `raised` the first reading at or after `started_at + alarm_delay`
/// (the cold chain's clock is the latest reading's time, shared by all sensors, and polls of one
/// connection are pushed in time order). Only alerts whose confirming reading arrived while the
/// RFID messages flowed are counted.
final class AlertLatency: Sendable {
    /// (transition, `at`, reception), wall clock, in nanoseconds.
    private let alerts = Mutex<[(transition: String, at: Int64, received: Int64)]>([])
    private let load = Mutex<(start: Int64, end: Int64)>((0, .max))

    /// A started subscriber on the `alerts.mqtt` topic; nil without that route.
    func subscriber(config: SiteConfig, logger: Logger) throws -> MQTTClient? {
        guard let route = config.alerts.mqtt, let broker = config.brokers[route.broker] else { return nil }
        let client = MQTTClient(
            configuration: .init(
                host: broker.host,
                port: broker.port,
                clientID: "bench-alert-subscriber",
                cleanSession: true,
                subscriptions: [.init(route.topic, qos: 1)]
            ),
            logger: logger
        ) { message in
            let received = EventTime.wallClockNow().nanoseconds
            guard let alert = try? JSONDecoder().decode(Notification.self, from: Data(message.payload)),
                let at = try? EventTime(rfc3339: alert.at)
            else { return }
            self.alerts.withLock { $0.append((alert.transition, at.nanoseconds, received)) }
        }
        try client.start()
        return client
    }

    struct Notification: Decodable {
        var transition: String
        var at: String
    }

    /// The MQTT messages among the session's (without the Modbus polls).
    func mqttMessages(_ status: LiveStatus, config: SiteConfig) -> UInt64 {
        var polls: UInt64 = 0
        for (index, device) in config.devices.enumerated() where index < status.sources.count {
            if case .modbus = device.connection { polls += status.sources[index].messages }
        }
        return status.session.messages - polls
    }

    func loadStarted() { load.withLock { if $0.start == 0 { $0.start = EventTime.wallClockNow().nanoseconds } } }
    func loadEnded() { load.withLock { $0.end = EventTime.wallClockNow().nanoseconds } }

    func summarise(into result: inout SubscriberResult, readings: [ReadingRecord]) {
        let polls = readings.compactMap { try? EventTime(rfc3339: $0.at).nanoseconds }.sorted()
            .map { (time: $0, arrival: $0) }
        let alerts = alerts.withLock { $0 }
        let load = load.withLock { $0 }
        var latencies: [UInt64] = []
        var raised = 0
        var cleared = 0
        var other = 0
        for alert in alerts {
            guard let confirming = polls.first(where: { $0.time >= alert.at }),
                confirming.arrival >= load.start, confirming.arrival <= load.end
            else { continue }
            latencies.append(UInt64(max(alert.received - confirming.arrival, 0) / 1000))
            switch alert.transition {
            case "raised": raised += 1
            case "cleared": cleared += 1
            default: other += 1
            }
        }
        latencies.sort()
        result.alertsRaised = raised
        result.alertsCleared = cleared
        result.alertsOther = other
        guard !latencies.isEmpty else { return }
        result.alertP50Microseconds = latencies[latencies.count / 2]
        result.alertP99Microseconds = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        result.alertMaxMicroseconds = latencies.last
    }
}
