import Foundation
import Logging
import SortgateCore
import SortgateLogging
import SortgateTestSupport
import Testing

/// The handler as swift-log uses it: levels, merged metadata, errors, value semantics, whole lines.
@Suite("LineLogHandler")
struct LineLogHandlerTests {
    static func logger(_ layout: LineLogHandler.Layout, output: CollectedLines) -> Logger {
        Logger(label: "sortgate.test") { label in
            LineLogHandler(label: label, layout: layout, output: output) {
                EventTime(seconds: 1_796_621_400, nanoseconds: 5_000_000)
            }
        }
    }

    @Test("writes records at or above its level and drops the rest")
    func levels() {
        let output = CollectedLines()
        var logger = Self.logger(.logfmt, output: output)
        logger.logLevel = .notice
        logger.info("not written")
        logger.notice("written")
        logger.error("also written")
        #expect(
            output.all == [
                "ts=2026-12-07T05:30:00.005Z level=notice label=sortgate.test msg=written",
                "ts=2026-12-07T05:30:00.005Z level=error label=sortgate.test msg=\"also written\"",
            ]
        )
    }

    @Test("merges logger, provider and call-site metadata, the most specific winning")
    func metadataMerge() throws {
        let output = CollectedLines()
        var logger = Logger(label: "sortgate.test") { label in
            LineLogHandler(
                label: label,
                layout: .json,
                output: output,
                metadataProvider: Logger.MetadataProvider { ["site": "hub-lyon", "device": "from-provider"] }
            ) { EventTime(seconds: 0, nanoseconds: 0) }
        }
        logger[metadataKey: "device"] = "from-logger"
        logger[metadataKey: "broker"] = "site"
        logger.info("polled", metadata: ["device": "coldroom-c-t1"])
        let line = try #require(output.all.first)
        let object = try #require(parseJSONObject(line))
        #expect(object["device"] as? String == "coldroom-c-t1")
        #expect(object["broker"] as? String == "site")
        #expect(object["site"] as? String == "hub-lyon")
        #expect(object["ts"] as? String == "1970-01-01T00:00:00.000Z")
    }

    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "no space left on device" }
    }

    @Test("an error passed with the record is written as error.message and error.type")
    func errors() throws {
        let output = CollectedLines()
        let logger = Self.logger(.logfmt, output: output)
        logger.error("commit failed", error: DiskFull())
        let line = try #require(output.all.first)
        let pairs = try #require(parseLogfmt(line))
        let values = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        #expect(values["error.message"] == "no space left on device")
        #expect(values["error.type"] == "SortgateLoggingTests.LineLogHandlerTests.DiskFull")
    }

    @Test("copies of a logger keep their own level and metadata")
    func valueSemantics() {
        let output = CollectedLines()
        var first = Self.logger(.json, output: output)
        first.logLevel = .debug
        first[metadataKey: "only-on"] = "first"
        var second = first
        second.logLevel = .error
        second[metadataKey: "only-on"] = "second"
        #expect(first.logLevel == .debug)
        #expect(second.logLevel == .error)
        #expect(first[metadataKey: "only-on"] == "first")
        #expect(second[metadataKey: "only-on"] == "second")
    }

    @Test("records logged from many tasks at once come out as whole lines, each parseable")
    func concurrentLines() async throws {
        let output = CollectedLines()
        let logger = Self.logger(.json, output: output)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 {
                        logger.info("read \(index)", metadata: ["task": "\(task)", "payload": "\"x\"\n"])
                    }
                }
            }
        }
        let lines = output.all
        #expect(lines.count == 1600)
        let objects = lines.compactMap(parseJSONObject)
        #expect(objects.count == 1600)
        #expect(Set(objects.compactMap { $0["task"] as? String }) == Set((0..<8).map(String.init)))
    }
}
