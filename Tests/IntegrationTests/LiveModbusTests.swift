import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import SortgateTestSupport
import Testing

/// The live gateway polling the Modbus simulator: readings land in the database, and the
/// recording replays to the same readings.
@Suite("Live Modbus polling")
struct LiveModbusTests {
    @Test("Cold-room sensors polled live give exact readings, and the recorded polls replay to the same rows")
    func liveReadingsEqualReplay() async throws {
        let script = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tools/ModbusSimulator/demo-coldrooms.yaml"),
            encoding: .utf8
        )
        let simulator = try await ModbusSimulatorProcess(script: script)
        let folder = try TemporaryFolder()
        let yaml = """
            site: live-modbus-test
            database: {sqlite: \(folder.path("live.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            zones:
              cold-room-a: {type: cold-room}
              freezer-b: {type: cold-room}
            devices:
              - {id: coldroom-a-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 1}, poll: 200ms, timeout: 200ms, zone: cold-room-a}
              - {id: freezer-b-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: \(simulator.port), unit: 2}, poll: 200ms, timeout: 200ms, zone: freezer-b}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        let recording = folder.path("polls.jsonl")
        let gateway = try LiveGateway(config: config, record: recording)
        #expect(await eventually(timeout: .seconds(20)) { gateway.pipeline.status.totals.sensorReadings >= 10 })
        try await gateway.stop()

        let live = try gateway.store.readings()
        #expect(live.count >= 10)
        #expect(Set(live.filter { $0.sensor == "coldroom-a-t1" }.map(\.celsius)) == [4.0])
        #expect(Set(live.filter { $0.sensor == "freezer-b-t1" }.map(\.celsius)) == [-20.0])
        #expect(Set(live.map(\.zone)) == ["cold-room-a", "freezer-b"])

        var replayConfig = config
        replayConfig.database = .sqlite(path: folder.path("replayed.sqlite"))
        let replayed = try SQLiteStore.forSite(config, path: folder.path("replayed.sqlite"))
        _ = try await replay([recording], config: replayConfig, store: replayed)
        #expect(try replayed.readings() == live)
    }
}
