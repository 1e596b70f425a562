import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

@Suite("PayloadDecoder: generic JSON-pointer mapping")
struct PayloadDecoderJSONMappingTests {
    let arrival = ReferenceArrival.impinj

    @Test("an events array deep in the message, every field mapped")
    func everyField() throws {
        let mapping = MappingCorpus.everyField
        let message = #"""
            {"reader":{"name":"gate-7"},"batch":{"tag reads":[
              {"tag":{"id":"300000000000000000000001"},"ant":{"port":3},"rssi_dbm":-61.5,
               "ts":"2023-06-28T07:24:00.250Z","n":4,"seq":100},
              {"tag":{"id":"e28068940000501200000002"},"ant":{"port":1},"rssi_dbm":-48,
               "ts":"2023-06-28T09:24:00.750+02:00","seq":101}
            ]}}
            """#
        let decoded = try DecodeHarness.decoded(message, .json(mapping), arrival: arrival)
        #expect(decoded.summary == DecodeSummary(reads: 2))
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001", "E28068940000501200000002"])
        #expect(decoded.reads.map(\.antenna) == [3, 1])
        #expect(decoded.reads.map(\.rssiCentiDbm) == [-6150, -4800])
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_687_937_040_250_000_000, 1_687_937_040_750_000_000])
        #expect(decoded.reads.map(\.readCount) == [4, 1])
        #expect(decoded.reads.map(\.vendorEventNumber) == [100, 101])
        #expect(decoded.reads.allSatisfy { $0.source == SourceID(7) && $0.seq == 42 })
    }

    @Test("~0 and ~1 escapes, array indices, base64 EPC, centi-dBm, epoch milliseconds")
    func escapesAndIndices() throws {
        let mapping = JSONFieldMapping(
            events: "/data/tags~1v2",
            epc: "/m~0n/epc",
            epcEncoding: .base64,
            antenna: "/meta/1/antenna",
            rssi: "/rssi~0cdbm",
            rssiUnit: .centiDbm,
            time: "/t"
        )
        let message = #"""
            {"data":{"tags/v2":[{"m~n":{"epc":"MAAAAAAAAAAAAAAB"},"meta":[{"x":1},{"antenna":2}],
                                 "rssi~cdbm":-4410,"t":1687937040123}]}}
            """#
        let decoded = try DecodeHarness.decoded(message, .json(mapping), arrival: arrival)
        let read = try #require(decoded.reads.first)
        #expect(decoded.reads.count == 1)
        #expect(read.epc.hex == "300000000000000000000001")
        #expect(read.antenna == 2)
        #expect(read.rssiCentiDbm == -4410)
        #expect(read.time.nanoseconds == 1_687_937_040_123_000_000)
        #expect(read.readCount == 1)
        #expect(read.vendorEventNumber == nil)
    }

    @Test("a top-level array, time in fractional seconds")
    func topLevelArraySeconds() throws {
        let mapping = JSONFieldMapping(epc: "/epc", time: "/time", timeUnit: .seconds)
        let decoded = try DecodeHarness.decoded(
            #"[{"epc":"300000000000000000000001","time":1687937040.5},"#
                + #"{"epc":"300000000000000000000002","time":1687937040}]"#,
            .json(mapping),
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001", "300000000000000000000002"])
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_687_937_040_500_000_000, 1_687_937_040_000_000_000])
    }

    static let epochUnitsCases: [(JSONFieldMapping.TimeUnit, String, Int64)] = [
        (JSONFieldMapping.TimeUnit.microseconds, "1687937040123456", Int64(1_687_937_040_123_456_000)),
        (.nanoseconds, "1687937040123456789", 1_687_937_040_123_456_789),
        (.milliseconds, "1687937040123.5", 1_687_937_040_123_500_000),
    ]

    @Test("microsecond and nanosecond epoch times", arguments: epochUnitsCases)
    func epochUnits(unit: JSONFieldMapping.TimeUnit, number: String, nanoseconds: Int64) throws {
        let mapping = JSONFieldMapping(epc: "/epc", time: "/t", timeUnit: unit)
        let decoded = try DecodeHarness.decoded(
            #"{"epc":"300000000000000000000001","t":\#(number)}"#,
            .json(mapping),
            arrival: arrival
        )
        #expect(decoded.reads.map(\.time.nanoseconds) == [nanoseconds])
    }

    @Test("a single event object; missing optional fields take their defaults")
    func singleObject() throws {
        let mapping = JSONFieldMapping(epc: "/epc", antenna: "/antenna", rssi: "/rssi", time: "/time", reads: "/count")
        let decoded = try DecodeHarness.decoded(
            #"{"epc":"300000000000000000000001","rssi":-55}"#,
            .json(mapping),
            arrival: arrival
        )
        let read = try #require(decoded.reads.first)
        #expect(read.epc.hex == "300000000000000000000001")
        #expect(read.rssiCentiDbm == -5500)
        #expect(read.antenna == 0)
        #expect(read.time == arrival)
        #expect(read.readCount == 1)
    }

    @Test("events that are bare EPC strings, with the empty pointer for the EPC")
    func bareStrings() throws {
        let mapping = JSONFieldMapping(events: "/tags", epc: "")
        let decoded = try DecodeHarness.decoded(
            #"{"tags":["300000000000000000000001","300000000000000000000002"]}"#,
            .json(mapping),
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001", "300000000000000000000002"])
    }

    @Test("array indices with a leading zero or '-' name nothing (RFC 6901 §4)")
    func invalidIndexTokens() throws {
        let message = #"{"epc":"300000000000000000000001","ants":[5,6]}"#
        for (pointer, antenna) in [("/ants/1", UInt16(6)), ("/ants/01", 0), ("/ants/-", 0), ("/ants/2", 0)] {
            let decoded = try DecodeHarness.decoded(
                message,
                .json(JSONFieldMapping(epc: "/epc", antenna: pointer)),
                arrival: arrival
            )
            #expect(decoded.reads.map(\.antenna) == [antenna], "pointer \(pointer)")
        }
    }

    @Test("a bad event among good ones is reported by its absolute pointer")
    func partialBatch() throws {
        let mapping = JSONFieldMapping(events: "/tags", epc: "/tag/id", time: "/ts")
        let decoded = try DecodeHarness.decoded(
            #"{"tags":[{"tag":{"id":"300000000000000000000001"}},{"tag":{}},{"tag":{"id":"3000"},"ts":true}]}"#,
            .json(mapping),
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001"])
        #expect(
            decoded.summary.rejected == [
                PayloadRejection(reason: .missingField, detail: "/tags/1/tag/id: no EPC", eventIndex: 1),
                PayloadRejection(
                    reason: .wrongType,
                    detail: "/tags/2/ts: expected an RFC 3339 string or a number of milliseconds since 1970, "
                        + "got boolean true",
                    eventIndex: 2
                ),
            ]
        )
    }

    static let rejectionsCases: [(JSONFieldMapping, String, RejectReason, String)] = [
        (
            JSONFieldMapping(events: "/tags", epc: "/epc"),
            #"{"other":[]}"#,
            RejectReason.missingField,
            "/tags: no events array in the message"
        ),
        (
            JSONFieldMapping(events: "/tags", epc: "/epc"),
            #"{"tags":{"epc":"3000"}}"#,
            .wrongType,
            "/tags: expected an array of events, got an object"
        ),
        (
            JSONFieldMapping(epc: "/epc"),
            #"{"id":"3000"}"#,
            .missingField,
            "/epc: no EPC"
        ),
        (
            JSONFieldMapping(epc: "/epc", epcEncoding: .base64),
            #"{"epc":"MAAA*AAAAAAAAAAB"}"#,
            .invalidEPC,
            #"/epc: invalid base64 EPC "MAAA*AAAAAAAAAAB": '*' at offset 4 is not a base64 digit"#
        ),
        (
            JSONFieldMapping(epc: "/epc", reads: "/n"),
            #"{"epc":"3000","n":0}"#,
            .wrongType,
            "/n: expected an integer from 1 to 4294967295, got number 0"
        ),
        (
            JSONFieldMapping(epc: "/epc", rssi: "/rssi", rssiUnit: .centiDbm),
            #"{"epc":"3000","rssi":-44.5}"#,
            .wrongType,
            "/rssi: expected an integer, got number -44.5"
        ),
        (
            JSONFieldMapping(epc: "/epc", time: "/t", timeUnit: .seconds),
            #"{"epc":"3000","t":0}"#,
            .invalidTimestamp,
            "/t: 1970-01-01T00:00:00.000000000Z is before 2000-01-01T00:00:00Z; the reader's clock is not set"
        ),
        (
            JSONFieldMapping(epc: "/epc", time: "/t"),
            #"{"epc":"3000","t":4102444800000}"#,
            .invalidTimestamp,
            "/t: 2100-01-01T00:00:00.000000000Z is 27945 days after the message arrived "
                + "(2023-06-28T07:24:01.000000000Z), more than the 24 h a reader clock may run ahead"
        ),
        (
            JSONFieldMapping(epc: "/epc", time: "/t", timeUnit: .seconds),
            #"{"epc":"3000","t":1e15}"#,
            .invalidTimestamp,
            "/t: 1000000000000000.0 seconds since 1970 is beyond the year 2262"
        ),
        (
            JSONFieldMapping(epc: ""),
            #"42"#,
            .wrongType,
            "the message root: expected a string, got number 42"
        ),
    ]

    @Test("message-level and field-level rejections", arguments: rejectionsCases)
    func rejections(mapping: JSONFieldMapping, message: String, reason: RejectReason, detail: String) throws {
        let rejection = try DecodeHarness.rejection(message, .json(mapping), arrival: arrival)
        #expect(rejection.reason == reason)
        #expect(rejection.detail == detail)
    }

    @Test("an invalid pointer fails when the decoder is made, naming the mapping field")
    func invalidPointerAtInit() throws {
        #expect(
            throws: JSONPointerError(
                pointer: "rssi",
                offset: 0,
                reason: "a JSON pointer is empty or starts with '/' (write '/rssi' for a top-level key)",
                field: "rssi"
            )
        ) {
            _ = try PayloadDecoder(validating: .json(JSONFieldMapping(epc: "/epc", rssi: "rssi")))
        }
        #expect(
            throws: JSONPointerError(
                pointer: "/a~2",
                offset: 2,
                reason: "'~' must be followed by 0 (for '~') or 1 (for '/')",
                field: "epc"
            )
        ) {
            _ = try PayloadDecoder(validating: .json(JSONFieldMapping(epc: "/a~2")))
        }
    }
}
