import Foundation
import SortgateConfig
import SortgateCore
import Testing

@testable import SortgateIngest

/// What one decode produced, comparable as a whole: the reads and summary, or the rejection.
enum DecodeOutcome: Equatable, CustomStringConvertible {
    case decoded([TagRead], DecodeSummary)
    case rejected(PayloadRejection)

    var description: String {
        switch self {
        case .decoded(let reads, let summary): "decoded \(summary) \(reads)"
        case .rejected(let rejection): "rejected \(rejection)"
        }
    }
}

/// Runs `decode` on one message.
enum DecodeRun {
    static func outcome(
        _ decoder: PayloadDecoder,
        _ payload: [UInt8],
        source: SourceID = SourceID(3),
        seq: UInt64 = 9,
        arrival: EventTime
    ) -> DecodeOutcome {
        var reads: [TagRead] = []
        do throws(PayloadRejection) {
            let summary = try decoder.decode(payload, source: source, seq: seq, arrival: arrival, into: &reads)
            return .decoded(reads, summary)
        } catch {
            return .rejected(error)
        }
    }
}

/// The demo capture's lines, parsed by the owning parser.
enum DemoCapture {
    static let path: String = {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return tests.appendingPathComponent("../../Tools/captures/demo.jsonl").standardizedFileURL.path
    }()

    static func records() throws -> [CaptureRecord] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { index, line in
            try CaptureRecord(jsonLine: Array(line.utf8), file: path, line: index + 1)
        }
    }

    /// The demo readers' payload formats (Tools/captures/README.md).
    static func format(of source: String) -> PayloadFormat {
        source == "dock1-reader" || source == "chutes-b-reader" ? .impinjIoT : .zebraIoT
    }
}

/// Seeded random mutations of JSON text: byte flips, truncations, deleted, duplicated and
/// reordered members, replaced values (wrong types, nulls, huge and fractional numbers,
/// escapes), inserted whitespace and escaped characters.
enum JSONMutation {
    static let replacementValues: [String] = [
        "null", "true", "\"\"", "\"x\"", "0", "-0", "1", "2.0", "-57.25", "-56.5", "1e3", "65535", "65536", "-1",
        "4294967295", "4294967296", "12345678901234567890", "18446744073709551615", "1.5", "[]", "{}", "[1,2]",
        "{\"a\":1}", "\"SIMPLE\"", "\"custom\"", "\"heartbeat\"", "\"tagInventory\"", "\"overflow\"",
        "\"tag\\u0049nventory\"", "\"2026-11-28T08:00:00Z\"", "\"2026-11-28T09:00:00.5+0100\"",
        "\"1999-12-31T23:59:59Z\"",
        "\"2030-01-01T00:00:00Z\"", "\"2026-11-28T08:00:00\"", "\"3034257BF7194E402C99A17A\"",
        "\"3034257bf7194e402c99a17a\"",
        "\"3034257BF7194E402C99A17\"", "\"MDT05OQMDkA2i57V\"", "\"MDT05OQMDkA2i57\"", "\"MDT05OQMDkA2i5==\"",
        "\"A===\"",
        "\"Zg\"", "\"é\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "0.1e-2", "-0.0", "123456789012345678",
        "9007199254740993",
        "-2147483648", "-2147483649", "21474836.47", "\"\\n\"",
    ]

    static let whitespace: [String] = [" ", "\n", "\t", "\r\n  "]

