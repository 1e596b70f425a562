import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// Recorded Modbus polls replay into readings (and, for a Modbus RFID reader, tag reads)
/// through the device profiles, exactly as the poller's records are processed live.
@Suite("Modbus polls in a replay")
struct ModbusReplayTests {
    static let configYAML = """
        site: modbus-replay-test
        database: {sqlite: sortgate.sqlite}
        profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
        zones:
          cold-room-a: {type: cold-room}
          freezer-b: {type: cold-room}
          conveyor-1: {type: induction}
        devices:
          - id: coldroom-a-t1
            profile: xy-md02
            modbus: {host: 127.0.0.1, port: 1502, unit: 1}
            zone: cold-room-a
          - id: freezer-b-t1
            profile: generic-float32-temperature
            modbus: {host: 127.0.0.1, port: 1502, unit: 2}
            zone: freezer-b
          - id: conveyor-reader
            profile: generic-modbus-rfid-reader
            modbus: {host: 127.0.0.1, port: 1503, unit: 1}
            zone: conveyor-1
        dedup: {absent_after: 30s}
        """

    static func poll(_ second: Int, _ source: String, _ table: String, _ address: Int, _ registers: [Int]) -> String {
        #"{"t":"2026-11-28T08:00:\#(String(format: "%02d", second)).000Z","source":"\#(source)","modbus":{"table":"\#(table)","address":\#(address),"registers":\#(registers)}}"#
    }

    static func failed(_ second: Int, _ source: String, _ error: String) -> String {
        #"{"t":"2026-11-28T08:00:\#(String(format: "%02d", second)).000Z","source":"\#(source)","modbus":{"table":"input","address":1,"error":"\#(error)"}}"#
    }

    @Test("Readings of every register type decode to °C, failed polls are counted, bad values quarantined")
    func readingsAndTags() async throws {
        let folder = try TemporaryFolder()
        try Self.configYAML.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        var config = try SiteConfig.load(path: folder.path("site.yaml"))
        config.database = .sqlite(path: folder.path("sortgate.sqlite"))
        // 4.5 °C as float32 CDAB: 0x40900000 → registers 0x0000, 0x4090; -19.25 → 0xC19A0000.
        let lines = [
            Self.poll(1, "coldroom-a-t1", "input", 1, [42, 655]),
            Self.poll(1, "freezer-b-t1", "holding", 0, [0x0000, 0x4090]),
            Self.failed(6, "coldroom-a-t1", "ETIMEDOUT"),
            Self.poll(6, "freezer-b-t1", "holding", 0, [0x0000, 0xC19A]),
            Self.poll(11, "coldroom-a-t1", "input", 1, [65_535 - 14, 650]),  // int16 -15 → -1.5 °C
            Self.poll(16, "coldroom-a-t1", "input", 1, [32_768, 650]),  // -3276.8: the probe's error code
            Self.poll(16, "freezer-b-t1", "input", 7, [1, 2]),  // not this profile's registers
            // The RFID reader's last-tag block: read_count (uint32), antenna, six EPC words.
            Self.poll(2, "conveyor-reader", "holding", 0, [0, 5, 2, 0x3074, 0x257B, 0xF719, 0x4E40, 0x0000, 0x1A85]),
            Self.poll(3, "conveyor-reader", "holding", 0, [0, 5, 2, 0x3074, 0x257B, 0xF719, 0x4E40, 0x0000, 0x1A85]),
            Self.poll(4, "conveyor-reader", "holding", 0, [0, 9, 1, 0x3074, 0x257B, 0xF719, 0x4E40, 0x0000, 0x1A86]),
        ].sorted { $0 < $1 }
        let capture = folder.path("modbus.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: capture, atomically: true, encoding: .utf8)

        let store = try SQLiteStore.forSite(config, path: folder.path("sortgate.sqlite"))
        let summary = try await replay([capture], config: config, store: store)
        #expect(summary.totals.sensorReadings == 4)
        #expect(summary.session.rejected == [.implausibleValue: 1, .registerMismatch: 1])
        #expect(
            try store.readings().map { "\($0.sensor) \($0.zone ?? "-") \($0.at) \($0.celsius)" } == [
                "coldroom-a-t1 cold-room-a 2026-11-28T08:00:01.000000000Z 4.2",
                "freezer-b-t1 freezer-b 2026-11-28T08:00:01.000000000Z 4.5",
                "freezer-b-t1 freezer-b 2026-11-28T08:00:06.000000000Z -19.25",
                "coldroom-a-t1 cold-room-a 2026-11-28T08:00:11.000000000Z -1.5",
            ]
        )
        // The first poll shows a tag (one read); an unchanged count is no new read; a count of
        // 9 is four reads of the next tag.
        #expect(
            try store.inventory().map { "\($0.epc) \($0.zone) \($0.reads)" } == [
                "3074257BF7194E4000001A85 conveyor-1 1",
                "3074257BF7194E4000001A86 conveyor-1 4",
            ]
        )
        let quarantined = try store.quarantined()
        #expect(
            quarantined.first { $0.reason == "implausible-value" }?.detail
                == "device 'coldroom-a-t1': temperature -3276.8 °C is outside -100.0…150.0 °C (a probe error code?)"
        )
    }
}
