import Foundation
import Logging
import SortgateCore
import SortgateMQTT
import SortgateTestSupport
import Synchronization

/// Collects what a client's message handler receives (on the network thread) for the test to read.
final class MessageCollector: Sendable {
    private let received = Mutex<[MQTTMessage]>([])

    var messages: [MQTTMessage] {
        received.withLock { $0 }
    }

    var count: Int {
        received.withLock { $0.count }
    }

    func append(_ message: MQTTMessage) {
        received.withLock { $0.append(message) }
    }
}

/// A client with its collector and log, configured for tests: short backoff so reconnects are quick.
struct TestClient {
    let client: MQTTClient
    let collector: MessageCollector
    let logs: LogStore

    init(
        port: Int,
        clientID: String = "sortgate-test-\(UUID().uuidString.prefix(8))",
        cleanSession: Bool = false,
        protocolVersion: MQTTClient.ProtocolVersion = .v311,
        username: String? = nil,
        password: String? = nil,
        tls: MQTTClient.TLS? = nil,
        subscriptions: [MQTTClient.Subscription] = [],
        backoff: Backoff.Bounds = .init(minimum: .milliseconds(50), maximum: .milliseconds(400))
    ) {
        let collector = MessageCollector()
        let logs = LogStore()
        client = MQTTClient(
            configuration: MQTTClient.Configuration(
                host: "127.0.0.1",
                port: port,
                clientID: clientID,
                cleanSession: cleanSession,
                keepalive: .seconds(10),
                protocolVersion: protocolVersion,
                username: username,
                password: password,
                tls: tls,
                reconnectBackoff: backoff,
                subscriptions: subscriptions
            ),
            logger: logs.logger,
            messageHandler: { collector.append($0) }
        )
        self.collector = collector
        self.logs = logs
    }

    /// Waits until the broker accepted the connection and granted every subscription of it.
    func waitUntilSubscribed(grants: Int? = nil, timeout: Duration = .seconds(10)) async -> Bool {
        let expected = grants ?? client.configuration.subscriptions.count
        return await eventually(timeout: timeout) {
            let statistics = client.statistics
            return statistics.isConnected && statistics.subscriptionsGranted >= expected
        }
    }
}

/// A binary payload of `count` bytes: every byte value occurs (NUL included), and the pattern shifts
/// every 256 bytes so that a misplaced chunk would not compare equal.
func binaryPayload(count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
}

extension MQTTClient {
    /// `publish` with its outcome as a value, for `async let` (whose errors a test cannot capture).
    func publishResult(topic: String, payload: [UInt8], qos: Int = 1) async -> Result<Void, MQTTError> {
        do throws(MQTTError) {
            try await publish(topic: topic, payload: payload, qos: qos)
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
