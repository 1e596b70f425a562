import Foundation
import Logging
import SortgateMQTT
import SortgateTestSupport
import Testing

@Suite("MQTTClient credentials against a real mosquitto")
struct MQTTClientAuthenticationTests {
    @Test("a known user name and password are accepted")
    func validCredentialsConnect() async throws {
        let broker = try await MosquittoBroker(users: ["gateway": "pa55-from-file"])
        defer { broker.stop() }
        let test = TestClient(
            port: broker.port,
            username: "gateway",
            password: "pa55-from-file",
            subscriptions: [.init("readers/#", qos: 1)]
        )
        try test.client.start()
        defer { test.client.stop() }
        #expect(await test.waitUntilSubscribed())
        try await test.client.publish(topic: "readers/self-test", payload: Array("ok".utf8), qos: 1)
        #expect(await eventually { test.collector.count >= 1 })
        #expect(test.collector.messages.first?.payload == Array("ok".utf8))
        #expect(test.client.statistics.connections == 1)
        #expect(
            !test.logs.all.contains {
                $0.message.contains("pa55") || $0.metadata.values.contains { $0.contains("pa55") }
            }
        )
    }

    @Test("a wrong password is refused with the broker's CONNACK reason, and retried")
    func wrongPasswordIsRefused() async throws {
        let broker = try await MosquittoBroker(users: ["gateway": "right"])
        defer { broker.stop() }
        let test = TestClient(port: broker.port, username: "gateway", password: "wrong")
        try test.client.start()
        defer { test.client.stop() }
        #expect(await eventually { test.client.statistics.connectionAttempts >= 3 })
        #expect(test.client.statistics.connections == 0)
        let error = try #require(test.client.lastError)
        #expect(error.code == .connectionRefused)
        #expect(error.detail == "broker refused the connection: CONNACK 5 Connection Refused: not authorised.")
        #expect(test.logs.contains(level: .info, "CONNACK 5 Connection Refused: not authorised."))
        #expect(!test.logs.all.contains { $0.message.contains("wrong") })
    }
}