    static func mutate(_ text: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = text
        let rounds = Int.random(in: 1...3, using: &generator)
        for _ in 0..<rounds where !bytes.isEmpty {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0:
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let choices: [UInt8] = [
                    0x22, 0x5C, 0x2C, 0x3A, 0x7B, 0x7D, 0x5B, 0x5D, 0x20, 0x00, 0x0A, 0xC3, 0xFF, 0x41, 0x31,
                ]
                bytes[position] =
                    Bool.random(using: &generator)
                    ? choices.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 2:
                if let member = randomMember(bytes, using: &generator) {
                    bytes.removeSubrange(member.withSeparator)
                }
            case 3:
                if let member = randomMember(bytes, using: &generator) {
                    bytes.insert(contentsOf: Array(",".utf8) + bytes[member.member], at: member.member.upperBound)
                }
            case 4:
                // Moves a member to the front of its object.
                if let member = randomMember(bytes, using: &generator), let open = member.objectStart {
                    let moved = Array(bytes[member.member])
                    bytes.removeSubrange(member.withSeparator)
                    bytes.insert(contentsOf: moved + Array(",".utf8), at: open + 1)
                }
            case 5, 6:
                if let value = randomValue(bytes, using: &generator) {
                    let replacement = replacementValues.randomElement(using: &generator)!
                    bytes.replaceSubrange(value, with: Array(replacement.utf8))
                }
            case 7:
                let position = Int.random(in: 0...bytes.count, using: &generator)
                bytes.insert(contentsOf: Array(whitespace.randomElement(using: &generator)!.utf8), at: position)
            case 8:
                // Escapes one letter inside a string (or wherever the letter is).
                let letters = bytes.indices.filter { (0x61...0x7A).contains(bytes[$0]) }
                if let position = letters.randomElement(using: &generator) {
                    let escape = "\\u00" + String(bytes[position], radix: 16)
                    bytes.replaceSubrange(position...position, with: Array(escape.utf8))
                }
            default:
                // A non-ASCII letter in place of an ASCII one.
                let letters = bytes.indices.filter { (0x61...0x7A).contains(bytes[$0]) }
                if let position = letters.randomElement(using: &generator) {
                    bytes.replaceSubrange(position...position, with: Array("ſ".utf8))
                }
            }
        }
        return bytes
    }

    struct Member {
        var member: Range<Int>
        var withSeparator: Range<Int>
        var objectStart: Int?
    }

    /// A `"name":value` member found by bracket counting (strings are assumed to hold no brackets).
    static func randomMember(_ bytes: [UInt8], using generator: inout SplitMix64) -> Member? {
        let starts = bytes.indices.filter { index in
            index > 0 && bytes[index] == 0x22 && (bytes[index - 1] == 0x7B || bytes[index - 1] == 0x2C)
        }
        guard let start = starts.randomElement(using: &generator) else { return nil }
        let end = valueEnd(bytes, from: start)
        let separator = bytes[start - 1] == 0x2C ? (start - 1)..<end : start..<min(end + 1, bytes.count)
        var depth = 0
        var open: Int?
        for index in stride(from: start - 1, through: 0, by: -1) {
            if bytes[index] == 0x7D || bytes[index] == 0x5D { depth += 1 }
            if bytes[index] == 0x7B || bytes[index] == 0x5B {
                if depth == 0 {
                    open = index
                    break
                }
                depth -= 1
            }
        }
        return Member(member: start..<end, withSeparator: separator, objectStart: open)
    }

    /// The value after a random `:`.
    static func randomValue(_ bytes: [UInt8], using generator: inout SplitMix64) -> Range<Int>? {
        let colons = bytes.indices.filter { bytes[$0] == 0x3A && $0 > 0 && bytes[$0 - 1] == 0x22 }
        guard let colon = colons.randomElement(using: &generator) else { return nil }
        return (colon + 1)..<valueEnd(bytes, from: colon + 1)
    }

    /// Where the member or value starting at `from` ends: the `,`, `}` or `]` closing it.
    static func valueEnd(_ bytes: [UInt8], from: Int) -> Int {
        var depth = 0
        var inString = false
        var index = from
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == 0x5C {
                    index += 1
                } else if byte == 0x22 {
                    inString = false
                }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x7B || byte == 0x5B {
                depth += 1
            } else if byte == 0x7D || byte == 0x5D {
                if depth == 0 { return index }
                depth -= 1
            } else if byte == 0x2C && depth == 0 {
                return index
            }
            index += 1
        }
        return bytes.count
    }
}

