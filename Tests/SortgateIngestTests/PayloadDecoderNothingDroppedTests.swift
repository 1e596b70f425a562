import SortgateConfig
import SortgateCore
import Testing

@testable import SortgateIngest

/// Messages that used to yield nothing and leave no trace (issue 15, item 6), and EPCs that no
/// tag's memory bank can hold: each is now rejected with a reason.
@Suite("PayloadDecoder: no message yields nothing silently")
struct PayloadDecoderNothingDroppedTests {
    let arrival = ReferenceArrival.impinj
    static let mapping = PayloadFormat.json(JSONFieldMapping(events: "/events", epc: "/epc"))

    static let emptyMessageCases: [(String, PayloadFormat, RejectReason, String)] = [
        (
            "{}", .impinjIoT, .missingField,
            "eventType: missing, and no tagInventoryEvent or overflowEvent tells what the event is"
        ),
        (
            #"{"events":null}"#, .impinjIoT, .missingField,
            "eventType: missing, and no tagInventoryEvent or overflowEvent tells what the event is"
        ),
        ("[]", .impinjIoT, .missingField, "top level: an empty array; the message holds no events"),
        (#"{"events":[]}"#, .impinjIoT, .missingField, "events: an empty array; the message holds no events"),
        (
            #"{"timestamp":"x",}"#, .impinjIoT, .malformedJSON,
            "byte offset 17: expected a member name in double quotes, found '}'"
        ),
        ("{}", .zebraIoT, .missingField, "type: missing, and no data to read a tag from"),
        ("[]", .zebraIoT, .missingField, "top level: an empty array; the message holds no events"),
        ("[{},{}]", .zebraIoT, .missingField, "[0].type: missing, and no data to read a tag from (and 1 more rejected event; no event was usable)"),
        (#"{"type":"SIMPLE",}"#, .zebraIoT, .malformedJSON, "byte offset 17: expected a member name in double quotes, found '}'"),
        ("[1,]", .zebraIoT, .malformedJSON, "byte offset 3: expected a value, found ']'"),
        (#"{"events":[]}"#, mapping, .missingField, "/events: an empty array; the message holds no events"),
        ("[]", .json(JSONFieldMapping(epc: "/epc")), .missingField, "the message root: an empty array; the message holds no events"),
    ]

    @Test("a message without events, or with only an event that says nothing, is rejected", arguments: emptyMessageCases)
    func emptyMessages(message: String, format: PayloadFormat, reason: RejectReason, detail: String) throws {
        let rejection = try DecodeHarness.rejection(message, format, arrival: arrival)
        #expect(rejection.reason == reason)
        #expect(rejection.detail == detail)
    }

    @Test("an untyped event without a body is rejected in a batch too; the batch's other events count")
    func untypedEventInABatch() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"events":[{},{"tagInventoryEvent":{"epcHex":"300000000000000000000001"}}]}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001"])
        #expect(
            decoded.summary.rejected == [
                PayloadRejection(
                    reason: .missingField,
                    detail: "events[0].eventType: missing, and no tagInventoryEvent or overflowEvent tells what the event is",
                    eventIndex: 0
                )
            ]
        )
    }

    static let shortEPCCases: [(String, PayloadFormat, String)] = [
        (
            #"{"tagInventoryEvent":{"epcHex":"E2"}}"#, .impinjIoT,
            #"tagInventoryEvent.epcHex: invalid EPC "E2": "#
        ),
        (
            #"{"tagInventoryEvent":{"epcHex":"E2E2E2"}}"#, .impinjIoT,
            #"tagInventoryEvent.epcHex: invalid EPC "E2E2E2": "#
        ),
        (#"{"tagInventoryEvent":{"epc":"4g=="}}"#, .impinjIoT, #"tagInventoryEvent.epc: invalid EPC "4g==": "#),
        (#"{"type":"SIMPLE","data":{"idHex":"E2E2E2"}}"#, .zebraIoT, #"data.idHex: invalid EPC "E2E2E2": "#),
        (#"{"epc":"E2"}"#, .json(JSONFieldMapping(epc: "/epc")), #"/epc: invalid EPC "E2": "#),
    ]

    @Test("EPCs that are not a whole number of 16-bit words are invalid-epc", arguments: shortEPCCases)
    func shortEPCs(message: String, format: PayloadFormat, detailPrefix: String) throws {
        let rejection = try DecodeHarness.rejection(message, format, arrival: arrival)
        #expect(rejection.reason == .invalidEPC)
        #expect(rejection.detail.hasPrefix(detailPrefix), "\(rejection.detail)")
        #expect(rejection.detail.hasSuffix("is not a whole number of 16-bit words, as a tag's EPC memory bank holds"))
    }

    @Test("EPCs of 16, 32 and 96 bits are accepted")
    func wordEPCs() throws {
        for hex in ["E2E2", "E2E2E2E2", "300000000000000000000001"] {
            let decoded = try DecodeHarness.decoded(
                #"{"tagInventoryEvent":{"epcHex":"\#(hex)"}}"#,
                .impinjIoT,
                arrival: arrival
            )
            #expect(decoded.reads.map(\.epc.hex) == [hex])
        }
    }

    @Test("the EPC length rule of the Tag Data Standard")
    func tagMemoryRule() throws {
        #expect(try EPC(hex: "E2").tagMemoryProblem != nil)
        #expect(try EPC(hex: "E2E2E2").tagMemoryProblem != nil)
        #expect(try EPC(hex: "E2E2").tagMemoryProblem == nil)
        #expect(try EPC(hex: String(repeating: "AB", count: 32)).tagMemoryProblem == nil)
    }
}
