import Foundation
import SortgateConfig
import SortgateCore
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Testing

/// What the commands write for collectors (`--log-format`) and for pipes (no progress line), run
/// as the built `sortgate` executable.
@Suite("Command output for collectors and pipes")
struct CommandOutputTests {
    let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    @Test("a replay reports its progress in bytes of the capture files, read by read, up to their size")
    func replayerProgress() async throws {
        let folder = try TemporaryFolder()
        let config = try loadConfig("Config/demo.yaml", databaseIn: folder)
        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        let session = IngestSession(topology: SiteTopology(config: config), sink: store)
        var reports: [ReplayProgress] = []
        // The same capture twice: the second file's bytes count after the first's.
        let summary = try await Replayer(speed: .max, progressInterval: .zero)
            .run(files: [capture, capture], into: session) { reports.append($0) }
        let size = Int64(try #require(FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int))
        #expect(size == 2_856_618)
        #expect(reports.allSatisfy { $0.bytesTotal == 2 * size })
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.bytesDone < $1.bytesDone && $0.reads <= $1.reads })
        #expect(reports.contains { $0.bytesDone == size })
        // The last report comes before the last line is processed: it has the reads up to then.
        let last = try #require(reports.last)
        #expect(last.bytesDone == 2 * size)
        #expect(last.reads > 0 && last.reads <= summary.totals.tagEvents)
        // Every capture line but the blank ones is reported once.
        #expect(
            reports.count == 2 * (try String(contentsOfFile: capture, encoding: .utf8)).split(separator: "\n").count
        )
    }

    @Test("a replay into a pipe prints exactly the summary: no progress line, nothing on standard error")
    func replayIntoPipeHasNoProgress() throws {
        let folder = try TemporaryFolder()
        try RunCommandTests.writeSiteConfig(port: 1, folder: folder)
        let result = try CommandRunner.run(
            RunCommandTests.executable,
            ["replay", capture, "--config", folder.path("site.yaml")],
            timeout: .seconds(120)
        )
        #expect(result.status == 0)
        #expect(result.standardError == "")
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7)  // six summary lines and the final newline
        #expect(lines.first?.hasPrefix("replayed 1 capture(s): 6741 messages, 8113 tag reads") == true)
        #expect(lines[3] == "arrivals 313, moves 843, departures 286")
        #expect(!result.standardOutput.contains("\r") && !result.standardOutput.contains("\u{1B}"))
    }

    @Test("--log-format json and logfmt write every log record of a live command as one parseable line")
    func liveLogFormats() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        try RunCommandTests.writeSiteConfig(port: broker.port, folder: folder)
        for format in ["json", "logfmt"] {
            let result = try CommandRunner.run(
                RunCommandTests.executable,
                [
                    "record", "--config", folder.path("site.yaml"), "--out", folder.path("rec-\(format).jsonl"),
                    "--duration", "2", "--log-format", format,
                ],
                timeout: .seconds(60)
            )
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardError.split(separator: "\n").map(String.init)
            // At least: recording, the broker connected, one subscription per reader.
            #expect(lines.count >= 7, "\(result.standardError)")
            var messages: [String] = []
            for line in lines {
                if format == "json" {
                    let object = try #require(parseJSONObject(line), "not one JSON object: \(line)")
                    #expect(object["label"] is String && object["level"] is String)
                    let ts = try #require(object["ts"] as? String)
                    #expect((try? EventTime(rfc3339: ts)) != nil, "\(ts)")
                    messages.append(try #require(object["msg"] as? String))
                } else {
                    let pairs = try #require(parseLogfmt(line), "not logfmt: \(line)")
                    #expect(pairs.prefix(4).map(\.key) == ["ts", "level", "label", "msg"])
                    messages.append(pairs[3].value)
                }
            }
            #expect(messages.contains("recording"))
            #expect(messages.contains("MQTT subscribed to 'readers/dock-out/events'"))
        }
    }
}