@Suite("PayloadDecoder: real and mutated messages")
struct PayloadDecoderMutationTests {
    @Test("every demo capture message decodes in its own format, except the five deliberately bad ones")
    func demoCapture() throws {
        let records = try DemoCapture.records()
        #expect(records.count == 6741)
        let impinj = PayloadDecoder(format: .impinjIoT)
        let zebra = PayloadDecoder(format: .zebraIoT)
        var clean = 0
        var reads = 0
        for record in records {
            let payload = try #require(record.payload)
            let own = DemoCapture.format(of: record.source) == .impinjIoT ? impinj : zebra
            if case .decoded(let decoded, let summary) = DecodeRun.outcome(own, payload, arrival: record.time) {
                reads += decoded.count
                if summary.rejected.isEmpty { clean += 1 }
            }
        }
        // The demo holds five deliberately bad messages (Tools/captures/README.md); the reads
        // of the others are pinned, one by one, in `PayloadDecoderPinnedOutcomeTests`.
        #expect(clean == records.count - 5)
        #expect(reads > 7000)
    }

    @Test("the fixture payloads decode, without rejected events")
    func fixturesDecode() throws {
        let cases: [(String, PayloadFormat, EventTime)] = [
            ("impinj-tag-inventory.json", .impinjIoT, ReferenceArrival.impinj),
            ("impinj-minimal.json", .impinjIoT, ReferenceArrival.impinj),
            ("impinj-batch.json", .impinjIoT, ReferenceArrival.impinj),
            ("zebra-simple.json", .zebraIoT, ReferenceArrival.zebra),
            ("zebra-custom.json", .zebraIoT, ReferenceArrival.zebra),
            ("zebra-array.json", .zebraIoT, ReferenceArrival.zebra),
        ]
        for (name, format, arrival) in cases {
            let payload = try PayloadFixture.bytes(name)
            let outcome = DecodeRun.outcome(PayloadDecoder(format: format), payload, arrival: arrival)
            guard case .decoded(let reads, let summary) = outcome else {
                Issue.record("\(name) was rejected: \(outcome)")
                continue
            }
            #expect(!reads.isEmpty, "\(name)")
            #expect(summary.rejected.isEmpty, "\(name)")
        }
    }

    @Test("a batch with a bad event keeps the good reads and reports the bad one")
    func goodReadsAroundABadEvent() throws {
        let payload = Array(
            """
            [{"type":"SIMPLE","data":{"idHex":"3034257BF7194E402C99A17A","antenna":1}},
             {"type":"SIMPLE","data":{"idHex":"3034257BF7194E402C99A17B","antenna":2}},
             {"type":"SIMPLE","data":{"idHex":"3034257BF7194E402C99A17C","antenna":"3"}}]
            """.utf8
        )
        let decoder = PayloadDecoder(format: .zebraIoT)
        var reads: [TagRead] = []
        let summary = try decoder.decode(
            payload,
            source: SourceID(1),
            seq: 1,
            arrival: ReferenceArrival.zebra,
            into: &reads
        )
        #expect(reads.map(\.antenna) == [1, 2])
        #expect(summary.reads == 2)
        #expect(summary.rejected.map(\.detail) == ["[2].data.antenna: expected an integer, got string \"3\""])
    }

    @Test("dBm fractions and large integers are read exactly")
    func numbersAreExact() throws {
        let decoder = PayloadDecoder(format: .zebraIoT)
        var generator = SplitMix64(seed: 99)
        for _ in 0..<2_000 {
            let whole = Int.random(in: -120...20, using: &generator)
            let fraction = Int.random(in: 0..<100_000, using: &generator)
            let digits = Int.random(in: 1...5, using: &generator)
            let rssi = "\(whole).\(String(String(fraction).reversed()).prefix(digits))"
            let reads = Int.random(in: 1...9, using: &generator)
            let eventNumber = UInt64.random(in: 0...999_999_999_999_999_999, using: &generator)
            let payload = Array(
                """
                {"type":"CUSTOM","data":{"idHex":"E2801160600002054E2D7C1A","peakRssi":\(rssi),"reads":\(reads),"eventNum":\(eventNumber)}}
                """.utf8
            )
            let outcome = DecodeRun.outcome(decoder, payload, arrival: ReferenceArrival.zebra)
            guard case .decoded(let decoded, _) = outcome, let read = decoded.first else {
                Issue.record("\(rssi): \(outcome)")
                continue
            }
            // Swift's `Double(String)` is correctly rounded, as the decoder's reading must be.
            #expect(read.rssiCentiDbm == Int32((Double(rssi)! * 100).rounded()), "\(rssi)")
            #expect(read.readCount == UInt32(reads))
            #expect(read.vendorEventNumber == eventNumber)
        }
    }
}

