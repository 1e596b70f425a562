import Foundation
import Logging
import SortgateMQTT
import SortgateTestSupport
import Testing

@Suite("MQTTClient over TLS against a real mosquitto")
struct MQTTClientTLSTests {
    @Test("with the right CA and a client certificate the client connects, subscribes and receives")
    func connectsWithTrustedCertificates() async throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        let broker = try await MosquittoBroker(tls: .init(certificates))
        defer { broker.stop() }
        let tlsPort = try #require(broker.tlsPort)
        let test = TestClient(
            port: tlsPort,
            tls: certificates.clientTLS,
            subscriptions: [.init("secure/#", qos: 1)]
        )
        try test.client.start()
        defer { test.client.stop() }
        #expect(await test.waitUntilSubscribed())

        try MosquittoClients.publish(port: broker.port, topic: "secure/dock-1", text: "over tls")
        #expect(await eventually { test.collector.count >= 1 })
        #expect(test.collector.messages.map(\.topic) == ["secure/dock-1"])
        #expect(test.collector.messages.first?.payload == Array("over tls".utf8))
        try await test.client.publish(topic: "secure/ack", payload: [7], qos: 1)
        #expect(test.client.statistics.connections == 1)
        #expect(broker.log.contains("New client connected from 127.0.0.1"))
        #expect(broker.log.contains("as \(test.client.configuration.clientID)"))
    }

    @Test("with the wrong CA the client does not connect, says why, and keeps retrying")
    func wrongCertificateAuthorityIsRefused() async throws {
        let certificates = try TestCertificates.generate(name: "broker")
        defer { certificates.remove() }
        let other = try TestCertificates.generate(name: "unrelated")
        defer { other.remove() }
        let broker = try await MosquittoBroker(tls: .init(certificates))
        defer { broker.stop() }
        let test = TestClient(
            port: try #require(broker.tlsPort),
            tls: .init(caFile: other.caFile, certFile: other.clientCertFile, keyFile: other.clientKeyFile),
            subscriptions: [.init("secure/#", qos: 1)]
        )
        try test.client.start()
        defer { test.client.stop() }

        #expect(await eventually { test.client.statistics.connectionAttempts >= 4 })
        let statistics = test.client.statistics
        #expect(statistics.connections == 0)
        #expect(statistics.isConnected == false)
        let error = try #require(test.client.lastError)
        #expect(error.detail?.contains("certificate verify failed") == true)
        #expect(error.operation == "connect")
        #expect(
            test.logs.all.contains {
                $0.level == .info && $0.message.contains("MQTT connection attempt failed")
                    && $0.message.contains("certificate verify failed") && $0.message.contains("reconnecting in")
            }
        )
        #expect(!broker.log.contains("as \(test.client.configuration.clientID)"))
    }

    @Test("a certificate for another host name is refused: hostname verification is on")
    func certificateForAnotherHostIsRefused() async throws {
        let certificates = try TestCertificates.generate(serverNames: ["DNS:broker.example.invalid"])
        defer { certificates.remove() }
        let broker = try await MosquittoBroker(tls: .init(certificates))
        defer { broker.stop() }
        let test = TestClient(
            port: try #require(broker.tlsPort),
            tls: certificates.clientTLS
        )
        try test.client.start()
        defer { test.client.stop() }

        #expect(await eventually { test.client.statistics.connectionAttempts >= 3 })
        #expect(test.client.statistics.connections == 0)
        let detail = try #require(test.client.lastError?.detail)
        #expect(detail.contains("certificate verify failed"))
    }

    @Test("a plaintext client gets nowhere on the TLS listener")
    func plaintextClientOnTLSListenerFails() async throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        let broker = try await MosquittoBroker(tls: .init(certificates))
        defer { broker.stop() }
        let test = TestClient(port: try #require(broker.tlsPort), subscriptions: [.init("secure/#", qos: 1)])
        try test.client.start()
        defer { test.client.stop() }

        #expect(await eventually { test.client.statistics.connectionAttempts >= 3 })
        #expect(test.client.statistics.connections == 0)
        #expect(test.client.lastError != nil)
        #expect(!broker.log.contains("as \(test.client.configuration.clientID)"))
    }

    @Test("a TLS client opens with a TLS handshake, never with a plaintext CONNECT")
    func tlsClientSendsNoPlaintext() async throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        let listener = try ByteRecordingListener()
        defer { listener.close() }
        let test = TestClient(
            port: listener.port,
            clientID: "must-not-appear-in-clear",
            tls: certificates.clientTLS
        )
        try test.client.start()
        defer { test.client.stop() }

        #expect(await eventually { listener.received.count >= 5 })
        let bytes = listener.received
        // A TLS record: content type 22 (handshake), version 3.x.
        #expect(bytes.first == 0x16)
        #expect(bytes.count > 1 && bytes[1] == 0x03)
        let clientID = Array("must-not-appear-in-clear".utf8)
        let protocolName: [UInt8] = [0x00, 0x04] + Array("MQTT".utf8)
        #expect(!contains(bytes, clientID))
        #expect(!contains(bytes, protocolName))
    }

    @Test("an unreadable CA file is a configuration error thrown by start()")
    func unreadableCAFileThrows() throws {
        let test = TestClient(port: 8883, tls: .init(caFile: "/nonexistent/sortgate/ca.crt"))
        let error = #expect(throws: MQTTError.self) { try test.client.start() }
        #expect(error?.code == .invalid)
        #expect(error?.operation == "configure TLS")
        #expect(error?.detail == "CA file '/nonexistent/sortgate/ca.crt' is not readable: No such file or directory")
        #expect(error?.broker == "127.0.0.1:8883")
        #expect(test.client.statistics.connectionAttempts == 0)
        test.client.stop()
    }

    @Test("a client certificate without its key is a configuration error")
    func certificateWithoutKeyThrows() throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        let test = TestClient(
            port: 8883,
            tls: .init(caFile: certificates.caFile, certFile: certificates.clientCertFile)
        )
        let error = #expect(throws: MQTTError.self) { try test.client.start() }
        #expect(error?.code == .invalid)
        #expect(error?.detail == "a client certificate needs both certFile and keyFile")
        test.client.stop()
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else {
            return false
        }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}

extension TestCertificates {
    /// The client side of mutual TLS: trust the test CA, present the client certificate.
    var clientTLS: MQTTClient.TLS {
        .init(caFile: caFile, certFile: clientCertFile, keyFile: clientKeyFile)
    }
}
