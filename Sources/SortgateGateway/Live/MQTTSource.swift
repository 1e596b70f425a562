import CoreMetrics
import Foundation
public import Logging
public import ServiceLifecycle
public import SortgateCore
public import SortgateMQTT
public import SortgateConfig
public import SortgateIngest

/// The MQTT devices of one broker: one `MQTTClient` subscribed to every device topic at its
/// QoS, copying each message (arrival time, device, topic and payload bytes as received) straight
/// from libmosquitto's buffer into the event ring under the device's full policy.
///
/// The libmosquitto network thread calls the handler, which only matches the topic bytes against
/// the device routes (precompiled filters, first match wins, no allocation) and copies: decoding
/// happens in the pipeline, so that live and replay run the very same code. A `block` device
/// makes the network thread wait when the ring is full, which stops reading the socket and leaves
/// the messages with the broker (backpressure); a `drop-oldest` device never waits. A payload
/// larger than the ring's largest message goes in as its first 4 KiB (`.truncated`, with its
/// size), so that the pipeline rejects it as `oversize` and quarantines its start. A message
/// whose topic matches no device is counted and logged once per topic.
public final class MQTTSource: Service, @unchecked Sendable {
    // @unchecked: the only mutable state, `unmatchedBox`, is set in init and then guarded by `unmatchedLock`.
    struct Route: Sendable {
        var filter: MQTTTopicFilter
        var device: String
        /// The device's id in the site topology (its ring source id).
        var source: UInt16
        var policy: EventRing.Policy
    }

    public let broker: BrokerConfig
    /// The distinct topic filters this source subscribes to.
    public let subscriptionCount: Int
    private let routes: [Route]
    private let ring: EventRing
    private let logger: Logger
    private let client: MQTTClient
    private let unmatchedLock = NSLock()

    /// Why a source could not be set up (a configuration problem: start-up stops).
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sources for every broker that has MQTT devices, each device identified by its id in `topology`.
    public static func make(
        config: SiteConfig,
        topology: SiteTopology,
        ring: EventRing,
        logger: Logger
    ) throws -> [MQTTSource] {
        var routesByBroker: [String: [Route]] = [:]
        var brokerOrder: [String] = []
        for device in config.devices {
            guard case .mqtt(let mqtt) = device.connection, let source = topology.source(named: device.id) else {
                continue
            }
            if routesByBroker[mqtt.broker] == nil { brokerOrder.append(mqtt.broker) }
            routesByBroker[mqtt.broker, default: []].append(
                Route(
                    filter: MQTTTopicFilter(mqtt.topic),
                    device: device.id,
                    source: UInt16(source.index),
                    policy: mqtt.onFull.ringPolicy
                )
            )
        }
        return try brokerOrder.map { name in
            guard let broker = config.brokers[name] else {
                throw SetupError(description: "no broker '\(name)' in \(config.file)")
            }
            let qosByFilter = config.devices.compactMap { device -> (String, Int)? in
                guard case .mqtt(let mqtt) = device.connection, mqtt.broker == name else { return nil }
                return (mqtt.topic, mqtt.qos)
            }
            return try MQTTSource(
                broker: broker,
                routes: routesByBroker[name]!,
                subscriptions: qosByFilter,
                ring: ring,
                logger: logger
            )
        }
    }