/// What the decoder makes of a fixed corpus of seeded mutations, pinned: each block of
/// `Fixtures/decoder-outcomes.txt` is a digest of the outcomes (reads and summary, or the
/// rejection with its detail) of `blockSize` consecutive mutations, so that a change of any
/// read, reason or detail in the corpus names the block where it happened.
///
/// To look at a change, set `SORTGATE_DECODER_OUTCOMES=<directory>`: the test then writes every
/// outcome in full (`outcomes.txt`) and the digests (`decoder-outcomes.txt`) there, to compare
/// with a run of the previous version and, once every difference is understood, to replace the
/// fixture.
@Suite("PayloadDecoder: pinned outcomes of seeded mutations")
struct PayloadDecoderPinnedOutcomeTests {
    static let blockSize = 50

    /// FNV-1a, 64 bits: stable across runs and platforms, unlike `Hasher`.
    struct Digest {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ text: String) {
            for byte in text.utf8 {
                value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            value = (value ^ 0x0A) &* 0x0000_0100_0000_01B3
        }
        var hex: String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    /// Decodes `payload`, checking the invariants every outcome must hold, and describes it.
    static func outcome(_ decoder: PayloadDecoder, _ payload: [UInt8], arrival: EventTime) -> String {
        let earlier = TagRead(
            source: SourceID(1), seq: 1, time: arrival, epc: EPC(w0: 0x30 << 56, bitCount: 96), antenna: 9)
        var reads = [earlier]
        do throws(PayloadRejection) {
            let summary = try decoder.decode(payload, source: SourceID(3), seq: 9, arrival: arrival, into: &reads)
            #expect(reads.first == earlier)
            #expect(reads.count - 1 == summary.reads)
            for rejection in summary.rejected {
                #expect(!rejection.detail.isEmpty)
                #expect(rejection.eventIndex != nil)
            }
            return "decoded \(summary) \(reads.dropFirst().map { "\($0)" })"
        } catch {
            #expect(reads == [earlier], "a rejection must leave the reads untouched")
            #expect(!error.detail.isEmpty)
            return "rejected \(error)"
        }
    }

    /// Every (seed, mutation, decoder) outcome of the vendor-format and mapping corpora, in order.
    static func corpus() throws -> [String] {
        let records = try DemoCapture.records()
        let fixtures = try [
            "impinj-tag-inventory.json", "impinj-minimal.json", "impinj-batch.json", "zebra-simple.json",
            "zebra-custom.json", "zebra-array.json",
        ].map { try PayloadFixture.bytes($0) }
        let decoders = [
            PayloadDecoder(format: .impinjIoT), PayloadDecoder(format: .zebraIoT),
            PayloadDecoder(format: .impinjIoT, maxPayload: 300),
        ]
        var lines: [String] = []
        // Every demo capture message, in its own format: the reference of "good messages decode
        // to the same reads as before".
        for record in records {
            let decoder = DemoCapture.format(of: record.source) == .impinjIoT ? decoders[0] : decoders[1]
            lines.append("demo \(record.time) \(record.source) → \(outcome(decoder, record.payload!, arrival: record.time))")
        }
        for seed: UInt64 in 1...4 {
            var generator = SplitMix64(seed: seed)
            for round in 0..<2_000 {
                let base: [UInt8]
                var arrival: EventTime
                if Int.random(in: 0..<4, using: &generator) == 0 {
                    base = fixtures.randomElement(using: &generator)!
                    arrival = Bool.random(using: &generator) ? ReferenceArrival.impinj : ReferenceArrival.zebra
                } else {
                    let record = records.randomElement(using: &generator)!
                    base = record.payload!
                    arrival = record.time
                }
                if Int.random(in: 0..<10, using: &generator) == 0 {
                    arrival = arrival - .seconds(Int64.random(in: 86_000...90_000, using: &generator))
                }
                let payload = JSONMutation.mutate(base, using: &generator)
                for (index, decoder) in decoders.enumerated() {
                    let text = String(decoding: payload, as: UTF8.self).debugDescription
                    lines.append("\(seed) \(round) \(index) \(text) → \(outcome(decoder, payload, arrival: arrival))")
                }
            }
        }
        for seed: UInt64 in 5...6 {
            var generator = SplitMix64(seed: seed)
            for round in 0..<1_500 {
                let (mapping, message) = MappingCorpus.cases[round % MappingCorpus.cases.count]
                let decoder = PayloadDecoder(format: .json(mapping))
                let payload =
                    round < MappingCorpus.cases.count
                    ? Array(message.utf8) : JSONMutation.mutate(Array(message.utf8), using: &generator)
                let text = String(decoding: payload, as: UTF8.self).debugDescription
                lines.append(
                    "\(seed) \(round) json \(text) → \(outcome(decoder, payload, arrival: ReferenceArrival.impinj))"
                )
            }
        }
        return lines
    }

