import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// A replayed capture with a known timeline gives exactly the expected cold-chain alerts.
@Suite("Cold-chain alerts in a replay")
struct ColdChainReplayTests {
    static let configYAML = """
        site: cold-chain-test
        database: {sqlite: sortgate.sqlite}
        profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
        zones:
          cold-room-a: {type: cold-room, class: chilled}
          freezer-b: {type: cold-room, class: frozen}
          dock-out-1: {type: dock-out}
        devices:
          - {id: coldroom-a-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: 1502, unit: 1}, zone: cold-room-a}
          - {id: freezer-b-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: 1502, unit: 2}, zone: freezer-b}
          - {id: dock-t1, profile: xy-md02, modbus: {host: 127.0.0.1, port: 1502, unit: 3}, zone: dock-out-1}
          - {id: cold-reader, profile: generic-modbus-rfid-reader, modbus: {host: 127.0.0.1, port: 1503, unit: 1}, zone: cold-room-a}
          - {id: dock-reader, profile: generic-modbus-rfid-reader, modbus: {host: 127.0.0.1, port: 1503, unit: 2}, zone: dock-out-1}
        dedup: {absent_after: 5m}
        cold_chain:
          classes:
            chilled: {min: 2, max: 8, alarm_delay: 10m, clear_hysteresis: 0.5, offline_after: 10m}
            frozen: {max: -18, alarm_delay: 15m, clear_hysteresis: 1, offline_after: 10m, mkt_window: 30d}
        """

    static let start = try! EventTime(rfc3339: "2026-11-28T08:00:00Z")

    static func time(minutes: Double) -> EventTime { start + .milliseconds(Int64(minutes * 60_000)) }

    /// An XY-MD02 poll: input register 1 = °C × 10 (int16), register 2 = humidity.
    static func temperature(_ sensor: String, minutes: Double, _ celsius: Double) -> (EventTime, String) {
        let raw = Int(UInt16(bitPattern: Int16((celsius * 10).rounded())))
        let line =
            #"{"t":"\#(time(minutes: minutes).rfc3339)","source":"\#(sensor)","modbus":{"table":"input","address":1,"registers":[\#(raw),500]}}"#
        return (time(minutes: minutes), line)
    }

    /// A last-tag block poll of a Modbus RFID reader showing `epc` with read counter `count`.
    static func tag(_ reader: String, minutes: Double, _ epc: EPC, count: Int) -> (EventTime, String) {
        let words = stride(from: 0, to: 96, by: 16).map { Int(epc.bits(at: $0, count: 16)) }
        let registers = [count >> 16, count & 0xFFFF, 1] + words
        let line =
            #"{"t":"\#(time(minutes: minutes).rfc3339)","source":"\#(reader)","modbus":{"table":"holding","address":0,"registers":\#(registers)}}"#
        return (time(minutes: minutes), line)
    }

    /// The timeline capture in `folder`: coldroom-a-t1 with a door opening and a 40-minute
    /// excursion, freezer-b-t1 silent after 20 minutes, a warm dock, and a pallet five minutes in
    /// the cold room and then twenty on the dock.
    static func timelineCapture(in folder: TemporaryFolder) throws -> (path: String, pallet: EPC) {
        let pallet = try EPCIdentity(sscc18: "106141412345678908", companyPrefixLength: 7, filter: 2).epc

        var lines: [(EventTime, String)] = []
        for minute in 0...90 {
            let celsius: Double
            switch minute {
            case 12...14: celsius = 9  // door open three minutes: shorter than the 10-minute delay
            case 50: celsius = 11  // the peak of the excursion
            case 30...69: celsius = 9.5
            case 70: celsius = 7.8  // inside the range, but not by the 0.5 °C hysteresis
            case 71: celsius = 7.0  // back inside by the hysteresis: clears here
            default: celsius = 4
            }
            lines.append(Self.temperature("coldroom-a-t1", minutes: Double(minute), celsius))
        }
        for minute in 0...20 { lines.append(Self.temperature("freezer-b-t1", minutes: Double(minute), -20)) }
        for minute in 0...30 { lines.append(Self.temperature("dock-t1", minutes: Double(minute) + 0.5, 15)) }
        // The pallet sits in the cold room for 5 minutes, then waits on the warm dock.
        for minute in 0...5 {
            lines.append(Self.tag("cold-reader", minutes: Double(minute), pallet, count: minute + 1))
        }
        for minute in 6...25 {
            lines.append(Self.tag("dock-reader", minutes: Double(minute), pallet, count: minute + 1))
        }
        lines.sort { $0.0 < $1.0 }
        let capture = folder.path("timeline.jsonl")
        try (lines.map(\.1).joined(separator: "\n") + "\n").write(toFile: capture, atomically: true, encoding: .utf8)
        return (capture, pallet)
    }

