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
import Testing

/// Alerts that happen while the alert broker is down and the webhook answers 500 are not lost:
/// once both are back, every notification arrives on both routes, in outbox order, and the
/// outbox ends empty.
@Suite("Alert delivery through the outbox")
struct AlertDeliveryTests {
    static let topic = "sortgate/test/alerts"

    /// The alert events written during the outage, in the order the pipeline would write them.
    static func outageAlerts() -> (first: [AlertFact], second: [AlertFact]) {
        let start = EventTime(seconds: 1_790_000_000)
        let sensor = SourceID(0)
        let zone = ZoneID(0)
        let sensorExcursion = AlertID(kind: .excursionHigh, subject: .sensor(sensor), startedAt: start)
        let zoneExcursion = AlertID(kind: .excursionHigh, subject: .zone(zone), startedAt: start)
        let offline = AlertID(kind: .sensorOffline, subject: .sensor(SourceID(1)), startedAt: start + .seconds(60))
        func fact(_ event: AlertEvent, sensor: SourceID?) -> AlertFact {
            AlertFact(event: event, sensor: sensor, zone: zone, className: "chilled", container: nil)
        }
        let confirmed = start + .seconds(900)
        let first = [
            fact(
                AlertEvent(
                    transition: .raised,
                    id: sensorExcursion,
                    at: confirmed,
                    confirmedAt: confirmed,
                    peakCelsius: 11
                ),
                sensor: sensor
            ),
            fact(
                AlertEvent(
                    transition: .raised,
                    id: zoneExcursion,
                    at: confirmed,
                    confirmedAt: confirmed,
                    peakCelsius: 11
                ),
                sensor: nil
            ),
            fact(
                AlertEvent(
                    transition: .raised,
                    id: offline,
                    at: confirmed,
                    confirmedAt: confirmed,
                    peakCelsius: nil
                ),
                sensor: SourceID(1)
            ),
        ]
        let cleared = start + .seconds(2400)
        let second = [
            fact(
                AlertEvent(
                    transition: .updated,
                    id: sensorExcursion,
                    at: start + .seconds(1200),
                    confirmedAt: confirmed,
                    peakCelsius: 12.5
                ),
                sensor: sensor
            ),
            fact(
                AlertEvent(
                    transition: .cleared,
                    id: sensorExcursion,
                    at: cleared,
                    confirmedAt: confirmed,
                    clearedAt: cleared,
                    peakCelsius: 12.5
                ),
                sensor: sensor
            ),
            fact(
                AlertEvent(
                    transition: .cleared,
                    id: zoneExcursion,
                    at: cleared,
                    confirmedAt: confirmed,
                    clearedAt: cleared,
                    peakCelsius: 12.5
                ),
                sensor: nil
            ),
        ]
        return (first, second)
    }

    /// The (id, transition) sequence with consecutive repeats dropped: a redelivery carries the same
    /// id and transition, so this is what a receiver that drops duplicates sees.
    static func withoutRepeats(_ notifications: [AlertNotification]) -> [String] {
        var result: [String] = []
        for notification in notifications {
            let key = "\(notification.id) \(notification.transition)"
            if result.last != key {
                result.append(key)
            }
        }
        return result
    }

    @Test("broker stopped and webhook failing: every alert arrives on both routes, in order, once back")
    func outageThenRecovery() async throws {
        let folder = try TemporaryFolder()
        let broker = try await MosquittoBroker()
        let receiver = try WebhookReceiver(failing: true)
        defer { receiver.close() }

        // The monitor's subscription is a persistent session (clean session false, QoS 1) made
        // before the outage: the broker keeps it across its restart (persistence) and queues the
        // alerts for it, so no message can slip by between the restart and a new subscription.
        let received = MessageLog()
        let monitor = MQTTClient(
            configuration: MQTTClient.Configuration(
                host: broker.host,
                port: broker.port,
                clientID: "cold-chain-monitor",
                cleanSession: false,
                reconnectBackoff: .init(minimum: .milliseconds(50), maximum: .milliseconds(500)),
                subscriptions: [.init(Self.topic, qos: 1)]
            ),
            logger: Logger(label: "test.monitor")
        ) { message in
            received.append(message)
        }
        try monitor.start()
        defer { monitor.stop() }
        #expect(await eventually { monitor.statistics.subscriptionsGranted >= 1 })

        broker.stop()

        let config = SiteConfig(
            file: folder.path("site.yaml"),
            site: "alerts-test",
            database: .sqlite(path: folder.path("sortgate.sqlite")),
            brokers: [
                "plant": BrokerConfig(name: "plant", host: broker.host, port: broker.port, clientID: "sortgate-test")
            ],
            zones: [],
            devices: [],
            alerts: AlertsConfig(
                mqtt: AlertMQTTRoute(broker: "plant", topic: Self.topic, qos: 1),
                webhook: AlertWebhookRoute(url: receiver.url, timeout: .seconds(2))
            )
        )
        #expect(AlertDeliveryService.routeNames(config.alerts) == ["mqtt", "webhook"])
        let store = try SQLiteStore(
            path: folder.path("sortgate.sqlite"),
            zoneNames: ["cold-room-a"],
            sourceNames: ["coldroom-a-t1", "coldroom-a-t2"],
            alertRoutes: AlertDeliveryService.routeNames(config.alerts)
        )
        let (first, second) = Self.outageAlerts()
        try store.write(FactBatch(alerts: first))
        let expected = (first + second).map { "\($0.event.id.fingerprintHex) \($0.event.transition.rawValue)" }
        #expect(Set(expected).count == 6)

        let delivery = try #require(
            try AlertDeliveryService.make(
                config: config,
                store: store,
                logger: Logger(label: "test.alerts"),
                configuration: .init(
                    pollInterval: .milliseconds(50),
                    initialRetryDelay: .milliseconds(50),
                    maximumRetryDelay: .milliseconds(400)
                )
            )
        )
        let group = ServiceGroup(services: [delivery], logger: Logger(label: "test.group"))
        let running = Task { try await group.run() }

