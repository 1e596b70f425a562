import Logging
import SortgateCore
import SortgateMQTT
import SortgateTestSupport
import Testing

@Suite("MQTTClient configuration and errors")
struct MQTTClientConfigurationTests {
    @Test("the defaults are what a gateway wants")
    func defaults() {
        let configuration = MQTTClient.Configuration(host: "broker.site", port: 1883, clientID: "gw-1")
        #expect(configuration.cleanSession == false)
        #expect(configuration.keepalive == .seconds(30))
        #expect(configuration.protocolVersion == .v311)
        #expect(configuration.reconnectBackoff == .init(minimum: .milliseconds(100), maximum: .seconds(30)))
        #expect(configuration.tls == nil)
        #expect(configuration.brokerAddress == "broker.site:1883")
    }

    @Test("the password never shows in the description")
    func passwordIsRedacted() {
        let configuration = MQTTClient.Configuration(
            host: "127.0.0.1",
            port: 1883,
            clientID: "gw-1",
            username: "gateway",
            password: "s3cr3t-from-file",
            subscriptions: [.init("readers/#", qos: 1)]
        )
        let text = "\(configuration)"
        #expect(!text.contains("s3cr3t"))
        #expect(text.contains("password=<redacted>"))
        #expect(text.contains("username=gateway"))
        #expect(text.contains("readers/#@1"))
    }

    @Test("result codes carry libmosquitto's numbers and texts")
    func resultCodes() {
        #expect(MQTTResultCode.success.rawValue == 0)
        #expect(MQTTResultCode.noConnection.rawValue == 4)
        #expect(MQTTResultCode.connectionLost.rawValue == 7)
        #expect(MQTTResultCode.tls.rawValue == 8)
        #expect(MQTTResultCode.errno.rawValue == 14)
        #expect(MQTTResultCode.noConnection.description == "The client is not currently connected.")
        #expect(MQTTResultCode(rawValue: 8) == .tls)
    }

    @Test("an error reads as one log line: broker, operation, message, detail")
    func errorDescription() {
        let error = MQTTError(
            code: .tls,
            operation: "connect",
            broker: "127.0.0.1:8883",
            detail: "OpenSSL Error[0]: certificate verify failed"
        )
        #expect(error.message == "A TLS error occurred.")
        #expect(
            error.description
                == "mqtt 127.0.0.1:8883: connect failed: A TLS error occurred. "
                + "(OpenSSL Error[0]: certificate verify failed)"
        )
    }

    @Test(
        "invalid settings make start() throw instead of retrying forever",
        arguments: [
            (
                "bad QoS",
                MQTTClient.Configuration(
                    host: "127.0.0.1",
                    port: 1883,
                    clientID: "gw",
                    subscriptions: [.init("a/#", qos: 3)]
                )
            ),
            (
                "bad filter",
                MQTTClient.Configuration(
                    host: "127.0.0.1",
                    port: 1883,
                    clientID: "gw",
                    subscriptions: [.init("a/#/b", qos: 1)]
                )
            ),
            ("empty id", MQTTClient.Configuration(host: "127.0.0.1", port: 1883, clientID: "")),
            ("port", MQTTClient.Configuration(host: "127.0.0.1", port: 70000, clientID: "gw")),
            (
                "keepalive",
                MQTTClient.Configuration(host: "127.0.0.1", port: 1883, clientID: "gw", keepalive: .seconds(2))
            ),
            ("password alone", MQTTClient.Configuration(host: "127.0.0.1", port: 1883, clientID: "gw", password: "x")),
        ]
    )
    func invalidConfigurationThrows(name: String, configuration: MQTTClient.Configuration) {
        let logs = LogStore()
        let client = MQTTClient(configuration: configuration, logger: logs.logger) { _ in }
        let error = #expect(throws: MQTTError.self, "\(name)") { try client.start() }
        #expect(error?.code == .invalid)
        #expect(error?.detail?.isEmpty == false)
        #expect(client.statistics.connectionAttempts == 0)
        client.stop()
    }

    @Test("publishing on a client that was never started throws at once")
    func publishBeforeStartThrows() async {
        let test = TestClient(port: 1883)
        let error = await #expect(throws: MQTTError.self) {
            try await test.client.publish(topic: "a/b", payload: [1], qos: 1)
        }
        #expect(error?.code == .noConnection)
        #expect(error?.operation == "publish to 'a/b'")
        test.client.stop()
    }
}
