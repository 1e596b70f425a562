import Foundation
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateHTTP
import SortgateStore
import SortgateTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `/api/stream` of a live gateway (the `Gateway` type `sortgate run` runs) fed by a real mosquitto.
@Suite("Live stream (SSE) of a running gateway")
struct LiveStreamTests {
    /// The demo readers with the HTTP API on a free port, without a token.
    static func start(
        broker: MosquittoBroker,
        folder: TemporaryFolder,
        clientBuffer: Int = 256
    ) async throws -> (LiveGateway, HTTPTestClient) {
        var config = try demoConfig(port: broker.port, folder: folder)
        config.http = HTTPConfig(port: freeLoopbackPort())
        let gateway = try LiveGateway(config: config, liveStreamClientBuffer: clientBuffer)
        try await gateway.waitUntilSubscribed()
        let client = HTTPTestClient(port: config.http!.port, token: nil)
        try await client.waitUntilListening()
        return (gateway, client)
    }

    @Test("An arrival reaches a stream client once committed, as SQLite holds it")
    func deliversCommittedFact() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let (gateway, client) = try await Self.start(broker: broker, folder: folder)
        let feed = try #require(gateway.gateway.http?.feed)
        let epc = "3074257BF7194E4000000007"
        async let events = client.events("/api/stream") { events in
            events.contains { $0.event == "fact" && $0.data.contains(epc) }
        }
        #expect(await eventually(timeout: .seconds(10)) { feed.clientCount == 1 })
        try await publish(oneReadPerTag(7..<8), port: broker.port)

        let received = try await events
        let fact = try #require(received.first { $0.event == "fact" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(fact.data.utf8)) as? [String: Any])
        let stored = try #require(try gateway.store.movements(epc: epc).first)
        #expect(object["kind"] as? String == "arrival")
        #expect(object["epc"] as? String == epc)
        #expect(object["zone"] as? String == stored.toZone)
        #expect(object["from_zone"] is NSNull)
        #expect(object["time"] as? String == stored.at)
        try await gateway.stop()
    }

    @Test("A client that stops reading is disconnected and counted; ingestion goes on to the last message")
    func slowClientDoesNotStall() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let (gateway, client) = try await Self.start(broker: broker, folder: folder, clientBuffer: 2)
        let feed = try #require(gateway.gateway.http?.feed)
        // A client with a tiny receive window that sends its request and never reads a byte.
        let socket = try StalledClient(port: client.port, request: "GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        defer { socket.close() }
        #expect(await eventually(timeout: .seconds(10)) { feed.clientCount == 1 })

        let total = 20_000
        try await publish(oneReadPerTag(0..<total), port: broker.port)
        #expect(await gateway.waitForMessages(UInt64(total), timeout: .seconds(120)))
        #expect(await eventually(timeout: .seconds(30)) { feed.droppedClients == 1 })
        #expect(feed.clientCount == 0)
        // Every tag was committed while the client hung.
        #expect(await eventually(timeout: .seconds(10)) { (try? gateway.store.inventory().count) == total })
        // A new client is served as usual.
        async let next = client.events("/api/stream") { events in events.contains { $0.event == "fact" } }
        #expect(await eventually(timeout: .seconds(10)) { feed.clientCount == 1 })
        try await publish(oneReadPerTag(total..<total + 1), port: broker.port)
        #expect(try await next.contains { $0.event == "fact" && $0.data.contains("3074257BF7194E40\(String(format: "%08X", total))") })
        try await gateway.stop()
    }
}

/// A TCP client of 127.0.0.1 with a receive buffer of 1 KiB that sends one request and never reads.
final class StalledClient: Sendable {
    let descriptor: Int32

    init(port: Int, request: String) throws {
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 1024
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestSupportError("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        let bytes = Array(request.utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else {
            throw TestSupportError("sending the request failed: errno \(errno)")
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}
