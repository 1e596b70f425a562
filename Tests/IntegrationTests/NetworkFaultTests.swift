import Foundation
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Testing

/// Real faults on the wire, between the gateway and a real mosquitto or Modbus server, through
/// `FaultProxy`: connections cut, stalled and truncated mid-packet, bytes garbled.
@Suite("Network faults")
struct NetworkFaultTests {
    @Test("MQTT cut, truncated mid-packet and stalled under a QoS 1 stream: prompt reconnects, every message counted once")
    func mqttFaults() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let proxy = try FaultProxy(upstreamPort: broker.port)
        defer { proxy.stop() }
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: proxy.port, folder: folder)
        let total = 6000
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()
        async let published: Void = publish(oneReadPerTag(0..<total), port: broker.port)

        // A cut: the gateway is back within a second (the first retry comes after 100 ms).
        #expect(await gateway.waitForMessages(1000))
        proxy.cut()
        let cutAt = ContinuousClock.now
        #expect(await eventually(timeout: .seconds(5)) { gateway.sources[0].reconnects >= 1 && gateway.isConnected })
        #expect(ContinuousClock.now - cutAt < .seconds(1))

        // A connection cut in the middle of a packet from the broker.
        #expect(await gateway.waitForMessages(2500))
        proxy.truncateNext(after: 100)
        #expect(await eventually(timeout: .seconds(5)) { gateway.sources[0].reconnects >= 2 && gateway.isConnected })

        // A stall shorter than the keepalive: the stream resumes on the same connection.
        #expect(await gateway.waitForMessages(4000))
        proxy.stall()
        try await Task.sleep(for: .milliseconds(1500))
        proxy.resume()

        try await published
        let counted = await eventually(timeout: .seconds(60)) {
            (try? gateway.store.inventory().count) == total
        }
        #expect(counted)
        try await gateway.stop()
        let inventory = try gateway.store.inventory()
        #expect(inventory.count == total)
        #expect(inventory.filter { $0.reads != 1 }.map(\.epc) == [])
        #expect(gateway.sources[0].reconnects == 2)
        #expect(proxy.accepted == 3)
    }

    @Test("Modbus: a garbled answer, a cut and a stall on one connection are counted and recovered; the other line is untouched")
    func modbusFaults() async throws {
        let script = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tools/ModbusSimulator/demo-coldrooms.yaml"),
            encoding: .utf8
        )
        let simulator = try await ModbusSimulatorProcess(script: script)
        let proxy = try FaultProxy(upstreamPort: simulator.port)
        defer { proxy.stop() }
        let folder = try TemporaryFolder()
        let yaml = """
            site: modbus-faults
            database: {sqlite: \(folder.path("faults.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            zones:
              cold-room-a: {type: cold-room}
              freezer-b: {type: cold-room}
            devices:
              - {id: behind-proxy, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(proxy.port), unit: 1}, poll: 200ms, timeout: 150ms, zone: cold-room-a}
              - {id: direct, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 2}, poll: 200ms, timeout: 150ms, zone: freezer-b}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        let gateway = try LiveGateway(config: config)
        let poller = try #require(gateway.gateway.sources.modbus)
        func polls(_ device: String) -> Int { poller.statistics(device: device)?.polls ?? 0 }
        func failures(_ device: String) -> [ModbusErrorKindCount] {
            (poller.statistics(device: device)?.failures ?? [:]).map { ModbusErrorKindCount(kind: "\($0.key)", count: $0.value) }
        }
        #expect(await eventually(timeout: .seconds(10)) { polls("behind-proxy") >= 5 })

        proxy.garbleNext(bytes: 4)
        #expect(await eventually(timeout: .seconds(10)) { poller.statistics(device: "behind-proxy")!.failedPolls >= 1 })
        proxy.cut()
        proxy.stall()
        try await Task.sleep(for: .milliseconds(800))
        proxy.resume()
        let before = polls("behind-proxy")
        let recovered = await eventually(timeout: .seconds(20)) {
            polls("behind-proxy") >= before + 5 && poller.statistics(device: "behind-proxy")!.consecutiveFailures == 0
        }
        #expect(recovered)
        try await gateway.stop()

        let behind = try #require(poller.statistics(device: "behind-proxy"))
        let direct = try #require(poller.statistics(device: "direct"))
        #expect(behind.failedPolls >= 2)
        // The garbled answer is a bad response, the stalled line a timeout (the cut, depending on
        // timing, a connection failure or part of that timeout).
        #expect(Set(failures("behind-proxy").map(\.kind)).isSuperset(of: ["bad-response", "timeout"]))
        #expect(direct.failedPolls == 0)
        #expect(direct.polls >= 15)
        // Only good polls became readings, each the simulator's value.
        let readings = try gateway.store.readings()
        #expect(Set(readings.filter { $0.sensor == "behind-proxy" }.map(\.celsius)) == [4.0])
        #expect(Set(readings.filter { $0.sensor == "direct" }.map(\.celsius)) == [-20.0])
        #expect(readings.filter { $0.sensor == "behind-proxy" }.count == behind.polls - behind.failedPolls)
    }
}

/// A failure kind and how often, for readable expectations.
struct ModbusErrorKindCount: Hashable, CustomStringConvertible {
    var kind: String
    var count: Int
    var description: String { "\(kind) × \(count)" }
}
