import Foundation
import Logging
import SortgateCore
import SortgateMQTT
import SortgateStore
import SortgateTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sortgate run` killed with SIGKILL at random moments under a QoS 1 load, restarted each time:
/// the ring file and the position committed with the facts must make every message count once.
///
/// `SORTGATE_KILLS` sets the number of kills (default 20; `make soak` runs 200);
/// `SORTGATE_EXECUTABLE` runs another build of `sortgate` than the debug one next to the tests.
@Suite("sortgate run killed under load", .serialized)
struct CrashRecoveryTests {
    /// Messages per second over all publishers, as the issue measured (2 000 msg/s).
    static let rate = 2000
    static let publishers = 4
    /// Every `hotEvery`-th message reads one of a few hot tags per publisher, whose rows only
    /// ever change by more reads: their counts wait for `dedup.last_seen_flush`.
    static let hotEvery = 4
    static let hotTags = 8

    /// Published and acknowledged by the broker so far, per kind.
    final class Published: Sendable {
        let unique = Atomic<Int>(0)
        let hot = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    static func epc(publisher: Int, message: Int) -> String {
        if message % hotEvery == hotEvery - 1 {
            return "3074257BF7194E40FF" + String(format: "%02X%04X", publisher, message / hotEvery % hotTags)
        }
        return "3074257BF7194E40" + String(format: "%02X%06X", publisher, message)
    }

    /// One Zebra event per message, its own event number: the induction reader of the demo site.
    static func payload(epc: String, eventNum: Int) -> [UInt8] {
        Array(
            (#"{"data":{"antenna":1,"eventNum":\#(eventNum),"format":"epc","idHex":"\#(epc)","peakRssi":-50,"reads":1},"#
                + #""timestamp":"2026-11-28T09:00:00.000+0100","type":"SIMPLE"}"#).utf8
        )
    }

    /// Publishes at `rate / publishers` msg/s, awaiting each acknowledgement, until told to stop.
    static func publish(_ part: Int, port: Int, published: Published) async throws {
        var logger = Logger(label: "crash-publisher")
        logger.logLevel = .warning
        let client = MQTTClient(
            configuration: .init(host: "127.0.0.1", port: port, clientID: "crash-\(part)", cleanSession: false),
            logger: logger
        ) { _ in }
        try client.start()
        defer { client.stop() }
        let interval = Duration.seconds(1) / (rate / publishers)
        let start = ContinuousClock.now
        var message = 0
        while !published.stop.load(ordering: .relaxed) {
            let epc = epc(publisher: part, message: message)
            // Event numbers far apart per publisher: each is its own stretch of the reader's counter.
            try await client.publish(
                topic: "readers/induction/events",
                payload: payload(epc: epc, eventNum: part * 10_000_000 + message),
                qos: 1
            )
            if message % hotEvery == hotEvery - 1 {
                published.hot.add(1, ordering: .relaxed)
            } else {
                published.unique.add(1, ordering: .relaxed)
            }
            message += 1
            let due = start + interval * message
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
        }
    }

    /// A started `sortgate run`, its log file, and when it was spawned.
    struct Run {
        let process: Process
        let log: String
        let spawned: ContinuousClock.Instant

        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// The ring line says the recovery (if any) is committed and the sources may start.
        var recovered: Bool {
            let text = text
            return text.contains("ring recovered:") || text.contains("ring ready:")
        }
    }

    static func start(_ folder: TemporaryFolder, number: Int) throws -> Run {
        let process = Process()
        // SORTGATE_EXECUTABLE: another build of sortgate (e.g. the release one, for its restart times).
        let executable = ProcessInfo.processInfo.environment["SORTGATE_EXECUTABLE"] ?? RunCommandTests.executable
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--config", folder.path("site.yaml")]
        let log = folder.path("run-\(number).log")
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        let spawned = ContinuousClock.now
        try process.runWithDefaultSignalMask()
        return Run(process: process, log: log, spawned: spawned)
    }

    static func kill(_ run: Run) {
        Glibc.kill(run.process.processIdentifier, SIGKILL)
        run.process.waitUntilExit()
    }

    @Test("kill -9 at random moments: every message counted exactly once, read totals exact, file sound")
    func killLoop() async throws {
        let kills = Int(ProcessInfo.processInfo.environment["SORTGATE_KILLS"] ?? "") ?? 20
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        try RunCommandTests.writeSiteConfig(port: broker.port, folder: folder)
        var generator = SystemRandomNumberGenerator()

        var run = try Self.start(folder, number: 0)
        #expect(await eventually(timeout: .seconds(30)) { run.text.contains("MQTT subscribed to") })
        let published = Published()
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<Self.publishers {
                    group.addTask { try await Self.publish(part, port: broker.port, published: published) }
                }
                try await group.waitForAll()
            }
        }
        // Whatever happens below, no gateway outlives the test.
        defer { if run.process.isRunning { Self.kill(run) } }
        var restarts: [Duration] = []
        var logs: [String] = []
        for kill in 1...kills {
            // Most kills while the gateway runs under load; every fourth during its start
            // (restoring, re-processing the ring, or committing the recovery).
            if kill % 4 == 0 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...150, using: &generator)))
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...1200, using: &generator)))
            }
            Self.kill(run)
            logs.append(run.text)
            run = try Self.start(folder, number: kill)
            if kill % 4 != 3 {
                // Not killed during its start next time: its time to the first commit is measured.
                let ready = await eventually(timeout: .seconds(20), interval: .milliseconds(5)) { run.recovered }
                #expect(ready, "restart \(kill) did not recover: \(run.text)")
                restarts.append(ContinuousClock.now - run.spawned)
            }
        }
        published.stop.store(true, ordering: .relaxed)
        try await load.value
        let unique = published.unique.load(ordering: .relaxed)
        let hot = published.hot.load(ordering: .relaxed)

        // The last run takes in the broker's backlog and stops cleanly.
        let database = folder.path("live.sqlite")
        func counts() throws -> (rows: Int, once: Int, hotReads: Int, totalReads: Int) {
            let rows = try SQLiteStore.openReadOnly(path: database).inventory()
            let hotRows = rows.filter { $0.epc.hasPrefix("3074257BF7194E40FF") }
            return (
                rows.count - hotRows.count,
                rows.filter { !$0.epc.hasPrefix("3074257BF7194E40FF") && $0.reads == 1 }.count,
                hotRows.reduce(0) { $0 + Int($1.reads) },
                rows.reduce(0) { $0 + Int($1.reads) }
            )
        }
        #expect(await eventually(timeout: .seconds(120), interval: .milliseconds(500)) { run.recovered })
        _ = await eventually(timeout: .seconds(120), interval: .milliseconds(500)) {
            (try? counts()).map { $0.rows >= unique && $0.hotReads >= hot } ?? false
        }
        run.process.terminate()
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 0)

        logs.append(run.text)
        let final = try counts()
        // What the restarts found in the ring: "ring recovered: N messages re-processed …".
        let recovered = logs.joined().components(separatedBy: "ring recovered: ").dropFirst()
            .compactMap { Int($0.prefix { $0.isNumber }) }
        let torn = logs.joined().components(separatedBy: "torn=").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        let sorted = restarts.sorted()
        let milliseconds = { (duration: Duration) in
            Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        print(
            "crash recovery: \(kills) kills, \(unique + hot) messages published (\(unique) unique tags, \(hot) hot reads), "
                + "lost \(unique - final.rows) unique, doubled \(final.rows - final.once), "
                + "hot reads \(final.hotReads)/\(hot); \(recovered.reduce(0, +)) messages re-processed from the ring in "
                + "\(recovered.count) recoveries, \(torn.reduce(0, +)) torn; restart → first commit p50 \(milliseconds(sorted[sorted.count / 2])) ms, "
                + "max \(milliseconds(sorted.last!)) ms over \(sorted.count) restarts"
        )
        if final.rows != unique || final.once != unique || final.hotReads != hot {
            // Kept for a post-mortem: the database, the ring file and every run's log.
            let kept = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-crash-\(UUID().uuidString)")
            try? FileManager.default.copyItem(at: folder.url, to: kept)
            print("crash recovery: the runs' folder is kept in \(kept.path)")
        }
        #expect(final.rows == unique)
        #expect(final.once == unique)
        #expect(final.hotReads == hot)
        #expect(final.totalReads == unique + hot)
        #expect(try SQLiteStore.openReadOnly(path: database).integrityCheck() == ["ok"])
        // From spawn to the recovery committed: process start, config, restoring the inventory
        // (which grows with every unique tag of the run, so the soak's later restarts take longer),
        // re-processing the ring, the commit. The target (< 1 s) is the release build's on a quiet
        // machine (README, "Reliability"); this is a debug build on a shared 2-core machine, where
        // a timed bound only catches a restart that hangs (DESIGN: performance is benchmarked, not
        // timed in tests).
        #expect(sorted[sorted.count / 2] < .seconds(5))
        #expect(sorted.last! < .seconds(kills > 50 ? 30 : 10))
    }
}
