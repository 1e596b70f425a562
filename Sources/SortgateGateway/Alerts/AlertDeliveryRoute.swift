import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SortgateMQTT
import SortgateStore
import Synchronization
import SortgateConfig
import SortgateIngest

/// One destination of alert notifications, as the delivery loop sees it: hand over one outbox
/// entry and return once the destination acknowledged it, or throw why it did not.
protocol AlertDeliveryRoute: Sendable {
    /// The route name the outbox rows carry (`mqtt`, `webhook`).
    var name: String { get }
    /// Where notifications go, for logs (`broker 'plant' topic 'sortgate/alerts'`, a URL).
    var destination: String { get }
    /// Prepares the route (connects in the background); throws only for an invalid configuration.
    func start() throws
    /// Delivers one notification; returns on acknowledgement.
    func deliver(_ entry: OutboxEntry) async throws
    /// Ends a `deliver` that waits for an acknowledgement that will not come before shutdown.
    func interrupt()
    /// Releases the route's connections once no delivery runs any more.
    func shutdown() async
}

/// Alerts published to a topic of a broker, with the route's QoS (1 by default), through a client
/// of its own: `<broker client_id>-alerts`, a persistent session, so that messages in flight when
/// the connection drops are sent again after the reconnect. `publish` returns on PUBACK (PUBCOMP
/// for QoS 2), which is the acknowledgement that removes the outbox row; while the broker is down
/// it keeps waiting, and libmosquitto sends the message once the broker is back.
final class MQTTAlertRoute: AlertDeliveryRoute {
    let name = AlertDeliveryService.mqttRouteName
    let destination: String
    private let client: MQTTClient
    private let topic: String
    private let qos: Int

    init(route: AlertMQTTRoute, broker: BrokerConfig, logger: Logger) throws {
        let configuration: MQTTClient.Configuration
        do {
            configuration = try broker.clientConfiguration(clientID: "\(broker.clientID)-alerts", cleanSession: false)
        } catch {
            throw AlertDeliveryService.SetupError(description: "alerts: \(error.description)")
        }
        client = MQTTClient(configuration: configuration, logger: logger) { _ in
            // The alert client subscribes to nothing; a message here would be a broker's mistake.
        }
        topic = route.topic
        qos = route.qos
        destination = "broker '\(broker.name)' (\(broker.host):\(broker.port)) topic '\(route.topic)'"
    }

    func start() throws {
        do {
            try client.start()
        } catch {
            throw AlertDeliveryService.SetupError(description: "alerts: \(destination): \(error)")
        }
    }

    func deliver(_ entry: OutboxEntry) async throws {
        try await client.publish(topic: topic, payload: Array(entry.payload.utf8), qos: qos)
    }

    func interrupt() {
        // Cancelling a publish does not end its wait (the message is libmosquitto's already);
        // stopping the client fails it. The row stays in the outbox and is sent on the next run.
        client.stop()
    }

    func shutdown() async {
        client.stop()
    }
}

/// Alerts POSTed as JSON to a URL with async-http-client. A 2xx answer is the acknowledgement;
/// anything else (another status, a refused connection, the route's timeout) is a failure that
/// the delivery loop retries. Each request carries `X-Sortgate-Alert-Id` so that a receiver can
/// drop a duplicate without parsing the body.
final class WebhookAlertRoute: AlertDeliveryRoute {
    let name = AlertDeliveryService.webhookRouteName
    let destination: String
    /// Made in `start()` and shut down in `shutdown()`, so that a route that never ran owns no
    /// event-loop resources (an `HTTPClient` must be shut down before it is released).
    private let client = Mutex<HTTPClient?>(nil)
    private let url: String
    private let timeout: Duration

    /// The start of a non-2xx answer's body kept for the log line.
    static let reasonBodyLimit = 512

    init(route: AlertWebhookRoute) {
        url = route.url
        timeout = route.timeout
        destination = "webhook \(route.url)"
    }

    func start() throws {
        client.withLock { client in
            if client == nil {
                client = HTTPClient(eventLoopGroupProvider: .singleton)
            }
        }
    }

    func deliver(_ entry: OutboxEntry) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Sortgate-Alert-Id", value: entry.alertID)
        request.body = .bytes(ByteBuffer(string: entry.payload))
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        guard let client = client.withLock({ $0 }) else {
            throw AlertDeliveryService.SetupError(
                description: "\(destination): used before start() or after shutdown()"
            )
        }
        let response = try await client.execute(request, timeout: .nanoseconds(nanoseconds))
        // Reading the body (bounded) returns the connection to the pool and gives the log a reason.
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            let text = String(buffer: body).prefix(Self.reasonBodyLimit)
            throw WebhookStatusError(status: response.status, body: String(text))
        }
    }

    func interrupt() {
        // The request is cancelled with the delivery task (async-http-client honours cancellation).
    }

    func shutdown() async {
        let client = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await client?.shutdown()
    }
}

/// A webhook answered with a status other than 2xx.
struct WebhookStatusError: Error, CustomStringConvertible {
    var status: HTTPResponseStatus
    var body: String

    var description: String {
        "answered \(status.code) \(status.reasonPhrase)" + (body.isEmpty ? "" : ": \(body.debugDescription)")
    }
}
