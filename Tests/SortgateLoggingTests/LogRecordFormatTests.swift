import Foundation
import Logging
import SortgateCore
import SortgateLogging
import SortgateTestSupport
import Testing

/// The two line layouts, read back by independent readers (a logfmt reader written from the
/// format's description, Foundation's JSON parser).
@Suite("Log line formats")
struct LogRecordFormatTests {
    /// 2026-12-07T05:30:00.123456789Z.
    static let time = EventTime(seconds: 1_796_621_400, nanoseconds: 123_456_789)

    static func record(message: String, metadata: Logger.Metadata = [:]) -> LogRecord {
        LogRecord(time: time, level: .warning, label: "sortgate.mqtt", message: message, metadata: metadata)
    }

    @Test("logfmt: the record's fields first, bare values where they are safe, metadata in key order")
    func logfmtLayout() {
        let line = Self.record(message: "broker", metadata: ["reconnects": "3", "broker": "site"]).logfmt
        #expect(
            line == "ts=2026-12-07T05:30:00.123Z level=warning label=sortgate.mqtt msg=broker broker=site reconnects=3"
        )
    }

    @Test("logfmt quotes and escapes quotes, backslashes, newlines, '=', control characters and unicode")
    func logfmtEscapes() throws {
        let message = "device \"dock1\" said:\nline two\\ with = and\ttab \u{1}"
        let metadata: Logger.Metadata = [
            "topic": "readers/dock 3/événements",
            "empty": "",
            "reason": "température > 8 °C",
            "weird key=\"x\"": "v",
        ]
        let line = Self.record(message: message, metadata: metadata).logfmt
        #expect(!line.contains("\n"))
        let pairs = try #require(parseLogfmt(line))
        #expect(pairs.map(\.key) == ["ts", "level", "label", "msg", "empty", "reason", "topic", "weird_key__x_"])
        let values = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        #expect(values["msg"] == message)
        #expect(values["topic"] == "readers/dock 3/événements")
        #expect(values["empty"] == "")
        #expect(values["reason"] == "température > 8 °C")
        #expect(values["weird_key__x_"] == "v")
        #expect(line.contains(#"msg="device \"dock1\" said:\nline two\\ with = and\ttab \u0001""#))
    }

    @Test("logfmt flattens nested metadata into dotted keys and writes arrays as one value")
    func logfmtNested() throws {
        let metadata: Logger.Metadata = [
            "peer": ["host": "127.0.0.1", "port": "1883"],
            "zones": ["dock-in-1", "cold room c"],
        ]
        let pairs = try #require(parseLogfmt(Self.record(message: "m", metadata: metadata).logfmt))
        #expect(pairs.dropFirst(4).map(\.key) == ["peer.host", "peer.port", "zones"])
        #expect(pairs.dropFirst(4).map(\.value) == ["127.0.0.1", "1883", "[dock-in-1,cold room c]"])
    }

    @Test("JSON: one object per line with ts, level, label, msg and the metadata keeping its shape")
    func jsonLayout() throws {
        let metadata: Logger.Metadata = [
            "broker": "site",
            "peer": ["host": "127.0.0.1", "port": "1883"],
            "zones": ["dock-in-1", "chute-01"],
        ]
        let line = Self.record(message: "connected", metadata: metadata).jsonLine
        #expect(
            line == #"{"ts":"2026-12-07T05:30:00.123Z","level":"warning","label":"sortgate.mqtt","msg":"connected","#
                + #""broker":"site","peer":{"host":"127.0.0.1","port":"1883"},"zones":["dock-in-1","chute-01"]}"#
        )
        let object = try #require(parseJSONObject(line))
        #expect(object["peer"] as? [String: String] == ["host": "127.0.0.1", "port": "1883"])
        #expect(object["zones"] as? [String] == ["dock-in-1", "chute-01"])
    }

    @Test("JSON escapes quotes, backslashes, newlines and control characters and keeps unicode as UTF-8")
    func jsonEscapes() throws {
        let message = "payload \"{\\\"epc\\\":1}\"\r\nnext\u{0}line — 温度 🚚"
        let line = Self.record(message: message, metadata: ["path": "C:\\captures\n"]).jsonLine
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line.contains("— 温度 🚚"))
        let object = try #require(parseJSONObject(line))
        #expect(object["msg"] as? String == message)
        #expect(object["path"] as? String == "C:\\captures\n")
    }

    @Test("metadata named like a record field is kept as metadata.NAME instead of hiding the field")
    func reservedKeys() throws {
        let metadata: Logger.Metadata = ["msg": "from metadata", "level": "9", "ts": "then"]
        let object = try #require(parseJSONObject(Self.record(message: "real", metadata: metadata).jsonLine))
        #expect(object["msg"] as? String == "real")
        #expect(object["level"] as? String == "warning")
        #expect(object["metadata.msg"] as? String == "from metadata")
        #expect(object["metadata.level"] as? String == "9")
        #expect(object["metadata.ts"] as? String == "then")
        let pairs = try #require(parseLogfmt(Self.record(message: "real", metadata: metadata).logfmt))
        #expect(pairs.map(\.key) == ["ts", "level", "label", "msg", "metadata.level", "metadata.msg", "metadata.ts"])
    }
}
