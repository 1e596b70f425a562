import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateMQTT
import SortgateStore
import SortgateTestSupport
import Testing

/// The live gateway against a real mosquitto broker on a free loopback port.
@Suite("Live MQTT ingestion", .serialized)
struct LiveMQTTTests {
    let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    @Test(
        "Readers of both formats publish the demo shift; the inventory is what the scenario says and what a replay of the recording gives"
    )
    func liveEqualsScenarioAndReplay() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: broker.port, folder: folder)
        let recording = folder.path("live.jsonl")
        let gateway = try LiveGateway(config: config, record: recording)
        try await gateway.waitUntilSubscribed()

        let published = try await publishCapture(capture, port: broker.port)
        #expect(published == 6741)
        #expect(await gateway.waitForMessages(UInt64(published)))
        try await gateway.stop()

        let expected = try ExpectedOutcome.demo()
        try expected.check(gateway.store, messages: gateway.pipeline.status.session.messages)
        #expect(gateway.pipeline.status.recorded == published)

        // The recording replays into the same database contents.
        var replayConfig = config
        replayConfig.database = .sqlite(path: folder.path("replayed.sqlite"))
        let replayed = try SQLiteStore(path: folder.path("replayed.sqlite"), zoneNames: config.zones.map(\.name))
        let summary = try await replay([recording], config: replayConfig, store: replayed)
        #expect(summary.session.messages == UInt64(published))
        #expect(try DatabaseContents(replayed) == DatabaseContents(gateway.store))
    }

    @Test("Broker stopped and restarted mid-stream: the gateway reconnects, resubscribes, and the inventory is exact")
    func brokerRestart() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: broker.port, folder: folder)
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()

        let first = try await publishCapture(capture, port: broker.port, range: 0..<3000, clientID: "publisher-a")
        broker.stop()
        #expect(!broker.isRunning)
        try await broker.restart()
        let rest = try await publishCapture(capture, port: broker.port, range: 3000..<Int.max, clientID: "publisher-b")
        #expect(first + rest == 6741)
        #expect(await gateway.waitForMessages(6741))
        #expect(gateway.sources.reduce(0) { $0 + $1.reconnects } >= 1)
        try await gateway.stop()

        // Every published message was received once, or again and recognised as a redelivery.
        let status = gateway.pipeline.status
        let extra = status.session.messages - 6741
        #expect(extra <= status.redelivered)
        try ExpectedOutcome.demo().check(gateway.store, messages: nil)
    }

    @Test("Bad input over the wire is rejected and counted while good messages keep flowing")
    func badInputOverTheWire() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: broker.port, folder: folder)
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()

        let topic = "readers/induction/events"
        func zebra(_ n: Int, _ idHex: String) -> [UInt8] {
            Array(
                #"{"data":{"antenna":1,"eventNum":\#(n),"idHex":"\#(idHex)","peakRssi":-50,"reads":2},"timestamp":"2026-11-28T09:00:\#(String(format: "%02d", n)).000+0100","type":"SIMPLE"}"#
                    .utf8
            )
        }
        let good = (1...5).map { "3074257BF7194E40000000" + String(format: "%02X", $0) }
        let messages: [(String, [UInt8])] = [
            (topic, zebra(1, good[0])),
            (topic, Array(#"{"data":{"antenna":1,"idHex":"3074"#.utf8)),
            (topic, zebra(2, good[1])),
            (topic, zebra(3, "3074257BF7194E4000001A8")),
            (topic, zebra(4, good[2])),
            (topic, Array(repeating: UInt8(ascii: "x"), count: 1 << 20)),
            (topic, zebra(5, good[3])),
            (topic, [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]),
            (topic, zebra(6, good[4])),
        ]
        try await publish(messages, port: broker.port)
        #expect(await gateway.waitForMessages(UInt64(messages.count)))
        try await gateway.stop()

        let status = gateway.pipeline.status
        #expect(status.session.rejected == [.malformedJSON: 1, .invalidEPC: 1, .oversize: 1, .invalidUTF8: 1])
        let inventory = try gateway.store.inventory()
        #expect(inventory.map(\.epc) == good)
        #expect(inventory.allSatisfy { $0.zone == "induction-1" && $0.reads == 2 && $0.status == "present" })
        let quarantined = try gateway.store.quarantined()
        #expect(quarantined.count == 4)
        #expect(quarantined.first { $0.reason == "oversize" }?.payload.count == QuarantinedMessage.maximumPayloadBytes)
        #expect(quarantined.allSatisfy { $0.source == "induction-reader" && $0.detail.contains("topic \(topic)") })
    }

    @Test("With a slowed sink and block mode, memory stays bounded and nothing is dropped")
    func backpressureBlock() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: broker.port, folder: folder)
        let gateway = try LiveGateway(config: config, sink: { SlowSink($0, delay: 0.02) }, ring: smallRing(slots: 32))
        try await gateway.waitUntilSubscribed()

        let published = try await publishCapture(capture, port: broker.port, range: 0..<2000)
        #expect(await gateway.waitForMessages(UInt64(published), timeout: .seconds(120)))
        try await gateway.stop()
        #expect(gateway.ring.depth.highWater <= 32)
        #expect(gateway.ring.droppedTotal == 0)
        #expect(gateway.pipeline.status.session.messages == UInt64(published))
    }

    @Test("With a slowed sink and drop-oldest, drops are counted and everything is accounted for")
    func backpressureDropOldest() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        var config = try demoConfig(port: broker.port, folder: folder)
        for index in config.devices.indices {
            if case .mqtt(var mqtt) = config.devices[index].connection {
                mqtt.onFull = .dropOldest
                config.devices[index].connection = .mqtt(mqtt)
            }
        }
        // The sink is stuck until the ring has dropped: the writer thread holds one batch, one more
        // waits, then the consumer waits too and the 8-slot ring fills up.
        let gate = GatedSink.Gate()
        let gateway = try LiveGateway(config: config, sink: { GatedSink($0, gate: gate) }, ring: smallRing(slots: 8))
        try await gateway.waitUntilSubscribed()

        var published = 0
        for start in stride(from: 0, to: 1500, by: 100) {
            published += try await publishCapture(capture, port: broker.port, range: start..<(start + 100))
            if gateway.ring.droppedTotal > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        gate.open()
        let accounted = await eventually(timeout: .seconds(60)) {
            gateway.pipeline.status.session.messages + gateway.ring.droppedTotal >= UInt64(published)
        }
        #expect(accounted)
        try await gateway.stop()
        let dropped = gateway.ring.droppedTotal
        #expect(dropped > 0)
        #expect(gateway.pipeline.status.session.messages + dropped == UInt64(published))
        #expect(gateway.ring.depth.highWater <= 8)
    }

    @Test(
        "TLS: with the right CA and a client certificate the gateway connects; with the wrong CA it refuses and retries"
    )
    func tls() async throws {
        let certificates = try TestCertificates.generate()
        let broker = try await MosquittoBroker(tls: .init(certificates), extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        var config = try demoConfig(port: broker.tlsPort!, folder: folder)
        config.brokers["site"]!.tls = TLSConfig(
            ca: certificates.caFile,
            cert: certificates.clientCertFile,
            key: certificates.clientKeyFile
        )
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()
        let published = try await publishCapture(capture, port: broker.port, range: 0..<50)
        #expect(await gateway.waitForMessages(UInt64(published)))
        try await gateway.stop()
        #expect(try gateway.store.inventory().count > 0)

        let wrong = try TestCertificates.generate()
        var wrongConfig = config
        wrongConfig.database = .sqlite(path: folder.path("wrong.sqlite"))
        wrongConfig.brokers["site"]!.tls = TLSConfig(
            ca: wrong.caFile,
            cert: wrong.clientCertFile,
            key: wrong.clientKeyFile
        )
        let refused = try LiveGateway(config: wrongConfig)
        let retried = await eventually(timeout: .seconds(15)) {
            refused.sources[0].statistics.connectionAttempts >= 3
        }
        #expect(retried)
        #expect(!refused.sources[0].isConnected)
        #expect(refused.sources[0].lastError?.description.lowercased().contains("certificate") == true)
        try await refused.stop()
    }

    @Test("SIGTERM-style stops in the middle of a QoS 1 flood, restart on the same session: every message counted exactly once")
    func cleanStopsDoubleNothing() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: broker.port, folder: folder)
        // One tag per message, read once: any message handled twice shows as reads == 2.
        let total = 6000
        let messages = oneReadPerTag(0..<total)
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()
        // Publishers keep going while the gateway is stopped and started again twice.
        async let published: Void = withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<4 {
                let slice = Array(messages[(part * total / 4)..<((part + 1) * total / 4)])
                group.addTask { try await publish(slice, port: broker.port, clientID: "flood-\(part)") }
            }
            try await group.waitForAll()
        }
        #expect(await gateway.waitForMessages(1500))
        try await gateway.stop()
        let afterFirst = gateway.pipeline.status.session.messages
        let second = try LiveGateway(config: config)
        try await second.waitUntilSubscribed()
        #expect(await second.waitForMessages(1000))
        try await second.stop()
        let afterSecond = second.pipeline.status.session.messages
        let third = try LiveGateway(config: config)
        try await third.waitUntilSubscribed()
        try await published
        #expect(await third.waitForMessages(UInt64(total) - afterFirst - afterSecond, timeout: .seconds(90)))
        try await third.stop()

        #expect(afterFirst + afterSecond + third.pipeline.status.session.messages == UInt64(total))
        let inventory = try third.store.inventory()
        #expect(inventory.count == total)
        #expect(inventory.filter { $0.reads != 1 }.map(\.epc) == [])
    }

}

/// A sink that takes `delay` seconds per batch: a database on a slow disk.
/// A sink whose writes wait until its gate is opened (a database that stopped answering).
final class GatedSink: FactSink, @unchecked Sendable {
    final class Gate: @unchecked Sendable {
        // @unchecked: `isOpen` is guarded by `condition`.
        private let condition = NSCondition()
        private var isOpen = false

        func open() {
            condition.lock()
            isOpen = true
            condition.broadcast()
            condition.unlock()
        }

        func wait() {
            condition.lock()
            while !isOpen { condition.wait() }
            condition.unlock()
        }
    }

    private let inner: any FactSink
    private let gate: Gate

    init(_ inner: any FactSink, gate: Gate) {
        self.inner = inner
        self.gate = gate
    }

    func write(_ batch: FactBatch) throws {
        gate.wait()
        try inner.write(batch)
    }
}

final class SlowSink: FactSink, @unchecked Sendable {
    private let inner: any FactSink
    private let delay: Double

    init(_ inner: any FactSink, delay: Double) {
        self.inner = inner
        self.delay = delay
    }

    func write(_ batch: FactBatch) throws {
        Thread.sleep(forTimeInterval: delay)
        try inner.write(batch)
    }
}
