import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import SortgateTestSupport
import Testing

/// `sortgate run` with a real mosquitto: a manifest imported while it runs takes effect within
/// seconds, without a restart.
@Suite("Transport in a running gateway")
struct TransportLiveTests {
    @Test("manifest import while sortgate run is running: journeys get their shipments within a few seconds")
    func manifestWhileRunning() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let configPath = try TransportReplayTests.siteConfig(in: folder)
        // The readers only: the Modbus transmitters have no simulator here.
        let site = try String(contentsOfFile: configPath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("modbus:") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "port: 18830", with: "port: \(broker.port)")
        try site.write(toFile: configPath, atomically: true, encoding: .utf8)

        let process = try Process.startLogging(
            URL(fileURLWithPath: TransportReplayTests.executable),
            ["run", "--config", configPath],
            output: folder.url.appendingPathComponent("stdout.log"),
            error: folder.url.appendingPathComponent("stderr.log")
        )
        defer { if process.isRunning { process.interrupt() } }
        let log = { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }
        #expect(
            await eventually(timeout: .seconds(20)) { log().contains("MQTT subscribed to 'readers/outbound/events'") }
        )

        // The first 600 messages: C1…C3 are received and sorted, no manifest yet.
        let capture = TransportReplayTests.captures.appendingPathComponent("transport.jsonl").path
        _ = try await publishCapture(capture, port: broker.port, range: 0..<600)
        let rows = { () -> [TransportRecord] in
            (try? SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite")).transport()) ?? []
        }
        #expect(await eventually(timeout: .seconds(20)) { rows().filter { $0.sortedAt != nil }.count >= 3 })
        #expect(rows().allSatisfy { $0.shipment == nil && $0.anomalies.isEmpty })

        let manifest = TransportReplayTests.captures.appendingPathComponent("transport.manifest.csv").path
        let (status, _, errors) = try TransportReplayTests.sortgate(
            ["manifest", "import", manifest, "--config", configPath],
            in: folder
        )
        #expect(status == 0, "\(errors)")
        let imported = ContinuousClock.now
        // C1's manifest row names it by URI (filter 0): only the running gateway, once it reloaded
        // the manifest, writes C1's journey under its tag's EPC with its shipment, and drops the
        // import's `expected` row.
        let c1 = "3154F4E4E400000001000000"
        #expect(
            await eventually(timeout: .seconds(5)) {
                rows().contains { $0.container == c1 && $0.shipment == "SH-1001" }
            }
        )
        #expect(rows().filter { $0.uri == "urn:epc:id:sscc:4012345.0000000001" }.map(\.container) == [c1])
        let tookEffect = ContinuousClock.now - imported
        print("manifest import took effect in the running gateway after \(tookEffect)")
        #expect(tookEffect < .seconds(5))

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
