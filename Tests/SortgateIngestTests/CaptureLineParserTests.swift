import Foundation
import SortgateConfig
import SortgateCore
import Testing

@testable import SortgateIngest

/// What reading one capture line produced.
enum CaptureLineOutcome: Equatable, CustomStringConvertible {
    case record(CaptureRecord)
    case error(CaptureLineError)

    var description: String {
        switch self {
        case .record(let record): "record \(record)"
        case .error(let error): "error \(error)"
        }
    }
}

enum CaptureLineDifferential {
    /// The fast parser's record, or nil when it left the line to the owning parser.
    static func fast(_ line: [UInt8]) -> CaptureRecord? {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(line.count, 1), alignment: 8)
        defer { scratch.deallocate() }
        return line.withUnsafeBytes { bytes -> CaptureRecord? in
            guard let parts = try? CaptureLineParser.parse(bytes, scratch: scratch) else { return nil }
            let payload =
                parts.payloadInLine.map { Array(bytes[$0]) } ?? Array(scratch[0..<parts.payloadInScratchCount])
            return CaptureRecord(
                time: parts.time,
                source: String(decoding: bytes[parts.source], as: UTF8.self),
                topic: parts.topic.map { String(decoding: bytes[$0], as: UTF8.self) },
                payload: payload
            )
        }
    }

    static func owning(_ line: [UInt8]) -> CaptureLineOutcome {
        do throws(CaptureLineError) {
            return .record(try CaptureRecord(jsonLine: line, file: "test.jsonl", line: 1))
        } catch {
            return .error(error)
        }
    }

    /// Every line of a file through `forEachLine`, as outcomes with their line numbers.
    static func viaForEachLine(_ reader: CaptureReader) async throws -> [CaptureLineOutcome] {
        var outcomes: [CaptureLineOutcome] = []
        try await reader.forEachLine { line in
            switch line {
            case .success(let record): outcomes.append(.record(record))
            case .failure(let error): outcomes.append(.error(error))
            }
        }
        return outcomes
    }

    static func viaForEachLineView(_ reader: CaptureReader) async throws -> (
        outcomes: [CaptureLineOutcome], lines: [Int]
    ) {
        var outcomes: [CaptureLineOutcome] = []
        var lines: [Int] = []
        try await reader.forEachLineView { view in
            outcomes.append(.record(view.record()))
            lines.append(view.line)
        } failed: { error in
            outcomes.append(.error(error))
            lines.append(error.line)
        }
        return (outcomes, lines)
    }
}

@Suite("Capture line fast parser")
struct CaptureLineParserTests {
    @Test("every demo capture line reads the same through the fast parser and the owning parser")
    func demoLinesAreIdentical() throws {
        let text = try String(contentsOfFile: DemoCapture.path, encoding: .utf8)
        var count = 0
        for line in text.split(separator: "\n") {
            let bytes = Array(line.utf8)
            let fast = try #require(CaptureLineDifferential.fast(bytes), "the fast parser left a demo line alone")
            #expect(CaptureLineOutcome.record(fast) == CaptureLineDifferential.owning(bytes))
            count += 1
        }
        #expect(count == 6741)
    }

