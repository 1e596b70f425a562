import Foundation
import Logging
public import Prometheus
import SortgateConfig
import SortgateCore
public import SortgateHTTP
import SortgateIngest
import SortgateModbus
import SortgateMQTT
import SortgateStore

/// What the HTTP API shows of a running gateway: the numbers of the status line, per device and
/// in total, read when a request asks (nothing is pushed from the hot path).
struct GatewayHTTPStatus: GatewayStatus {
    let config: SiteConfig
    let topology: SiteTopology
    let pipeline: PipelineService
    let sources: DeviceSources
    let ring: EventRing
    let committed: CommittedFactCounts
    let alertRoutes: [String]

    func snapshot() -> GatewaySnapshot {
        let status = pipeline.status
        let brokers = sources.mqtt.map { source in
            GatewaySnapshot.Broker(
                name: source.broker.name,
                connected: source.isConnected,
                subscribed: source.isConnected
                    && source.statistics.subscriptionsGranted >= source.subscriptionCount,
                reconnects: UInt64(max(0, source.reconnects))
            )
        }
        let connectedBrokers = Set(brokers.filter(\.connected).map(\.name))
        var devices: [GatewaySnapshot.Source] = []
        for device in config.devices {
            guard let id = topology.source(named: device.id) else { continue }
            // Nil until the pipeline published its first status.
            let counters = id.index < status.sources.count ? status.sources[id.index] : nil
            var source = GatewaySnapshot.Source(
                device: device.id,
                kind: "mqtt",
                connected: false,
                lastMessage: counters?.lastMessage?.rfc3339,
                messages: counters?.messages ?? 0,
                reads: counters?.reads ?? 0,
                rejected: counters?.rejected ?? 0,
                dropped: ring.dropped(source: UInt16(id.index))
            )
            switch device.connection {
            case .mqtt(let mqtt):
                source.broker = mqtt.broker
                source.connected = connectedBrokers.contains(mqtt.broker)
            case .modbus:
                source.kind = "modbus"
                let statistics = sources.modbus?.statistics(device: device.id) ?? ModbusDeviceStatistics()
                source.connected = statistics.polls > 0 && statistics.consecutiveFailures == 0
                source.modbus = GatewaySnapshot.Modbus(
                    polls: UInt64(statistics.polls),
                    failedPolls: UInt64(statistics.failedPolls),
                    latePolls: UInt64(statistics.latePolls),
                    failures: Dictionary(
                        statistics.failures.map { ($0.key.description, UInt64($0.value)) },
                        uniquingKeysWith: +
                    ),
                    lastError: statistics.lastError.map { "\($0)" }
                )
            }
            devices.append(source)
        }
        var totals = GatewaySnapshot.Totals()
        totals.messages = status.session.messages
        totals.rejected = status.session.rejectedTotal
        totals.reads = status.totals.tagEvents
        totals.arrivals = status.totals.arrivals
        totals.moves = status.totals.moves
        totals.departures = status.totals.departures
        totals.sensorReadings = status.totals.sensorReadings
        totals.redelivered = status.redelivered
        totals.present = UInt64(status.present)
        let depth = ring.depth
        return GatewaySnapshot(
            sources: devices,
            brokers: brokers,
            totals: totals,
            committedFacts: committed.byKind,
            alertRoutes: alertRoutes,
            ringDepthSlots: depth.current,
            ringHighWaterSlots: depth.highWater,
            ringSlots: ring.slots
        )
    }
}

extension Gateway {
    /// The HTTP API of `config.http`, showing this gateway's parts; nil without `http:`.
    static func makeHTTPService(
        config: SiteConfig,
        status: GatewayHTTPStatus,
        store: SQLiteStore,
        feed: LiveFeed,
        registry: PrometheusCollectorRegistry,
        logger: Logger
    ) throws(SetupError) -> HTTPService? {
        guard let http = config.http else { return nil }
        do {
            return try HTTPService(
                configuration: HTTPService.Configuration(http),
                site: config,
                databasePath: store.path,
                gateway: status,
                feed: feed,
                registry: registry,
                acknowledge: { [store] id, time in try store.acknowledgeAlert(id: id, at: time) },
                logger: logger
            )
        } catch {
            throw SetupError(kind: error.kind == .database ? .storage : .config, description: "\(error)")
        }
    }
}
