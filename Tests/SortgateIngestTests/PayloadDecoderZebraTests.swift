import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

@Suite("PayloadDecoder: Zebra IoT Connector")
struct PayloadDecoderZebraTests {
    let arrival = ReferenceArrival.zebra

    @Test("the reference SIMPLE event decodes to exact values, +0200 read as the right UTC instant")
    func referenceSimple() throws {
        let decoded = try DecodeHarness.run(PayloadFixture.bytes("zebra-simple.json"), .zebraIoT, arrival: arrival)
            .get()
        #expect(decoded.summary == DecodeSummary(reads: 1))
        let read = try #require(decoded.reads.first)
        #expect(decoded.reads.count == 1)
        #expect(read.source == SourceID(7))
        #expect(read.seq == 42)
        #expect(read.epc.hex == "112233445566778899001134")
        #expect(read.antenna == 1)
        #expect(read.rssiCentiDbm == -5300)
        #expect(read.readCount == 387)
        #expect(read.vendorEventNumber == 1759)
        // 21:50:16.699 at +02:00 is 19:50:16.699 UTC.
        #expect(read.time.nanoseconds == 1_680_551_416_699_000_000)
        #expect(read.time == (try EventTime(rfc3339: "2023-04-03T19:50:16.699Z")))
    }

    @Test("a timestamp with more than nine fraction digits is truncated to nanoseconds, not a trap")
    func longFractionTimestamp() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"data":{"antenna":1,"idHex":"112233445566778899001134"},"timestamp":"2023-04-03T21:50:16.6990000001+0200","type":"SIMPLE"}"#,
            .zebraIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_680_551_416_699_000_000])
    }

    @Test("a CUSTOM event with extra fields and a lower-case idHex decodes")
    func customLowerCase() throws {
        let decoded = try DecodeHarness.run(PayloadFixture.bytes("zebra-custom.json"), .zebraIoT, arrival: arrival)
            .get()
        #expect(decoded.summary == DecodeSummary(reads: 1))
        let read = try #require(decoded.reads.first)
        #expect(read.epc.hex == "AA00BB11CC22DD33EE44FF55")
        #expect(read.antenna == 1)
        #expect(read.rssiCentiDbm == -3400)
        #expect(read.readCount == 1)
        #expect(read.vendorEventNumber == 22)
        #expect(read.time.nanoseconds == 1_680_551_460_000_000_000)
    }

    @Test("an array of events: reads in order, heartbeat ignored")
    func array() throws {
        let decoded = try DecodeHarness.run(PayloadFixture.bytes("zebra-array.json"), .zebraIoT, arrival: arrival).get()
        #expect(decoded.summary == DecodeSummary(reads: 2, ignoredEvents: 1))
        #expect(decoded.reads.map(\.epc.hex) == ["112233445566778899001135", "E280689400005012AB34CD56"])
        #expect(decoded.reads.map(\.antenna) == [2, 3])
        #expect(decoded.reads.map(\.rssiCentiDbm) == [-6000, -4700])
        #expect(decoded.reads.map(\.readCount) == [12, 2])
        #expect(decoded.reads.map(\.vendorEventNumber) == [1760, 1761])
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_680_551_417_001_000_000, 1_680_551_418_250_000_000])
    }

    @Test("a heartbeat alone is one ignored event")
    func heartbeat() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"type":"heartbeat","timestamp":"2023-04-03T21:50:17.500+0200","data":{"uptime":"1:02:03"}}"#,
            .zebraIoT,
            arrival: arrival
        )
        #expect(decoded.reads.isEmpty)
        #expect(decoded.summary == DecodeSummary(ignoredEvents: 1))
    }

    @Test("only idHex is required: antenna 0, no RSSI, one read, no event number, arrival time")
    func minimal() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"type":"SIMPLE","data":{"idHex":"1122"}}"#,
            .zebraIoT,
            arrival: arrival
        )
        let read = try #require(decoded.reads.first)
        #expect(read.epc.hex == "1122")
        #expect(read.epc.bitCount == 16)
        #expect(read.antenna == 0)
        #expect(read.rssiCentiDbm == nil)
        #expect(read.readCount == 1)
        #expect(read.vendorEventNumber == nil)
        #expect(read.time == arrival)
    }

    @Test("fractional dBm are rounded to the nearest centi-dBm")
    func fractionalRSSI() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"type":"CUSTOM","data":{"idHex":"1122","peakRssi":-53.456}}"#,
            .zebraIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.rssiCentiDbm) == [-5346])
    }

    @Test("one bad event in an array is reported with its index, the others are kept")
    func partialArray() throws {
        let decoded = try DecodeHarness.decoded(
            #"[{"type":"SIMPLE","data":{"idHex":"1122","reads":3}},"#
                + #"{"type":"SIMPLE","data":{"idHex":"3344","reads":0}},"#
                + #"{"type":"SIMPLE","data":{"idHex":"5566","eventNum":"9"}},"#
                + #"{"type":"SIMPLE","data":{"idHex":"7788","eventNum":9}}]"#,
            .zebraIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["1122", "7788"])
        #expect(decoded.reads.map(\.readCount) == [3, 1])
        #expect(decoded.reads.map(\.vendorEventNumber) == [nil, 9])
        #expect(
            decoded.summary.rejected == [
                PayloadRejection(
                    reason: .wrongType,
                    detail: "[1].data.reads: expected an integer from 1 to 4294967295, got number 0",
                    eventIndex: 1
                ),
                PayloadRejection(
                    reason: .wrongType,
                    detail: #"[2].data.eventNum: expected an integer, got string "9""#,
                    eventIndex: 2
                ),
            ]
        )
    }

    static let fieldRejectionsCases: [(String, RejectReason, String)] = [
        (
            #"{"type":"SIMPLE","data":{"idHex":"1122","reads":-4}}"#,
            RejectReason.wrongType,
            "data.reads: expected an integer from 1 to 4294967295, got number -4"
        ),
        (
            #"{"type":"SIMPLE","data":{"antenna":1,"peakRssi":-53}}"#,
            .missingField,
            "data.idHex: missing (the tag's EPC)"
        ),
        (
            #"{"type":"SIMPLE","timestamp":"2023-04-03T21:50:16.699+0200"}"#,
            .missingField,
            "data: missing in a tag event"
        ),
        (
            #"{"type":"SIMPLE","data":"1122"}"#,
            .wrongType,
            #"data: expected an object, got string "1122""#
        ),
        (
            #"{"type":"SIMPLE","data":{"idHex":"1122","peakRssi":"-53"}}"#,
            .wrongType,
            #"data.peakRssi: expected a number of dBm, got string "-53""#
        ),
        (
            #"{"type":"SIMPLE","data":{"idHex":"1122","antenna":-1}}"#,
            .wrongType,
            "data.antenna: expected an integer from 0 to 65535, got number -1"
        ),
        (
            #"{"type":"SIMPLE","data":{"idHex":"1122","eventNum":-1}}"#,
            .wrongType,
            "data.eventNum: expected an integer from 0 to 18446744073709551615, got number -1"
        ),
        (
            #"{"type":true,"data":{"idHex":"1122"}}"#,
            .wrongType,
            "type: expected a string, got boolean true"
        ),
        (
            #"[{"type":"SIMPLE","data":{"idHex":"11223"}}]"#,
            .invalidEPC,
            #"[0].data.idHex: invalid EPC "11223": odd number of hex digits (5); an EPC is whole bytes"#
        ),
        (
            #"[{"type":"SIMPLE","data":{"idHex":"1122"},"timestamp":"2023-04-03T21:50:16.699"}]"#,
            .invalidTimestamp,
            #"[0].timestamp: cannot read "2023-04-03T21:50:16.699" as an RFC 3339 timestamp: "#
                + "no time zone offset (expected Z or ±hh:mm)"
        ),
        (
            "12.5",
            .wrongType,
            "top level: expected a Zebra event object or an array of them, got number 12.5"
        ),
    ]

    @Test("field-level rejections name the field and what was found", arguments: fieldRejectionsCases)
    func fieldRejections(message: String, reason: RejectReason, detail: String) throws {
        let rejection = try DecodeHarness.rejection(message, .zebraIoT, arrival: arrival)
        #expect(rejection.reason == reason)
        #expect(rejection.detail == detail)
    }

    @Test("the largest eventNum is kept exactly")
    func largestEventNumber() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"type":"SIMPLE","data":{"idHex":"1122","eventNum":18446744073709551615}}"#,
            .zebraIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.vendorEventNumber) == [UInt64.max])
    }
}
