import Foundation
import Logging
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateMQTT
import SortgateStore
import SortgateTestSupport

/// The `Gateway` that `sortgate run` runs, running in the test process until `stop()`, with the
/// helpers the live tests wait on. No wiring of its own: only options (a small ring, a slow sink,
/// a recording) differ from the command's.
final class LiveGateway: Sendable {
    let gateway: Gateway
    private let running: Task<Void, any Error>
    private let group: ServiceGroup

    init(
        config: SiteConfig,
        sink: (@Sendable (SQLiteStore) -> any FactSink)? = nil,
        ring: EventRing.Configuration? = nil,
        record: String? = nil,
        idleAdvanceAfter: Duration = .seconds(60),
        stopTimeout: Duration = .seconds(10),
        liveStreamClientBuffer: Int = 256,
        flushPolicy: FlushPolicy = .live
    ) throws {
        var logger = Logger(label: "test-gateway")
        logger.logLevel = .warning
        gateway = try Gateway(
            config: config,
            options: Gateway.Options(
                record: record,
                ring: ring,
                flushPolicy: flushPolicy,
                idleAdvanceAfter: idleAdvanceAfter,
                stopTimeout: stopTimeout,
                statusInterval: nil,
                wrapSink: sink,
                liveStreamClientBuffer: liveStreamClientBuffer
            ),
            logger: logger
        )
        group = ServiceGroup(configuration: .init(services: [.init(service: gateway)], logger: logger))
        running = Task { [group] in try await group.run() }
    }

    var config: SiteConfig { gateway.config }
    var store: SQLiteStore { gateway.store }
    var ring: EventRing { gateway.ring }
    var pipeline: PipelineService { gateway.pipeline }
    var sources: [MQTTSource] { gateway.sources.mqtt }
    var isConnected: Bool { gateway.sources.brokersConnected.connected == gateway.sources.mqtt.count }

    /// Waits until every source is connected and subscribed.
    func waitUntilSubscribed() async throws {
        let ready = await eventually(timeout: .seconds(15)) { gateway.isSubscribed }
        if !ready { throw TestSupportError("gateway did not connect and subscribe within 15 s") }
    }

    /// Waits until the pipeline has processed `count` messages (good or bad).
    func waitForMessages(_ count: UInt64, timeout: Duration = .seconds(60)) async -> Bool {
        await eventually(timeout: timeout) { gateway.pipeline.status.session.messages >= count }
    }

    /// Graceful shutdown: sources stop, the ring drains, the last batch is written.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

/// A small ring for the backpressure tests: `slots` slots of 1 KiB (the demo's largest message is 1.6 KiB).
func smallRing(slots: Int) -> EventRing.Configuration {
    EventRing.Configuration(slots: slots, slotSize: 1024, maxMessageBytes: slots * 1024 - EventRing.headerSize)
}

/// The broker settings the README asks of a site broker: a queue per persistent session deep
/// enough that mosquitto never drops QoS 1 messages for a gateway that is busy for a moment
/// (its default, 1000, drops beyond that; on a loaded test machine a burst of 6741 exceeds it).
let siteBrokerSettings = ["max_queued_messages 100000"]

/// The demo site's RFID readers, with the broker moved to `port` and the database into `folder`
/// (its Modbus cold-room sensors have no simulator in these tests).
func demoConfig(port: Int, folder: TemporaryFolder) throws -> SiteConfig {
    var config = try loadConfig("Config/demo.yaml", databaseIn: folder)
    for name in config.brokers.keys { config.brokers[name]!.port = port }
    config.devices.removeAll { if case .modbus = $0.connection { true } else { false } }
    return config
}

/// Publishes the MQTT messages of a capture (up to `limit`), awaiting each acknowledgement.
func publishCapture(
    _ path: String,
    port: Int,
    range: Range<Int> = 0..<Int.max,
    qos: Int = 1,
    clientID: String = "test-publisher"
) async throws -> Int {
    var records: [CaptureRecord] = []
    var index = 0
    try await CaptureReader(path: path).forEachLine { line in
        defer { index += 1 }
        guard range.contains(index), case .success(let record) = line, record.topic != nil else { return }
        records.append(record)
    }
    try await publish(records.map { ($0.topic!, $0.payload!) }, port: port, qos: qos, clientID: clientID)
    return records.count
}

/// Publishes messages in order, awaiting each acknowledgement.
func publish(_ messages: [(String, [UInt8])], port: Int, qos: Int = 1, clientID: String = "test-publisher") async throws
{
    var logger = Logger(label: "test-publisher")
    logger.logLevel = .warning
    let client = MQTTClient(
        configuration: .init(host: "127.0.0.1", port: port, clientID: clientID, cleanSession: false),
        logger: logger
    ) { _ in }
    try client.start()
    defer { client.stop() }
    for (topic, payload) in messages {
        try await client.publish(topic: topic, payload: payload, qos: qos)
    }
}

/// Every row of the three fact tables, for comparing two databases.
struct DatabaseContents: Equatable {
    var inventory: [InventoryRecord]
    var movements: [String]

    init(_ store: SQLiteStore) throws {
        inventory = try store.inventory()
        movements = try store.movements().map {
            "\($0.epc) \($0.kind) \($0.fromZone ?? "-") \($0.toZone ?? "-") \($0.at)"
        }.sorted()
    }
}

/// One Zebra message per tag, each read once, on the induction reader of the demo site (tags
/// 3074257BF7194E40 followed by the message number): a message handled twice shows as `reads == 2`.
func oneReadPerTag(_ range: Range<Int>) -> [(String, [UInt8])] {
    range.map { n in
        let epc = "3074257BF7194E40" + String(format: "%08X", n)
        let payload =
            #"{"data":{"antenna":1,"eventNum":\#(n),"format":"epc","idHex":"\#(epc)","peakRssi":-50,"reads":1},"#
            + #""timestamp":"2026-11-28T09:00:00.000+0100","type":"SIMPLE"}"#
        return ("readers/induction/events", Array(payload.utf8))
    }
}
