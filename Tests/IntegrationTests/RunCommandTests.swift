import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import SortgateTestSupport
import Testing

/// The `sortgate run` executable as an operator starts it, stopped as an init system stops it.
@Suite("sortgate run process")
struct RunCommandTests {
    /// The executables are built next to the test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("sortgate").path

    @Test("sortgate record writes every message received, byte for byte, and stops after --duration")
    func recordCommand() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        try Self.writeSiteConfig(port: broker.port, folder: folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "record", "--config", folder.path("site.yaml"), "--out", folder.path("rec.jsonl"), "--duration", "4",
        ]
        FileManager.default.createFile(atPath: folder.path("stderr.log"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stderr.log"))
        let output = Pipe()
        process.standardOutput = output
        try process.runWithDefaultSignalMask()
        let log = { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }
        #expect(
            await eventually(timeout: .seconds(20)) { log().contains("MQTT subscribed to 'readers/dock-out/events'") }
        )

        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let published = try await publishCapture(capture, port: broker.port, range: 0..<200)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed == "recorded \(published) messages to \(folder.path("rec.jsonl"))\n")

        var sent: [CaptureRecord] = []
        try await CaptureReader(path: capture).forEachLine { line in
            if case .success(let record) = line, sent.count < published { sent.append(record) }
        }
        var recorded: [CaptureRecord] = []
        try await CaptureReader(path: folder.path("rec.jsonl")).forEachLine { line in
            if case .success(let record) = line { recorded.append(record) }
        }
        #expect(recorded.map(\.source) == sent.map(\.source))
        #expect(recorded.map(\.topic) == sent.map(\.topic))
        #expect(recorded.map(\.payload) == sent.map(\.payload))
    }

    /// The demo config with its broker on `port`, its database, and absolute profile paths.
    static func writeSiteConfig(port: Int, folder: TemporaryFolder) throws {
        let demo = try String(contentsOf: repositoryRoot.appendingPathComponent("Config/demo.yaml"), encoding: .utf8)
        let site =
            demo
            .replacingOccurrences(of: "port: 18830", with: "port: \(port)")
            .replacingOccurrences(
                of: "sqlite: ../demo-data/sortgate.sqlite",
                with: "sqlite: \(folder.path("live.sqlite"))"
            )
            .replacingOccurrences(
                of: "profiles_path: [../Devices]",
                with: "profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]"
            )
        #expect(site.contains("port: \(port)") && site.contains(folder.path("live.sqlite")))
        // Only the RFID readers: the demo's Modbus cold-room sensors have no simulator here.
        // Nor the demo's HTTP API on its fixed port (the HTTP tests add one on a free port).
        let readersOnly = site.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("modbus: {host") && !$0.hasPrefix("http:") }.joined(separator: "\n")
        #expect(readersOnly.components(separatedBy: "modbus:").count == 1)
        try readersOnly.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
    }

    @Test("SIGTERM stops the sources, drains the ring, flushes the database and exits 0")
    func sigtermDrainsAndExitsZero() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        try Self.writeSiteConfig(port: broker.port, folder: folder)

        let process = try Process.startLogging(
            URL(fileURLWithPath: Self.executable),
            ["run", "--config", folder.path("site.yaml"), "--record", folder.path("rec.jsonl")],
            output: folder.url.appendingPathComponent("stdout.log"),
            error: folder.url.appendingPathComponent("stderr.log")
        )
        defer { if process.isRunning { process.interrupt() } }
        let log = { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }
        #expect(
            await eventually(timeout: .seconds(20)) { log().contains("MQTT subscribed to 'readers/dock-out/events'") }
        )

        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let published = try await publishCapture(capture, port: broker.port, range: 0..<1500)
        let lines = {
            (try? String(contentsOfFile: folder.path("rec.jsonl"), encoding: .utf8))?.split(separator: "\n").count ?? 0
        }
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