    static func digests(_ lines: [String]) -> [String] {
        stride(from: 0, to: lines.count, by: blockSize).map { start in
            var digest = Digest()
            for line in lines[start..<min(start + blockSize, lines.count)] { digest.add(line) }
            return digest.hex
        }
    }

    @Test("seeded mutations of real messages decode exactly as pinned, and every outcome holds the invariants")
    func pinnedOutcomes() throws {
        let lines = try Self.corpus()
        let digests = Self.digests(lines)
        if let directory = ProcessInfo.processInfo.environment["SORTGATE_DECODER_OUTCOMES"] {
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: directory + "/outcomes.txt",
                atomically: true,
                encoding: .utf8
            )
            try (digests.joined(separator: "\n") + "\n").write(
                toFile: directory + "/decoder-outcomes.txt",
                atomically: true,
                encoding: .utf8
            )
        }
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/decoder-outcomes.txt"))
        let pinned = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(pinned.count == digests.count)
        for (block, (expected, actual)) in zip(pinned, digests).enumerated() where expected != actual {
            Issue.record(
                "outcomes \(block * Self.blockSize)..<\((block + 1) * Self.blockSize) changed: \(lines[block * Self.blockSize])"
            )
        }
    }
}

/// Generic-mapping messages, each with the mapping that reads it, for the mutation corpora.
enum MappingCorpus {
    /// Events in an array deep in the message, every field mapped, names with a space.
    static let everyField = JSONFieldMapping(
        events: "/batch/tag reads",
        epc: "/tag/id",
        antenna: "/ant/port",
        rssi: "/rssi_dbm",
        rssiUnit: .dBm,
        time: "/ts",
        reads: "/n",
        eventNumber: "/seq"
    )

    static let cases: [(JSONFieldMapping, String)] = [
        (
            everyField,
            #"{"reader":{"name":"gate-7"},"batch":{"tag reads":[{"tag":{"id":"300000000000000000000001"},"#
                + #""ant":{"port":3},"rssi_dbm":-61.5,"ts":"2023-06-28T07:24:00.250Z","n":4,"seq":100},"#
                + #"{"tag":{"id":"e28068940000501200000002"},"ant":{"port":1},"rssi_dbm":-48,"#
                + #""ts":"2023-06-28T09:24:00.750+02:00","seq":101}]}}"#
        ),
        (
            JSONFieldMapping(
                events: "/data/tags~1v2",
                epc: "/m~0n/epc",
                epcEncoding: .base64,
                antenna: "/meta/1/antenna",
                rssi: "/rssi~0cdbm",
                rssiUnit: .centiDbm,
                time: "/t",
                timeUnit: .milliseconds
            ),
            #"{"data":{"tags/v2":[{"m~n":{"epc":"MAAAAAAAAAAAAAAB"},"meta":[{"x":1},{"antenna":2}],"#
                + #""rssi~cdbm":-4410,"t":1687937040123},{"m~n":{"epc":"MAAAAAAAAAAAAAAC"},"t":1687937040123.25}]}}"#
        ),
        (
            JSONFieldMapping(epc: "/epc", antenna: "/antenna", time: "/time", timeUnit: .seconds),
            #"[{"epc":"300000000000000000000001","antenna":1,"time":1687937040.5},"#
                + #"{"epc":"300000000000000000000002","time":"2023-06-28T07:24:00Z"}]"#
        ),
        (JSONFieldMapping(epc: ""), #"["300000000000000000000001","300000000000000000000002"]"#),
    ]
}
