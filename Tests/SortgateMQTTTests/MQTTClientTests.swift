import Foundation
import Logging
import SortgateCore
import SortgateMQTT
import SortgateTestSupport
import Testing

@Suite("MQTTClient against a real mosquitto")
struct MQTTClientTests {
    @Test("a wildcard subscription receives exact topics and payload bytes, 256 KiB and empty included")
    func wildcardSubscriptionReceivesExactBytes() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let test = TestClient(port: broker.port, subscriptions: [.init("sites/+/readers/#", qos: 1)])
        try test.client.start()
        defer { test.client.stop() }
        #expect(await test.waitUntilSubscribed())

        let large = binaryPayload(count: 256 * 1024)
        let text = Array(#"{"epc":"3034257BF7194E4000001A85","antenna":2}"#.utf8)
        // Not matching the filter (wrong level two), so it must not arrive.
        try MosquittoClients.publish(port: broker.port, topic: "sites/dock3/sensors/t1", payload: [1, 2, 3])
        try MosquittoClients.publish(port: broker.port, topic: "sites/dock3/readers/r1/events", payload: text)
        try MosquittoClients.publish(port: broker.port, topic: "sites/dock4/readers/r2", payload: large)
        try MosquittoClients.publish(port: broker.port, topic: "sites/dock4/readers/r2/empty", payload: [], qos: 0)

        #expect(await eventually { test.collector.count >= 3 })
        let messages = test.collector.messages
        #expect(
            messages.map(\.topic) == [
                "sites/dock3/readers/r1/events", "sites/dock4/readers/r2", "sites/dock4/readers/r2/empty",
            ]
        )
        #expect(messages.map(\.payload.count) == [text.count, 262_144, 0])
        #expect(messages.count == 3 && messages[0].payload == text)
        #expect(messages.count == 3 && messages[1].payload == large)
        #expect(messages.map(\.qos) == [1, 1, 0])
        #expect(messages.map(\.retained) == [false, false, false])
        let statistics = test.client.statistics
        #expect(statistics.messagesReceived == 3)
        #expect(statistics.lastMessageTime != nil)
        #expect(statistics.connections == 1)
        #expect(statistics.reconnects == 0)
        #expect(test.logs.contains(level: .info, "MQTT connected"))
        #expect(test.logs.contains(level: .info, "MQTT subscribed to 'sites/+/readers/#'"))
        #expect(test.logs.all.contains { $0.metadata["mqtt.granted_qos"] == "1" })
    }

    @Test("a retained message is delivered on subscribe and flagged as retained")
    func retainedMessage() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        try MosquittoClients.publish(
            port: broker.port,
            topic: "config/zone-map",
            payload: Array("v7".utf8),
            retain: true
        )
        let test = TestClient(port: broker.port, subscriptions: [.init("config/#", qos: 0)])
        try test.client.start()
        defer { test.client.stop() }
        #expect(await eventually { test.collector.count >= 1 })
        let message = try #require(test.collector.messages.first)
        #expect(message.topic == "config/zone-map")
        #expect(message.payload == Array("v7".utf8))
        #expect(message.retained)
        #expect(message.qos == 0)
    }

    @Test("publish completes after the broker's acknowledgement and mosquitto_sub receives the bytes")
    func publishIsAcknowledgedAndDelivered() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let subscriber = try MosquittoSubscriber(port: broker.port, filter: "alerts/#", qos: 2)
        defer { subscriber.stop() }
        try await subscriber.waitUntilSubscribed()
        let test = TestClient(port: broker.port)
        try test.client.start()
        defer { test.client.stop() }
        #expect(await eventually { test.client.statistics.isConnected })

        let binary = binaryPayload(count: 1000)
        try await test.client.publish(topic: "alerts/coldroom-a", payload: Array("excursion-high".utf8), qos: 1)
        try await test.client.publish(topic: "alerts/coldroom-b", payload: binary, qos: 2)
        try await test.client.publish(topic: "alerts/dock-3", payload: [], qos: 0)

        #expect(await eventually { subscriber.messages.count >= 3 })
        // Sorted: a QoS 2 delivery completes at the subscriber only after PUBREL, so a QoS 0 message
        // published later may overtake it.
        let received = subscriber.messages.sorted { $0.topic < $1.topic }
        #expect(received.map(\.topic) == ["alerts/coldroom-a", "alerts/coldroom-b", "alerts/dock-3"])
        #expect(received.map(\.payload.count) == [14, 1000, 0])
        #expect(received.count == 3 && received[0].payload == Array("excursion-high".utf8))
        #expect(received.count == 3 && received[1].payload == binary)
        // The broker's log shows the acknowledgements the client waited for.
        #expect(broker.log.contains("Sending PUBACK to \(test.client.configuration.clientID)"))
        #expect(broker.log.contains("Sending PUBCOMP to \(test.client.configuration.clientID)"))
    }

    @Test("the client reconnects and resubscribes by itself after the broker restarts")
    func reconnectsAndResubscribesAfterBrokerRestart() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let test = TestClient(port: broker.port, subscriptions: [.init("readers/+/events", qos: 1)])
        try test.client.start()
        defer { test.client.stop() }
        #expect(await test.waitUntilSubscribed())
        try MosquittoClients.publish(port: broker.port, topic: "readers/r1/events", text: "before")
        #expect(await eventually { test.collector.count == 1 })

        broker.stop()
        #expect(await eventually { !test.client.statistics.isConnected })
        try await broker.restart()
        #expect(await test.waitUntilSubscribed(grants: 2))
        try MosquittoClients.publish(port: broker.port, topic: "readers/r1/events", text: "after")

        #expect(await eventually { test.collector.count == 2 })
        #expect(test.collector.messages.map { String(decoding: $0.payload, as: UTF8.self) } == ["before", "after"])
        let statistics = test.client.statistics
        #expect(statistics.reconnects >= 1)
        #expect(statistics.connections == statistics.reconnects + 1)
        #expect(statistics.subscriptionsGranted == statistics.connections)
        #expect(test.client.lastError != nil)
        #expect(test.logs.contains(level: .info, "MQTT connection lost"))
        #expect(test.logs.contains(level: .info, "MQTT reconnected"))
        #expect(test.logs.all.contains { $0.message.contains("reconnecting in") && $0.metadata["mqtt.attempt"] != nil })
    }

    /// Issue 15 item 7: the delay used to keep growing across connections shorter than 10 s, so a
    /// second short outage soon after a longer one was retried only after seconds.
    @Test("after a long outage, a second short one is bridged well within a second of the broker's return")
    func shortOutageAfterLongOneReconnectsQuickly() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        // The production bounds, under which the old rule waited 3.2 s here.
        let test = TestClient(port: broker.port, backoff: .init(minimum: .milliseconds(100), maximum: .seconds(30)))
        try test.client.start()
        defer { test.client.stop() }
        #expect(await eventually { test.client.statistics.isConnected })

        // Failed attempts after 100, 200, 400 and 800 ms: the delay has grown to 1.6 s.
        broker.stop()
        #expect(await eventually { !test.client.statistics.isConnected })
        try await Task.sleep(for: .milliseconds(1700))
        try await broker.restart()
        #expect(await eventually { test.client.statistics.isConnected })

        broker.stop()
        #expect(await eventually(interval: .milliseconds(2)) { !test.client.statistics.isConnected })
        try await broker.restart()
        let back = ContinuousClock.now
        #expect(await eventually(interval: .milliseconds(5)) { test.client.statistics.isConnected })
        let reconnectedAfter = back.duration(to: .now)
        #expect(reconnectedAfter < .seconds(1), "reconnected \(reconnectedAfter) after the broker was back")
        #expect(test.client.statistics.reconnects == 2)
    }

    @Test("a QoS 1 publish made while the broker is down completes after it is back, and is delivered once")
    func publishWhileBrokerDownCompletesAfterRestart() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let receiver = TestClient(port: broker.port, subscriptions: [.init("outbox/#", qos: 1)])
        try receiver.client.start()
        defer { receiver.client.stop() }
        #expect(await receiver.waitUntilSubscribed())
        let sender = TestClient(port: broker.port)
        try sender.client.start()
        defer { sender.client.stop() }
        #expect(await eventually { sender.client.statistics.isConnected })

        broker.stop()
        #expect(await eventually { !sender.client.statistics.isConnected })
        async let published: Void = sender.client.publish(topic: "outbox/alert-17", payload: Array("held".utf8))
        try await broker.restart()
        try await published

        // The receiver's persistent session (and subscription) survived the restart in the broker's
        // database; it gets the message after its own reconnect.
        #expect(await eventually { receiver.collector.count >= 1 })
        #expect(receiver.collector.messages.map(\.topic) == ["outbox/alert-17"])
        #expect(receiver.collector.messages.first?.payload == Array("held".utf8))
        #expect(sender.client.statistics.reconnects >= 1)
    }

    @Test(
        "a persistent session receives the QoS 1 messages published while the client was away",
        arguments: [MQTTClient.ProtocolVersion.v311, .v5]
    )
    func persistentSessionKeepsMessages(version: MQTTClient.ProtocolVersion) async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let clientID = "gateway-persistent-\(version)"
        let first = TestClient(
            port: broker.port,
            clientID: clientID,
            protocolVersion: version,
            subscriptions: [.init("sensors/#", qos: 1)]
        )
        try first.client.start()
        #expect(await first.waitUntilSubscribed())
        first.client.stop()
        #expect(await eventually { broker.log.contains("Client \(clientID) disconnected") })

        let texts = (1...5).map { "reading-\($0)" }
        for text in texts {
            try MosquittoClients.publish(port: broker.port, topic: "sensors/coldroom-a/t1", text: text)
        }

        let second = TestClient(
            port: broker.port,
            clientID: clientID,
            protocolVersion: version,
            subscriptions: [.init("sensors/#", qos: 1)]
        )
        try second.client.start()
        defer { second.client.stop() }
        #expect(await eventually { second.collector.count >= 5 })
        #expect(second.collector.messages.map { String(decoding: $0.payload, as: UTF8.self) } == texts)
        #expect(second.collector.messages.allSatisfy { $0.qos == 1 && $0.topic == "sensors/coldroom-a/t1" })
        #expect(second.logs.all.contains { $0.metadata["mqtt.session_present"] == "true" })
    }

    @Test("a clean session does not receive what was published while it was away")
    func cleanSessionDropsMessages() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let clientID = "gateway-clean"
        let first = TestClient(
            port: broker.port,
            clientID: clientID,
            cleanSession: true,
            subscriptions: [.init("sensors/#", qos: 1)]
        )
        try first.client.start()
        #expect(await first.waitUntilSubscribed())
        first.client.stop()
        #expect(await eventually { broker.log.contains("Client \(clientID) disconnected") })
        try MosquittoClients.publish(port: broker.port, topic: "sensors/a", text: "while away")

        let second = TestClient(
            port: broker.port,
            clientID: clientID,
            cleanSession: true,
            subscriptions: [.init("sensors/#", qos: 1)]
        )
        try second.client.start()
        defer { second.client.stop() }
        #expect(await second.waitUntilSubscribed())
        try MosquittoClients.publish(port: broker.port, topic: "sensors/a", text: "while here")
        #expect(await eventually { second.collector.count >= 1 })
        #expect(second.collector.messages.map { String(decoding: $0.payload, as: UTF8.self) } == ["while here"])
        #expect(second.logs.all.contains { $0.metadata["mqtt.session_present"] == "false" })
    }

    @Test("a broker that refuses connections at start is retried until it is up")
    func refusedAtStartKeepsRetrying() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        broker.stop()
        let test = TestClient(port: broker.port, subscriptions: [.init("a/#", qos: 1)])
        try test.client.start()
        defer { test.client.stop() }
        #expect(await eventually { test.client.statistics.connectionAttempts >= 3 })
        #expect(test.client.statistics.connections == 0)
        let error = try #require(test.client.lastError)
        #expect(error.code == .errno)
        #expect(error.message == "Connection refused")
        #expect(error.broker == "127.0.0.1:\(broker.port)")
        #expect(error.operation == "connect")
        #expect(
            test.logs.contains(
                level: .info,
                "MQTT connection attempt failed: mqtt 127.0.0.1:\(broker.port): connect failed: Connection refused"
            )
        )

        try await broker.restart()
        #expect(await test.waitUntilSubscribed())
        #expect(test.client.statistics.connections == 1)
        #expect(test.client.statistics.reconnects == 0)
    }

    @Test("stop fails a publish still waiting for its acknowledgement, and is idempotent")
    func stopFailsPendingPublishes() async throws {
        let broker = try await MosquittoBroker()
        defer { broker.stop() }
        let test = TestClient(port: broker.port)
        try test.client.start()
        #expect(await eventually { test.client.statistics.isConnected })
        broker.stop()
        #expect(await eventually { !test.client.statistics.isConnected })

        async let published = test.client.publishResult(topic: "outbox/x", payload: [42], qos: 1)
        // Give the publish time to be handed to libmosquitto before stopping; the outcome is the same
        // either way (failed as stopped), only the path differs.
        try await Task.sleep(for: .milliseconds(100))
        test.client.stop()
        test.client.stop()
        let outcome = await published
        #expect(throws: MQTTError.self) { try outcome.get() }
        guard case .failure(let error) = outcome else {
            return
        }
        #expect(error.code == .noConnection)
        #expect(error.detail?.contains("stopped") == true)
        #expect(test.logs.contains(level: .info, "MQTT client stopped"))

        await #expect(throws: MQTTError.self) {
            try await test.client.publish(topic: "outbox/y", payload: [1], qos: 1)
        }
        #expect(throws: MQTTError.self) { try test.client.start() }
    }
}
