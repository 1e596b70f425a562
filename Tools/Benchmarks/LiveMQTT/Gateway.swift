import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateDevices
import SortgateMQTT
import SortgateStore

/// The gateway as `sortgate run` wires it (MQTT source → event ring → pipeline service →
/// SQLite), in this child process: `prime` only subscribes (creating the persistent session),
/// `drain` takes the queued messages until `expected` were committed.
enum GatewayRun {
    static func run(configPath: String, expected: Int, primeOnly: Bool, idle: Double) async throws -> SubscriberResult {
        var logger = Logger(label: "bench-gateway")
        logger.logLevel = .warning
        let config = try SiteConfig.load(path: configPath)
        guard case .sqlite(let path) = config.database else { fatalError("the benchmark uses SQLite") }
        let store = try SQLiteStore(
            path: path,
            zoneNames: config.zones.map(\.name),
            sourceNames: config.devices.map(\.id),
            quarantineLimit: config.quarantineLimit
        )
        let ring = EventRing.live(config: config)
        let writer = LiveSinkWriter(writingTo: store, logger: logger)
        let session = IngestSession(topology: SiteTopology(config: config), sink: writer)
        let pipeline = PipelineService(session: session, ring: ring, writer: writer, logger: logger)
        let sources = try MQTTSource.make(config: config, ring: ring, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pipeline)] + sources.map { .init(service: $0) },
                logger: logger
            )
        )
        let running = Task { try await group.run() }
        var connectedAt: Int64 = 0
        var cpuStart: Int64 = 0
        var doneAt: Int64 = 0
        var lastProgress = monotonicNanoseconds()
        var lastCount: UInt64 = 0
        while true {
            try await Task.sleep(for: .milliseconds(5))
            let now = monotonicNanoseconds()
            if connectedAt == 0 && sources.allSatisfy(\.isConnected) {
                connectedAt = now
                cpuStart = processCPUMicroseconds()
            }
            if primeOnly {
                if sources.reduce(0, { $0 + $1.statistics.subscriptionsGranted }) >= config.devices.count { break }
                continue
            }
            let status = pipeline.status
            // Done when the batch holding the last message is committed.
            if status.session.messages >= UInt64(expected) && writer.committedCount == writer.handedOverCount {
                doneAt = now
                break
            }
            if status.session.messages != lastCount {
                lastCount = status.session.messages
                lastProgress = now
            } else if connectedAt != 0 && Double(now - lastProgress) / 1e9 > idle {
                doneAt = lastProgress
                break
            }
        }
        let cpu = processCPUMicroseconds() - cpuStart
        await group.triggerGracefulShutdown()
        try await running.value
        let status = pipeline.status
        return SubscriberResult(
            received: Int(status.session.messages),
            seconds: Double(max(doneAt - connectedAt, 1)) / 1e9,
            cpuMicroseconds: cpu,
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
    }
}
