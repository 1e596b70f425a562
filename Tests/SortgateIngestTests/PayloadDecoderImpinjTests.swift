import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

@Suite("PayloadDecoder: Impinj IoT Device Interface")
struct PayloadDecoderImpinjTests {
    let arrival = ReferenceArrival.impinj

    @Test("the reference tagInventory event decodes to exact values")
    func referenceSample() throws {
        let decoded = try DecodeHarness.run(
            PayloadFixture.bytes("impinj-tag-inventory.json"),
            .impinjIoT,
            arrival: arrival
        )
        .get()
        #expect(decoded.summary == DecodeSummary(reads: 1))
        let read = try #require(decoded.reads.first)
        #expect(decoded.reads.count == 1)
        #expect(read.source == SourceID(7))
        #expect(read.seq == 42)
        #expect(read.epc.hex == "E2C451A3A5011FA00F354693")
        #expect(read.epc.bitCount == 96)
        #expect(read.antenna == 2)
        #expect(read.rssiCentiDbm == -5750)
        #expect(read.time.nanoseconds == 1_687_937_040_277_766_184)
        #expect(read.readCount == 1)
        #expect(read.vendorEventNumber == nil)
    }

    @Test("a timestamp with more than nine fraction digits is truncated to nanoseconds, not a trap")
    func longFractionTimestamp() throws {
        for digits in ["1234567890", "12345678901234567890123"] {
            let decoded = try DecodeHarness.decoded(
                #"{"timestamp":"2023-06-28T07:24:00.\#(digits)Z","tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#,
                .impinjIoT,
                arrival: arrival
            )
            #expect(decoded.reads.map(\.time.nanoseconds) == [1_687_937_040_123_456_789])
        }
    }