        // During the outage: the webhook is retried (500 each time) on the first alert only, and
        // nothing leaves the outbox.
        #expect(await eventually { receiver.requests.count >= 3 })
        try store.write(FactBatch(alerts: second))
        try await Task.sleep(for: .milliseconds(300))
        let duringOutage = receiver.requests
        #expect(duringOutage.allSatisfy { $0.answeredStatus == 500 })
        #expect(Set(duringOutage.map(\.headers["x-sortgate-alert-id"])) == [first[0].event.id.fingerprintHex])
        #expect(try store.pendingNotifications(route: "mqtt").count == 6)
        let webhookPending = try store.pendingNotifications(route: "webhook")
        #expect(webhookPending.count == 6)
        #expect(webhookPending.first?.attempts ?? 0 >= 2)
        #expect(received.messages.isEmpty)

        try await broker.restart()
        receiver.failing = false

        let drained = await eventually(timeout: .seconds(60)) {
            (try? store.pendingNotifications(route: "mqtt").isEmpty) == true
                && (try? store.pendingNotifications(route: "webhook").isEmpty) == true
        }
        #expect(drained, "outbox not drained; broker log:\n\(broker.log)")
        #expect(await eventually(timeout: .seconds(20)) { Set(received.messages.map(\.payload)).count >= 6 })

        await group.triggerGracefulShutdown()
        try await running.value

        let decoder = JSONDecoder()
        let mqttNotifications = try received.messages.map {
            #expect($0.topic == Self.topic)
            return try decoder.decode(AlertNotification.self, from: Data($0.payload))
        }
        #expect(Self.withoutRepeats(mqttNotifications) == expected)

        let requests = receiver.requests
        let webhookNotifications = try requests.map { request in
            #expect(request.method == "POST")
            #expect(request.path == "/alerts")
            #expect(request.headers["content-type"] == "application/json")
            let notification = try decoder.decode(AlertNotification.self, from: Data(request.body.utf8))
            #expect(request.headers["x-sortgate-alert-id"] == notification.id)
            return notification
        }
        #expect(Self.withoutRepeats(webhookNotifications) == expected)
        #expect(requests.filter { $0.answeredStatus == 200 }.count == 6)
        #expect(requests.last?.answeredStatus == 200)

        // The payloads are the outbox's JSON: concrete values survive the trip.
        let cleared = try #require(webhookNotifications.last)
        #expect(cleared.transition == "cleared")
        #expect(cleared.kind == "excursion-high")
        #expect(cleared.zone == "cold-room-a")
        #expect(cleared.peak_celsius == 12.5)
        #expect(mqttNotifications.first?.sensor == "coldroom-a-t1")
        #expect(mqttNotifications.first?.transition == "raised")
    }
}

extension AlertDeliveryTests {
    @Test("a commit that wrote alerts wakes the idle route at once; without it the route waits for its poll")
    func commitWakesIdleRoute() async throws {
        let folder = try TemporaryFolder()
        let receiver = try WebhookReceiver(failing: false)
        defer { receiver.close() }
        let config = SiteConfig(
            file: folder.path("site.yaml"),
            site: "alerts-wake-test",
            database: .sqlite(path: folder.path("sortgate.sqlite")),
            zones: [],
            devices: [],
            alerts: AlertsConfig(webhook: AlertWebhookRoute(url: receiver.url, timeout: .seconds(2)))
        )
        let store = try SQLiteStore(
            path: folder.path("sortgate.sqlite"),
            zoneNames: ["cold-room-a"],
            sourceNames: ["coldroom-a-t1", "coldroom-a-t2"],
            alertRoutes: AlertDeliveryService.routeNames(config.alerts)
        )
        // A poll far longer than the test: only the commit's wake-up can deliver in time.
        let delivery = try #require(
            try AlertDeliveryService.make(
                config: config,
                store: store,
                logger: Logger(label: "test.alerts"),
                configuration: .init(pollInterval: .seconds(120))
            )
        )
        let group = ServiceGroup(services: [delivery], logger: Logger(label: "test.group"))
        let running = Task { try await group.run() }
        // The route looked at the empty outbox and waits.
        try await Task.sleep(for: .milliseconds(300))

        let (first, second) = Self.outageAlerts()
        try store.write(FactBatch(alerts: first))
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.requests.isEmpty)
        #expect(try store.pendingNotifications(route: "webhook").count == 3)

        delivery.alertsCommitted()
        #expect(await eventually(timeout: .seconds(5)) { receiver.requests.count == 3 })
        try store.write(FactBatch(alerts: second))
        delivery.alertsCommitted()
        #expect(await eventually(timeout: .seconds(5)) { receiver.requests.count == 6 })
        #expect(await eventually { (try? store.pendingNotifications(route: "webhook").isEmpty) == true })

        await group.triggerGracefulShutdown()
        try await running.value
        let delivered = receiver.requests.compactMap { $0.headers["x-sortgate-alert-id"] }
        #expect(delivered == (first + second).map(\.event.id.fingerprintHex))
    }
}

/// Messages received by the test's MQTT monitor, appended on the client's network thread.
final class MessageLog: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [MQTTMessage] = []

    func append(_ message: MQTTMessage) {
        lock.withLock { stored.append(message) }
    }

    var messages: [MQTTMessage] {
        lock.withLock { stored }
    }
}
