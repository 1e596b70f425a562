import Foundation
import SortgateCore
import SortgateDevices
import SortgateStore
import SortgateTestSupport
import Testing

/// The `sortgate run` executable as an operator starts it, stopped as an init system stops it.
@Suite("sortgate run process")
struct RunCommandTests {
    /// The executables are built next to the test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("sortgate").path

    @Test("SIGTERM stops the sources, drains the queue, flushes the database and exits 0")
    func sigtermDrainsAndExitsZero() async throws {
        let broker = try await MosquittoBroker()
        let folder = try TemporaryFolder()
        let demo = try String(contentsOf: repositoryRoot.appendingPathComponent("Config/demo.yaml"), encoding: .utf8)
        let site = demo
            .replacingOccurrences(of: "port: 18830", with: "port: \(broker.port)")
            .replacingOccurrences(of: "sqlite: ../demo-data/sortgate.sqlite", with: "sqlite: \(folder.path("live.sqlite"))")
            .replacingOccurrences(
                of: "profiles_path: [../Devices]",
                with: "profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]"
            )
        #expect(site != demo)
        try site.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["run", "--config", folder.path("site.yaml"), "--record", folder.path("rec.jsonl")]
        FileManager.default.createFile(atPath: folder.path("stderr.log"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stderr.log"))
        process.standardOutput = FileHandle.nullDevice
        try process.runWithDefaultSignalMask()
        defer { if process.isRunning { process.interrupt() } }
        let log = { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }
        #expect(await eventually(timeout: .seconds(20)) { log().contains("MQTT subscribed to 'readers/dock-out/events'") })

        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let published = try await publishCapture(capture, port: broker.port, range: 0..<1500)
        let lines = { (try? String(contentsOfFile: folder.path("rec.jsonl"), encoding: .utf8))?.split(separator: "\n").count ?? 0 }
        #expect(await eventually(timeout: .seconds(30)) { lines() >= published })

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(log().contains("sortgate stopped: messages \(published) "))

        // What was flushed on the way out is exactly what replaying the recording gives.
        let live = try SQLiteStore.openReadOnly(path: folder.path("live.sqlite"))
        var config = try SiteConfig.load(path: folder.path("site.yaml"))
        config.database = .sqlite(path: folder.path("replayed.sqlite"))
        let replayed = try SQLiteStore(path: folder.path("replayed.sqlite"), zoneNames: config.zones.map(\.name))
        _ = try await replay([folder.path("rec.jsonl")], config: config, store: replayed)
        #expect(try DatabaseContents(live) == DatabaseContents(replayed))
        // The first 1500 messages of the demo shift hold 95 EPCs and 98 + 224 + 51 movements.
        #expect(try live.inventory().count == 95)
        #expect(try live.movements().count == 373)
    }
}