    @Test("a minimal event with only a base64 epc decodes")
    func minimalBase64Event() throws {
        let decoded = try DecodeHarness.run(PayloadFixture.bytes("impinj-minimal.json"), .impinjIoT, arrival: arrival)
            .get()
        #expect(decoded.summary == DecodeSummary(reads: 1))
        #expect(decoded.reads.map(\.epc.hex) == ["E2C451A3A5011FA00F354693"])
        #expect(decoded.reads.map(\.antenna) == [1])
        #expect(decoded.reads.map(\.rssiCentiDbm) == [-3200])
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_687_937_040_500_000_000])
        #expect(decoded.reads.map(\.readCount) == [1])
    }

    @Test("epcHex wins over epc when both are present")
    func epcHexPreferred() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"tagInventoryEvent":{"epc":"MAAAAAAAAAAAAAAB","epcHex":"300000000000000000000002"}}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000002"])
    }

    @Test("without timestamp, lastSeenTime or antennaPort: arrival time, antenna 0, no RSSI")
    func defaults() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"eventType":"tagInventory","tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#,
            .impinjIoT,
            arrival: arrival
        )
        let read = try #require(decoded.reads.first)
        #expect(read.time == arrival)
        #expect(read.antenna == 0)
        #expect(read.rssiCentiDbm == nil)
        #expect(read.readCount == 1)
    }

    @Test("explicit nulls count as absent fields")
    func nullFields() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"timestamp":null,"tagInventoryEvent":{"epcHex":null,"epc":"MAAAAAAAAAAAAAAB","antennaPort":null}}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001"])
        #expect(decoded.reads.map(\.antenna) == [0])
        #expect(decoded.reads.map(\.time) == [arrival])
    }

    @Test("the events batch: tag reads kept, status events ignored, overflow counted")
    func batchWrapper() throws {
        let decoded = try DecodeHarness.run(PayloadFixture.bytes("impinj-batch.json"), .impinjIoT, arrival: arrival)
            .get()
        #expect(decoded.summary == DecodeSummary(reads: 2, ignoredEvents: 3, overflowWarnings: 1))
        #expect(decoded.summary.events == 5)
        #expect(decoded.reads.map(\.epc.hex) == ["E2C451A3A5011FA00F354693", "300000000000000000000001"])
        #expect(decoded.reads.map(\.antenna) == [1, 4])
        #expect(decoded.reads.map(\.rssiCentiDbm) == [-6100, nil])
        // The second read has no `timestamp`, so its tag's `lastSeenTime` is its event time.
        #expect(decoded.reads.map(\.time.nanoseconds) == [1_687_937_040_100_000_000, 1_687_937_040_300_000_000])
        #expect(decoded.reads.allSatisfy { $0.source == SourceID(7) && $0.seq == 42 })
    }

    @Test("a top-level array of events is a batch too")
    func topLevelArray() throws {
        let decoded = try DecodeHarness.decoded(
            #"[{"tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaPort":1}},"#
                + #"{"tagInventoryEvent":{"epcHex":"300000000000000000000002","antennaPort":2}}]"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.summary == DecodeSummary(reads: 2))
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001", "300000000000000000000002"])
        #expect(decoded.reads.map(\.antenna) == [1, 2])
    }

    static let ignoredEventTypesCases: [(String, Int)] = [
        ("antennaConnected", 0), ("antennaDisconnected", 0), ("inventoryStatus", 0), ("inventoryTerminated", 0),
        ("diagnostic", 0), ("overflow", 1), ("tagLocationEntry", 0), ("tagLocationUpdate", 0),
        ("tagLocationExit", 0), ("somethingNewInFirmware9", 0),
    ]

    @Test("non-tag events are ignored and counted, overflow also as a warning", arguments: ignoredEventTypesCases)
    func ignoredEventTypes(eventType: String, overflowWarnings: Int) throws {
        let decoded = try DecodeHarness.decoded(
            #"{"timestamp":"2023-06-28T07:24:00Z","eventType":"\#(eventType)"}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.isEmpty)
        #expect(decoded.summary == DecodeSummary(ignoredEvents: 1, overflowWarnings: overflowWarnings))
    }

    @Test("an event without eventType but with overflowEvent is an overflow warning")
    func overflowWithoutEventType() throws {
        let decoded = try DecodeHarness.decoded(#"{"overflowEvent":{}}"#, .impinjIoT, arrival: arrival)
        #expect(decoded.summary == DecodeSummary(ignoredEvents: 1, overflowWarnings: 1))
    }

    @Test("one bad event in a batch is reported, the good ones around it are kept")
    func partialBatch() throws {
        let message = #"""
            {"events":[
              {"tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaPort":1}},
              {"tagInventoryEvent":{"epcHex":"300000000000000000000002","antennaPort":"2"}},
              {"tagInventoryEvent":{"epcHex":"300000000000000000000003","antennaPort":3}},
              {"tagInventoryEvent":{"antennaPort":4}}
            ]}
            """#
        let decoded = try DecodeHarness.decoded(message, .impinjIoT, arrival: arrival)
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001", "300000000000000000000003"])
        #expect(decoded.summary.reads == 2)
        #expect(
            decoded.summary.rejected == [
                PayloadRejection(
                    reason: .wrongType,
                    detail: #"events[1].tagInventoryEvent.antennaPort: expected an integer, got string "2""#,
                    eventIndex: 1
                ),
                PayloadRejection(
                    reason: .missingField,
                    detail: "events[3].tagInventoryEvent: no EPC, neither epcHex nor epc is present "
                        + "(enable one in the reader's eventConfig)",
                    eventIndex: 3
                ),
            ]
        )
    }

    @Test("a batch whose every event is rejected throws the first rejection")
    func allEventsRejected() throws {
        let rejection = try DecodeHarness.rejection(
            #"{"events":[{"tagInventoryEvent":{"epcHex":"ABC"}},{"tagInventoryEvent":{"epcHex":"XYZ1"}}]}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(rejection.reason == .invalidEPC)
        #expect(rejection.eventIndex == 0)
        #expect(
            rejection.detail
                == #"events[0].tagInventoryEvent.epcHex: invalid EPC "ABC": odd number of hex digits (3); "#
                + "an EPC is whole bytes (and 1 more rejected event; no event was usable)"
        )
    }

    @Test("a message holding only ignored events and rejected events does not throw")
    func rejectedNextToIgnored() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"events":[{"eventType":"diagnostic"},{"tagInventoryEvent":{}}]}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.isEmpty)
        #expect(decoded.summary.ignoredEvents == 1)
        #expect(decoded.summary.rejected.map(\.reason) == [.missingField])
        #expect(decoded.summary.rejected.map(\.eventIndex) == [1])
    }

    @Test("an empty batch is rejected as missing-field: a message that yields nothing is never dropped silently")
    func emptyBatch() throws {
        let rejection = try DecodeHarness.rejection(#"{"events":[]}"#, .impinjIoT, arrival: arrival)
        #expect(
            rejection
                == PayloadRejection(reason: .missingField, detail: "events: an empty array; the message holds no events")
        )
    }

    static let fieldRejectionsCases: [(String, RejectReason, String)] = [
        (
            #"{"tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaPort":70000}}"#,
            RejectReason.wrongType,
            "tagInventoryEvent.antennaPort: expected an integer from 0 to 65535, got number 70000"
        ),
        (
            #"{"tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaPort":1.5}}"#,
            .wrongType,
            "tagInventoryEvent.antennaPort: expected an integer, got number 1.5"
        ),
        (
            #"{"tagInventoryEvent":{"epcHex":"300000000000000000000001","peakRssiCdbm":"-5750"}}"#,
            .wrongType,
            #"tagInventoryEvent.peakRssiCdbm: expected an integer, got string "-5750""#
        ),
        (
            #"{"tagInventoryEvent":{"epcHex":300000000000000000000001}}"#,
            .wrongType,
            "tagInventoryEvent.epcHex: expected a string, got number 3e+23"
        ),
        (
            #"{"eventType":7,"tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#,
            .wrongType,
            "eventType: expected a string, got number 7"
        ),
        (
            #"{"eventType":"tagInventory","tagInventoryEvent":[1,2]}"#,
            .wrongType,
            "tagInventoryEvent: expected an object, got an array of 2 elements"
        ),
        (
            #"{"eventType":"tagInventory"}"#,
            .missingField,
            "tagInventoryEvent: missing in an event of type tagInventory"
        ),
        (
            #"{"tagInventoryEvent":{"antennaPort":1,"peakRssiCdbm":-3200}}"#,
            .missingField,
            "tagInventoryEvent: no EPC, neither epcHex nor epc is present (enable one in the reader's eventConfig)"
        ),
        (
            #"{"events":{"tagInventoryEvent":{}}}"#,
            .wrongType,
            "events: expected an array of events, got an object"
        ),
        (
            #""hello""#,
            .wrongType,
            #"top level: expected an Impinj event object or {"events":[…]}, got string "hello""#
        ),
        (
            #"{"events":[17]}"#,
            .wrongType,
            "events[0]: expected an object, got number 17"
        ),
    ]

    @Test("field-level rejections name the field and what was found", arguments: fieldRejectionsCases)
    func fieldRejections(message: String, reason: RejectReason, detail: String) throws {
        let rejection = try DecodeHarness.rejection(message, .impinjIoT, arrival: arrival)
        #expect(rejection.reason == reason)
        #expect(rejection.detail == detail)
    }

    @Test("device text in a detail is escaped, so it cannot break a log line")
    func detailEscapesDeviceText() throws {
        let rejection = try DecodeHarness.rejection(
            #"{"tagInventoryEvent":{"epcHex":"30\n\"0\u0007"}}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(rejection.reason == .invalidEPC)
        #expect(
            rejection.detail == #"tagInventoryEvent.epcHex: invalid EPC "30\n\"0\u{7}": non-hex character at offset 2"#
        )
        #expect(!rejection.detail.contains("\n"))
    }
}