    @Test(
        "Spike < delay: none; 40-min excursion: one, right times and peak; silent sensor: offline; moved pallet: its own"
    )
    func timeline() async throws {
        let folder = try TemporaryFolder()
        try Self.configYAML.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        let (capture, pallet) = try Self.timelineCapture(in: folder)

        var replayConfig = config
        replayConfig.database = .sqlite(path: folder.path("sortgate.sqlite"))
        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        let session = IngestSession(topology: SiteTopology(config: replayConfig), sink: store)
        let logged = LockedLines()
        session.onCommittedAlerts = { [weak session] alerts in
            for alert in alerts { if let session { logged.append(session.describe(alert)) } }
        }
        let summary = try await Replayer(speed: .max).run(files: [capture], into: session)
        #expect(summary.session.rejectedTotal == 0)

        func at(_ minutes: Double) -> String { Self.time(minutes: minutes).rfc3339 }
        let alerts = try store.alerts().map {
            "\($0.kind) \($0.subject) zone=\($0.zone ?? "-") class=\($0.class ?? "-") started=\($0.startedAt) "
                + "confirmed=\($0.confirmedAt) cleared=\($0.clearedAt ?? "-") peak=\($0.peakCelsius.map { "\($0)" } ?? "-") "
                + "\($0.status)"
        }
        #expect(
            Set(alerts) == [
                "excursion-high container:\(pallet.hex) zone=dock-out-1 class=chilled started=\(at(6)) "
                    + "confirmed=\(at(16)) cleared=- peak=15.0 active",
                "sensor-offline sensor:freezer-b-t1 zone=freezer-b class=frozen started=\(at(20)) "
                    + "confirmed=\(at(30)) cleared=- peak=- active",
                "excursion-high sensor:coldroom-a-t1 zone=cold-room-a class=chilled started=\(at(30)) "
                    + "confirmed=\(at(40)) cleared=\(at(71)) peak=11.0 cleared",
                "excursion-high zone:cold-room-a zone=cold-room-a class=chilled started=\(at(30)) "
                    + "confirmed=\(at(40)) cleared=\(at(71)) peak=11.0 cleared",
            ]
        )
        #expect(alerts.count == 4)
        let offlineID = try #require(try store.alerts().first { $0.kind == "sensor-offline" }?.id)
        #expect(
            logged.lines.contains(
                "cold-chain alert \(offlineID) raised: sensor-offline of sensor 'freezer-b-t1' (class frozen), "
                    + "started \(at(20)), confirmed \(at(30))"
            )
        )

        // Per-minute aggregates: one reading a minute here; the last minute is still open.
        let minutes = try store.readingMinutes(sensor: "coldroom-a-t1")
        #expect(minutes.count == 90)
        #expect(minutes.first?.minute == at(0))
        #expect(
            minutes.first { $0.minute == at(50) }.map { [$0.minCelsius, $0.avgCelsius, $0.maxCelsius] } == [11, 11, 11]
        )
        #expect(minutes.first { $0.minute == at(13) }?.zone == "cold-room-a")
        #expect(try store.readingMinutes(sensor: "dock-t1").count == 30)

        // The pallet's own temperature history, from the database alone (the container_readings view).
        let history = try store.containerReadings(container: pallet.hex)
        let stays = Dictionary(grouping: history, by: \.zone).mapValues { rows in
            "\(rows.count) \(rows.map(\.celsius).min()!) \(rows.map(\.celsius).max()!)"
        }
        #expect(stays == ["cold-room-a": "6 4.0 4.0", "dock-out-1": "19 15.0 15.0"])
        #expect(history.first?.zoneSince == at(0))
        #expect(history.last?.zoneSince == at(6))

        // The same record through `sortgate container`: 18 one-minute readings at 15 °C on the dock
        // count as out of range (the last reading of the stay has nothing after it).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RunCommandTests.executable)
        process.arguments = ["container", pallet.hex, "--config", folder.path("site.yaml")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let record = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(record.contains("readings 25, min 4.00 °C, max 15.00 °C, MKT "))
        #expect(record.contains("class chilled: time out of range 18 min 0 s"))
        #expect(record.contains("excursion-high active: started \(at(6)), confirmed \(at(16)), peak 15.00 °C"))
        #expect(record.contains("\(at(6))  move  cold-room-a → dock-out-1"))

        // Replaying again updates the same rows; an acknowledgement survives it.
        let id = try #require(try store.alerts(activeOnly: true).first?.id)
        #expect(try store.acknowledgeAlert(id: id, at: at(100)))
        _ = try await replay([capture], config: replayConfig, store: store)
        let again = try store.alerts()
        #expect(again.count == 4)
        #expect(again.first { $0.id == id }?.status == "acknowledged")
    }
}

