import Foundation
import SortgateConfig
import SortgateCore
import Testing

@testable import SortgateIngest

/// Arrival times a little after the reference samples, so that their timestamps are plausible.
enum ReferenceArrival {
    /// One second after the Impinj reference sample's `timestamp` (2023-06-28T07:24:00.277766184Z).
    static let impinj = EventTime(nanoseconds: 1_687_937_041_000_000_000)
    /// One minute after the Zebra reference sample's `timestamp` (2023-04-03T19:50:16.699Z).
    static let zebra = EventTime(nanoseconds: 1_680_551_476_699_000_000)
}

/// What one `decode` call produced.
struct Decoded {
    var reads: [TagRead]
    var summary: DecodeSummary
}

/// Runs a fresh decoder over one message. Names are namespaced because other suites share
/// this test module.
enum DecodeHarness {
    static let source = SourceID(7)
    static let seq: UInt64 = 42

    /// Decodes `payload`, returning the reads or the rejection; checks that a rejection left
    /// the caller's reads untouched.
    static func run(
        _ payload: [UInt8],
        _ format: PayloadFormat,
        arrival: EventTime,
        maxPayload: Int = PayloadDecoder.defaultMaxPayload
    ) throws -> Result<Decoded, PayloadRejection> {
        let decoder = try PayloadDecoder(validating: format, maxPayload: maxPayload)
        let earlier = TagRead(
            source: SourceID(1),
            seq: 1,
            time: arrival,
            epc: EPC(w0: 0x30 << 56, bitCount: 96),
            antenna: 9
        )
        var reads = [earlier]
        do throws(PayloadRejection) {
            let summary = try decoder.decode(payload, source: source, seq: seq, arrival: arrival, into: &reads)
            #expect(reads.first == earlier, "decode must append, never replace")
            return .success(Decoded(reads: Array(reads.dropFirst()), summary: summary))
        } catch {
            #expect(reads == [earlier], "a thrown rejection must leave the reads untouched")
            return .failure(error)
        }
    }

    static func run(_ text: String, _ format: PayloadFormat, arrival: EventTime) throws -> Result<
        Decoded, PayloadRejection
    > {
        try run(Array(text.utf8), format, arrival: arrival)
    }

    /// The reads and summary of a message that must decode.
    static func decoded(_ text: String, _ format: PayloadFormat, arrival: EventTime) throws -> Decoded {
        try run(text, format, arrival: arrival).get()
    }

    /// The rejection thrown for a message that must be rejected.
    static func rejection(_ payload: [UInt8], _ format: PayloadFormat, arrival: EventTime) throws -> PayloadRejection {
        switch try run(payload, format, arrival: arrival) {
        case .failure(let rejection): return rejection
        case .success(let decoded): throw UnexpectedlyDecoded(decoded: decoded)
        }
    }

    static func rejection(_ text: String, _ format: PayloadFormat, arrival: EventTime) throws -> PayloadRejection {
        try rejection(Array(text.utf8), format, arrival: arrival)
    }

    struct UnexpectedlyDecoded: Error, CustomStringConvertible {
        var decoded: Decoded
        var description: String { "expected a rejection, but the message decoded: \(decoded)" }
    }
}

extension Result where Success == Decoded, Failure == PayloadRejection {
    /// The rejection of a failed decode, for expectations.
    var rejected: PayloadRejection? {
        if case .failure(let rejection) = self { return rejection }
        return nil
    }
}

enum PayloadFixture {
    struct NotFound: Error, CustomStringConvertible {
        var name: String
        var description: String { "fixture Fixtures/payloads/\(name) is not in the test bundle" }
    }

    /// The bytes of `Fixtures/payloads/<name>`.
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/payloads/\(name)")
        guard let url, let data = FileManager.default.contents(atPath: url.path) else { throw NotFound(name: name) }
        return Array(data)
    }
}
