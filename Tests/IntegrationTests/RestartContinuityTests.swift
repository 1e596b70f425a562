import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// A gateway restarted in the middle of a shift continues from the database: the result is the
/// same as if it had never stopped.
@Suite("Restart continuity")
struct RestartContinuityTests {
    @Test("Half a shift, restart with the state restored from SQLite, the other half: same as one run")
    func restartMidShift() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let lines = try String(contentsOfFile: capture, encoding: .utf8).split(
            separator: "\n",
            omittingEmptySubsequences: true
        )
        #expect(lines.count == 6741)
        let firstHalf = folder.path("first.jsonl")
        let secondHalf = folder.path("second.jsonl")
        try (lines[..<3000].joined(separator: "\n") + "\n").write(toFile: firstHalf, atomically: true, encoding: .utf8)
        try (lines[3000...].joined(separator: "\n") + "\n").write(toFile: secondHalf, atomically: true, encoding: .utf8)

        let path = folder.path("sortgate.sqlite")
        let zones = config.zones.map(\.name)
        let first = try SQLiteStore(path: path, zoneNames: zones)
        _ = try await replay([firstHalf], config: config, store: first)

        let second = try SQLiteStore(path: path, zoneNames: zones)
        let saved = try second.inventoryEntries(zoneNames: zones)
        #expect(saved.skipped == 0)
        #expect(saved.entries.count == (try second.inventory().count))
        let session = IngestSession(topology: SiteTopology(config: config), sink: second)
        session.restore(saved.entries)
        _ = try await Replayer(speed: .max).run(files: [secondHalf], into: session)

        try ExpectedOutcome.demo().check(second, messages: nil)
    }
}