/// Lines collected from a callback.
final class LockedLines: @unchecked Sendable {
    // @unchecked: `storage` is only touched under `lock`.
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) { lock.withLock { storage.append(line) } }
    var lines: [String] { lock.withLock { storage } }
}

@Suite("Cold-chain class config")
struct ColdChainClassConfigTests {
    @Test("A class's offline_after and WHO-style cumulative limit load to exact values")
    func cumulativeAndOffline() throws {
        let folder = try TemporaryFolder()
        let yaml = ColdChainReplayTests.configYAML.replacingOccurrences(
            of: "chilled: {min: 2, max: 8, alarm_delay: 10m, clear_hysteresis: 0.5, offline_after: 10m}",
            with: "chilled: {min: 2, max: 8, offline_after: 15m, cumulative: {limit: 8, window: 24h, allowed: 60m}}"
        )
        #expect(yaml != ColdChainReplayTests.configYAML)
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let chilled = try #require(try SiteConfig.load(path: folder.path("site.yaml")).coldChain.classes["chilled"])
        #expect(chilled.offlineAfter == .seconds(900))
        #expect(chilled.alarmDelay == .seconds(300))
        #expect(
            chilled.cumulative
                == CumulativeExposureLimit(limit: 8, above: true, window: .seconds(86_400), allowed: .seconds(3600))
        )

        let bad = yaml.replacingOccurrences(of: "allowed: 60m", with: "allowed: 48h")
        try bad.write(toFile: folder.path("bad.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try SiteConfig.load(path: folder.path("bad.yaml")) }
    }
}

@Suite("sortgate mkt")
struct MKTCommandTests {
    @Test("Mean kinetic temperature of a sensor, a zone and a container from the stored readings")
    func mkt() async throws {
        let folder = try TemporaryFolder()
        let yaml = ColdChainReplayTests.configYAML.replacingOccurrences(
            of: "database: {sqlite: sortgate.sqlite}",
            with: "database: {sqlite: \(folder.path("sortgate.sqlite"))}"
        )
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        // A freezer at −20 °C, then the same two-value case as the core MKT test: 20 °C and 30 °C
        // for equal times give 26.26 °C (hand-computed in MeanKineticTemperatureTests).
        var lines = (0...10).map { ColdChainReplayTests.temperature("freezer-b-t1", minutes: Double($0), -20).1 }
        lines += [
            ColdChainReplayTests.temperature("dock-t1", minutes: 0, 20).1,
            ColdChainReplayTests.temperature("dock-t1", minutes: 5, 30).1,
            ColdChainReplayTests.temperature("dock-t1", minutes: 10, 30).1,
        ]
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: folder.path("c.jsonl"),
            atomically: true,
            encoding: .utf8
        )
        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        _ = try await replay([folder.path("c.jsonl")], config: config, store: store)

        func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: RunCommandTests.executable)
            process.arguments = ["mkt", "--config", folder.path("site.yaml"), "--format", "json"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        let freezer = try run(["--sensor", "freezer-b-t1"])
        #expect(freezer.contains(#""mkt_celsius":-20"#))
        #expect(freezer.contains(#""window_seconds":2592000"#), "the frozen class's mkt_window, 30 d")
        // 20 °C held 5 min, 30 °C held 5 min (the last reading counts until the window's end).
        #expect(try run(["--zone", "dock-out-1", "--window", "10m"]).contains(#""mkt_celsius":26.26"#))
    }
}