    @Test("escapes, base64 and odd members read the same as through the owning parser")
    func specialLines() throws {
        let lines: [String] = [
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"x\"y\\z\/\b\f\n\r\t\u00e9\u20acq"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","topic":"r/a","payload":"caf\u00e9 ✓"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload_b64":"AAEC/w=="}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload_b64":"AAEC/x=="}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload_b64":"AAEC/w"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload_b64":""}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"\ud83d\ude00"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"\u0000"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"","payload":"x"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","topic":null,"payload":"x"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","topic":7,"payload":"x"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":null}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"x","payload":"y"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"x","extra":[1,{"b":null}]}"#,
            #"{"t":"2026-11-28T08:00:00","source":"a","payload":"x"}"#,
            #"{"t":"2026-11-28T08:00:00Z","source":"coldroom-a-t1","modbus":{"table":"input","address":1,"registers":[42,65535]}}"#,
            #" { "t" : "2026-11-28T08:00:00Z" , "source" : "a" , "payload" : "x" } "#,
            #"{"t":"2026-11-28T08:00:00Z","source":"a"}"#,
            #"["t"]"#,
        ]
        var fastCount = 0
        for line in lines {
            let bytes = Array(line.utf8)
            let owning = CaptureLineDifferential.owning(bytes)
            if let fast = CaptureLineDifferential.fast(bytes) {
                fastCount += 1
                #expect(.record(fast) == owning, "\(line)")
            }
        }
        // The plain and escaped payloads, canonical base64 (also empty), null topic, extra member, spaces.
        #expect(fastCount == 7)
    }

    @Test("seeded random mutations of demo lines never read differently", arguments: [11, 12])
    func mutationsAreIdentical(seed: UInt64) throws {
        let text = try String(contentsOfFile: DemoCapture.path, encoding: .utf8)
        let lines = text.split(separator: "\n").map { Array($0.utf8) }
        var generator = SplitMix64(seed: seed)
        var fastCount = 0
        for _ in 0..<3_000 {
            let line = JSONMutation.mutate(lines.randomElement(using: &generator)!, using: &generator)
            guard let fast = CaptureLineDifferential.fast(line) else { continue }
            fastCount += 1
            let owning = CaptureLineDifferential.owning(line)
            #expect(.record(fast) == owning, "\(String(decoding: line, as: UTF8.self))")
        }
        #expect(fastCount > 500)
    }

    @Test("forEachLineView sees the same lines, numbers and errors as forEachLine")
    func readerViewsMatch() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("capture-view-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mixed.jsonl").path
        let long = String(repeating: "a", count: 3_000)
        let content = [
            #"{"t":"2026-11-28T08:00:00Z","source":"a","topic":"r/a","payload":"{\"x\":1}"}"#,
            "",
            "   \t",
            #"{"t":"2026-11-28T08:00:01Z","source":"b","payload":"caf\u00e9"}"# + "\r",
            #"{"t":"2026-11-28T08:00:02Z","source":"c","modbus":{"table":"input","address":1,"registers":[42,65535]}}"#,
            #"{"t":"2026-11-28T08:00:03Z","source":"d","payload_b64":"AAEC/w=="}"#,
            "not json",
            #"{"t":"2026-11-28T08:00:04Z","source":"e","payload":"\#(long)"}"#,
            #"{"t":"2026-11-28T08:00:05Z","source":"f","payload":"\ud83d\ude00"}"#,
            #"{"t":"2026-11-28T08:00:06Z","source":"g","payload":"partial"#,
        ].joined(separator: "\n")
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))

        let reader = CaptureReader(path: path)
        let owned = try await CaptureLineDifferential.viaForEachLine(reader)
        let viewed = try await CaptureLineDifferential.viaForEachLineView(reader)
        #expect(viewed.outcomes == owned)
        #expect(viewed.lines == [1, 4, 5, 6, 7, 8, 9, 10])
        guard case .error(let notJSON) = owned[4], case .error(let partial) = owned[7] else {
            Issue.record("lines 7 and 10 must be errors: \(owned)")
            return
        }
        #expect(notJSON.line == 7)
        #expect(partial.line == 10)

        // A line above `maximumLineBytes` that spans chunks is skipped and reported the same way.
        let longPath = folder.appendingPathComponent("long.jsonl").path
        let huge = String(repeating: "b", count: 3 << 19)
        let longContent = [
            #"{"t":"2026-11-28T08:00:00Z","source":"a","payload":"\#(huge)"}"#,
            #"{"t":"2026-11-28T08:00:01Z","source":"b","payload":"x"}"#,
            #"{"t":"2026-11-28T08:00:02Z","source":"c","payload":"\#(huge)"}"#,
        ].joined(separator: "\n")
        try Data(longContent.utf8).write(to: URL(fileURLWithPath: longPath))
        for maximum in [1_000, 16 << 20] {
            let longReader = CaptureReader(path: longPath, maximumLineBytes: maximum)
            let longOwned = try await CaptureLineDifferential.viaForEachLine(longReader)
            let longViewed = try await CaptureLineDifferential.viaForEachLineView(longReader)
            #expect(longViewed.outcomes == longOwned)
            #expect(Array(longViewed.lines.prefix(3)) == [1, 2, 3])
            let errors = longOwned.filter { if case .error = $0 { true } else { false } }.count
            // Lines 1 and 3 are reported at every chunk that leaves them unfinished.
            #expect(maximum == 1_000 ? errors >= 2 : errors == 0)
            #expect(
                longOwned.contains(
                    .record(CaptureRecord(time: EventTime(seconds: 1_795_852_801), source: "b", payload: [0x78]))
                )
            )
        }
        // The demo capture, read in 1 MiB chunks, gives the same records both ways.
        let demo = CaptureReader(path: DemoCapture.path)
        let demoOwned = try await CaptureLineDifferential.viaForEachLine(demo)
        let demoViewed = try await CaptureLineDifferential.viaForEachLineView(demo)
        #expect(demoOwned.count == 6741)
        #expect(demoViewed.outcomes == demoOwned)
    }
}