    init(
        broker: BrokerConfig,
        routes: [Route],
        subscriptions: [(String, Int)],
        ring: EventRing,
        logger: Logger
    ) throws {
        self.broker = broker
        self.routes = routes
        self.ring = ring
        var logger = logger
        logger[metadataKey: "broker"] = "\(broker.name)"
        self.logger = logger
        var merged: [String: Int] = [:]
        var order: [String] = []
        for (filter, qos) in subscriptions {
            if merged[filter] == nil { order.append(filter) }
            merged[filter] = max(merged[filter] ?? 0, qos)
        }
        subscriptionCount = order.count
        let configuration: MQTTClient.Configuration
        do {
            configuration = try broker.clientConfiguration(
                subscriptions: order.map { MQTTClient.Subscription($0, qos: merged[$0]!) }
            )
        } catch {
            throw SetupError(description: error.description)
        }
        let routes = self.routes
        let unmatchedLock = self.unmatchedLock
        // The handler must not capture `self` strongly before init ends; it reports unmatched
        // topics through a box that `self` fills in below.
        let box = UnmatchedBox()
        client = MQTTClient(
            borrowing: configuration,
            logger: logger,
            rawMessageHandler: { [ring, logger] message in
                let arrival = EventTime.wallClockNow()
                guard let route = routes.first(where: { $0.filter.matches(message.topic) }) else {
                    let topic = String(decoding: message.topic, as: UTF8.self)
                    unmatchedLock.lock()
                    let count = box.note(topic)
                    unmatchedLock.unlock()
                    if count == 1 {
                        logger.warning(
                            "message on a topic no device subscribes to; ignored (counted)",
                            metadata: ["topic": "\(topic.debugDescription)"]
                        )
                    }
                    return
                }
                let result = ring.push(
                    source: route.source,
                    policy: route.policy,
                    arrival: arrival,
                    topic: message.topic,
                    payload: message.payload
                )
                if result == .oversize {
                    ring.push(
                        source: route.source,
                        policy: route.policy,
                        arrival: arrival,
                        topic: UnsafeRawBufferPointer(rebasing: message.topic.prefix(1024)),
                        payload: UnsafeRawBufferPointer(
                            rebasing: message.payload.prefix(QuarantinedMessage.maximumPayloadBytes)
                        ),
                        kind: .truncated,
                        originalLength: message.payload.count
                    )
                }
            }
        )
        unmatchedBox = box
    }

    private var unmatchedBox: UnmatchedBox!

    /// Counts messages on topics that no device route matched.
    final class UnmatchedBox: @unchecked Sendable {
        // @unchecked: only touched under MQTTSource.unmatchedLock.
        var counts: [String: UInt64] = [:]
        func note(_ topic: String) -> UInt64 {
            counts[topic, default: 0] += 1
            return counts[topic]!
        }
    }

    /// The client's counters (connections, reconnects, messages, last message time).
    public var statistics: MQTTClient.Statistics { client.statistics }

    /// The last connection error, if the client failed since it last connected.
    public var lastError: MQTTError? { client.lastError }

    /// Whether the broker connection is up now.
    public var isConnected: Bool { client.statistics.isConnected }

    /// Reconnections after a lost connection so far.
    public var reconnects: Int { client.statistics.reconnects }

    /// Messages received on topics no device matched.
    public var unmatchedMessages: UInt64 {
        unmatchedLock.lock()
        defer { unmatchedLock.unlock() }
        return unmatchedBox.counts.values.reduce(0, +)
    }

    /// Connects (retrying in the background until it succeeds) and runs until graceful shutdown.
    public func run() async throws {
        do {
            try client.start()
        } catch {
            throw SetupError(description: "broker '\(broker.name)': \(error)")
        }
        logger.info("MQTT source started", metadata: ["subscriptions": "\(routes.map(\.filter.text))"])
        // Mirror the client's connection state into metrics once a second until shutdown.
        let dimensions = [("broker", broker.name)]
        let connected = Gauge(label: "sortgate_broker_connected", dimensions: dimensions)
        let reconnects = Counter(label: "sortgate_broker_reconnects_total", dimensions: dimensions)
        let unmatched = Gauge(label: "sortgate_broker_unmatched_messages", dimensions: dimensions)
        var reported = 0
        while !Task.isShuttingDownGracefully {
            let statistics = client.statistics
            connected.record(statistics.isConnected ? 1 : 0)
            reconnects.increment(by: statistics.reconnects - reported)
            reported = statistics.reconnects
            unmatched.record(Double(unmatchedMessages))
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                break
            }
        }
        client.stop()
        logger.info("MQTT source stopped")
    }
}
