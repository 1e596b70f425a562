import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

/// Message-level checks shared by every format: size, encoding, JSON syntax, EPC and
/// timestamp validation, and that a rejection never affects the next message.
@Suite("PayloadDecoder: message checks and rejections")
struct PayloadDecoderTests {
    let arrival = ReferenceArrival.impinj
    let goodImpinj =
        #"{"timestamp":"2023-06-28T07:24:00.5Z","tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#

    @Test("a payload above max_payload is oversize; one at the limit is decoded")
    func oversize() throws {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: 1_048_576)
        let rejection = try DecodeHarness.rejection(big, .impinjIoT, arrival: arrival)
        #expect(
            rejection
                == PayloadRejection(reason: .oversize, detail: "payload is 1048576 bytes, above max_payload 65536")
        )

        let message = Array(goodImpinj.utf8)
        let atLimit = try DecodeHarness.run(message, .impinjIoT, arrival: arrival, maxPayload: message.count).get()
        #expect(atLimit.reads.map(\.epc.hex) == ["300000000000000000000001"])
        let overLimit = try DecodeHarness.run(message, .impinjIoT, arrival: arrival, maxPayload: message.count - 1)
        #expect(
            overLimit.rejected
                == PayloadRejection(reason: .oversize, detail: "payload is 96 bytes, above max_payload 95")
        )
    }

    @Test("size is checked before encoding")
    func sizeBeforeEncoding() throws {
        let garbage = [UInt8](repeating: 0xFF, count: 100)
        let result = try DecodeHarness.run(garbage, .zebraIoT, arrival: arrival, maxPayload: 99)
        #expect(result.rejected?.reason == .oversize)
    }

    static let invalidUTF8Cases: [([UInt8], String)] = [
        (Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), "invalid UTF-8 at byte 6 (0xC3 0x28)"),
        ([UInt8(ascii: "{"), 0xFF, UInt8(ascii: "}")], "invalid UTF-8 at byte 1 (0xFF)"),
        // An overlong encoding of '/', a UTF-16 surrogate, and a sequence cut off by the end.
        (Array(#"["#.utf8) + [0xC0, 0xAF] + Array(#"]"#.utf8), "invalid UTF-8 at byte 1 (0xC0)"),
        (Array(#"["x"#.utf8) + [0xED, 0xA0, 0x80], "invalid UTF-8 at byte 3 (0xED 0xA0)"),
        (Array(#"["x"#.utf8) + [0xF0, 0x9F, 0x98], "invalid UTF-8 at byte 3 (0xF0 0x9F 0x98)"),
        ([0xF4, 0x90, 0x80, 0x80], "invalid UTF-8 at byte 0 (0xF4 0x90)"),
    ]

    @Test("invalid UTF-8 is rejected at its byte offset", arguments: invalidUTF8Cases)
    func invalidUTF8(payload: [UInt8], detail: String) throws {
        let rejection = try DecodeHarness.rejection(payload, .impinjIoT, arrival: arrival)
        #expect(rejection == PayloadRejection(reason: .invalidUTF8, detail: detail))
    }

    @Test("valid multi-byte UTF-8 passes the encoding check")
    func multiByteUTF8() throws {
        let decoded = try DecodeHarness.decoded(
            #"{"hostname":"Tor Süd 🚚","#
                + #""tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaName":"左"}}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001"])
    }

    static let malformedJSONCases: [(String, String)] = [
        ("", "byte offset 0: unexpected end of JSON (empty payload)"),
        ("  \n ", "byte offset 4: unexpected end of JSON (expected a value)"),
        (#"{"timestamp":"2023"#, "byte offset 18: unexpected end of JSON (string starting at byte 13 is not closed)"),
        (#"{"a":1"#, "byte offset 6: unexpected end of JSON (object opened at byte 0 is not closed)"),
        (#"{"events":[{"a":1},"#, "byte offset 19: unexpected end of JSON (expected a value)"),
        (#"{"a":tru}"#, "byte offset 5: invalid literal (expected true, false or null)"),
        (#"{"a" 1}"#, "byte offset 5: expected ':' after a member name, found '1'"),
        (#"{a:1}"#, "byte offset 1: expected a member name in double quotes, found 'a'"),
        (#"{"a":1 "b":2}"#, "byte offset 7: expected ',' or '}' after an object member, found '\"'"),
        (#"[1 2]"#, "byte offset 3: expected ',' or ']' after an array element, found '2'"),
        (#"{"a":1}x"#, "byte offset 7: unexpected 'x' after the end of the JSON value"),
        (#"{"a":1}  \#n x"#, "byte offset 11: unexpected 'x' after the end of the JSON value"),
        (#""text" x"#, "byte offset 7: unexpected 'x' after the end of the JSON value"),
        (#"{"a":"\q"}"#, #"byte offset 6: invalid escape '\q' in a string"#),
        (#"{"a":"\u12"}"#, #"byte offset 6: \u escape needs four hex digits"#),
        (#"{"a":"\ud800"}"#, "byte offset 6: high surrogate escape not followed by a low surrogate escape"),
        ("{\"a\":\"line\nbreak\"}", "byte offset 10: control character 0x0A inside a string must be escaped"),
        ("{\"a\":\"x\u{0}\"}", "byte offset 7: control character 0x00 inside a string must be escaped"),
        (#"{"a":"\udc00"}"#, "byte offset 6: low surrogate escape without a high surrogate before it"),
        (#"{"a":01}"#, "byte offset 5: numbers may not have leading zeros"),
        (#"{"a":1e}"#, "byte offset 7: expected a digit in the exponent, found '}'"),
        (#"{"a":-}"#, "byte offset 6: expected a digit, found '}'"),
        (#"{"a":1.}"#, "byte offset 7: expected a digit after the decimal point, found '}'"),
        (#"{"a":'x'}"#, "byte offset 5: expected a value, found '''"),
        (String(repeating: "[", count: 600), "byte offset 512: nested deeper than 512 arrays and objects"),
    ]

    @Test("broken JSON is rejected with the byte offset and what is wrong", arguments: malformedJSONCases)
    func malformedJSON(message: String, detail: String) throws {
        let rejection = try DecodeHarness.rejection(message, .impinjIoT, arrival: arrival)
        #expect(rejection == PayloadRejection(reason: .malformedJSON, detail: detail))
    }

    @Test("a number too large for a Double is malformed-json, at its offset")
    func unrepresentableNumber() throws {
        let rejection = try DecodeHarness.rejection(#"{"a":1e400}"#, .zebraIoT, arrival: arrival)
        #expect(
            rejection
                == PayloadRejection(
                    reason: .malformedJSON,
                    detail: "byte offset 5: number 1e400 is beyond the range of a Double"
                )
        )
    }

    @Test("a UTF-8 byte order mark before the JSON is allowed")
    func byteOrderMark() throws {
        let decoded = try DecodeHarness.run([0xEF, 0xBB, 0xBF] + Array(goodImpinj.utf8), .impinjIoT, arrival: arrival)
            .get()
        #expect(decoded.reads.map(\.epc.hex) == ["300000000000000000000001"])
    }

    static let invalidEPCCases: [(String, String)] = [
        (
            #""epcHex":"E2C451A3A5011FA00F35469""#,
            #"tagInventoryEvent.epcHex: invalid EPC "E2C451A3A5011FA00F35469": "#
                + "odd number of hex digits (23); an EPC is whole bytes"
        ),
        (
            #""epcHex":"E2C451A3A5011FA00F35469G""#,
            #"tagInventoryEvent.epcHex: invalid EPC "E2C451A3A5011FA00F35469G": "#
                + "non-hex character at offset 23"
        ),
        (#""epcHex":"""#, #"tagInventoryEvent.epcHex: invalid EPC "": empty EPC"#),
        (
            #""epcHex":"\#(String(repeating: "AB", count: 33))""#,
            #"tagInventoryEvent.epcHex: invalid EPC ""#
                + String(repeating: "AB", count: 24) + #"…": EPC of 264 bits is longer than the 256 bits supported"#
        ),
        (
            #""epc":"4sRRo6UBH6APNUa!""#,
            #"tagInventoryEvent.epc: invalid base64 EPC "4sRRo6UBH6APNUa!": "#
                + "'!' at offset 15 is not a base64 digit"
        ),
        (
            #""epc":"4sRRo6UBH6APNUaTx""#,
            #"tagInventoryEvent.epc: invalid base64 EPC "4sRRo6UBH6APNUaTx": "#
                + "length 17 cannot be base64 (one digit too many or too few)"
        ),
        (
            #""epc":"NAA==""#,
            #"tagInventoryEvent.epc: invalid base64 EPC "NAA==": "#
                + "length 5 with '=' padding is not a multiple of 4"
        ),
        (#""epc":"""#, #"tagInventoryEvent.epc: invalid EPC "": empty EPC"#),
    ]

    @Test("bad EPCs are invalid-epc with the reason", arguments: invalidEPCCases)
    func invalidEPC(field: String, detail: String) throws {
        let rejection = try DecodeHarness.rejection(#"{"tagInventoryEvent":{\#(field)}}"#, .impinjIoT, arrival: arrival)
        #expect(rejection == PayloadRejection(reason: .invalidEPC, detail: detail))
    }

    static let base64PaddingCases: [(String, String)] = [
        ("NAA=", "3400"), ("NAA", "3400"), ("NDQ0NA==", "34343434"), ("NDQ0NA", "34343434"),
        ("4sRRo6UBH6APNUaT", "E2C451A3A5011FA00F354693"),
    ]

    @Test("base64 EPCs with and without padding decode to the same bytes", arguments: base64PaddingCases)
    func base64Padding(base64: String, hex: String) throws {
        let decoded = try DecodeHarness.decoded(
            #"{"tagInventoryEvent":{"epc":"\#(base64)"}}"#,
            .impinjIoT,
            arrival: arrival
        )
        #expect(decoded.reads.map(\.epc.hex) == [hex])
    }

    static let invalidTimestampCases: [(String, RejectReason, String)] = [
        (
            #""2023-06-28 07:24""#, RejectReason.invalidTimestamp,
            #"timestamp: cannot read "2023-06-28 07:24" as an RFC 3339 timestamp: too short for YYYY-MM-DDThh:mm:ss"#
        ),
        (
            #""2023-06-28T07:24:00""#, .invalidTimestamp,
            #"timestamp: cannot read "2023-06-28T07:24:00" as an RFC 3339 timestamp: "#
                + "no time zone offset (expected Z or ±hh:mm)"
        ),
        (
            #""2023-02-30T07:24:00Z""#, .invalidTimestamp,
            #"timestamp: cannot read "2023-02-30T07:24:00Z" as an RFC 3339 timestamp: "#
                + "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm) with valid field values"
        ),
        (
            #""1970-01-01T00:00:05Z""#, .invalidTimestamp,
            "timestamp: 1970-01-01T00:00:05.000000000Z is before 2000-01-01T00:00:00Z; the reader's clock is not set"
        ),
        (
            #""2023-06-29T08:00:00Z""#, .invalidTimestamp,
            "timestamp: 2023-06-29T08:00:00.000000000Z is 24 h 35 min after the message arrived "
                + "(2023-06-28T07:24:01.000000000Z), more than the 24 h a reader clock may run ahead"
        ),
        ("1687937040277", .wrongType, "timestamp: expected an RFC 3339 timestamp string, got number 1687937040277"),
    ]

    @Test("bad timestamps are invalid-timestamp with the reason", arguments: invalidTimestampCases)
    func invalidTimestamp(timestamp: String, reason: RejectReason, detail: String) throws {
        let message = #"{"timestamp":\#(timestamp),"tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#
        let rejection = try DecodeHarness.rejection(message, .impinjIoT, arrival: arrival)
        #expect(rejection == PayloadRejection(reason: reason, detail: detail))
    }

    @Test("a reader clock up to a day ahead of arrival is accepted; the reader's time is kept")
    func clockAheadWithinADay() throws {
        let message = #"{"timestamp":"2023-06-29T07:24:00Z","tagInventoryEvent":{"epcHex":"300000000000000000000001"}}"#
        let decoded = try DecodeHarness.decoded(message, .impinjIoT, arrival: arrival)
        #expect(decoded.reads.map(\.time) == [try EventTime(rfc3339: "2023-06-29T07:24:00Z")])
    }

    /// A format with one good message and one message per field-level rejection class.
    struct RecoveryCase: Sendable, CustomTestStringConvertible {
        var format: PayloadFormat
        var good: String
        var fieldRejections: [(message: String, reason: RejectReason)]
        var testDescription: String { "\(format)" }
    }

    static let recoveryCases: [RecoveryCase] = [
        RecoveryCase(
            format: .impinjIoT,
            good: #"{"tagInventoryEvent":{"epcHex":"300000000000000000000001","antennaPort":2}}"#,
            fieldRejections: [
                (#"{"tagInventoryEvent":{"epcHex":"3G"}}"#, .invalidEPC),
                (#"{"tagInventoryEvent":{"epc":"MA="}}"#, .invalidEPC),
                (#"{"tagInventoryEvent":{"antennaPort":2}}"#, .missingField),
                (#"{"tagInventoryEvent":{"epcHex":"3000","antennaPort":"2"}}"#, .wrongType),
                (#"{"timestamp":"yesterday","tagInventoryEvent":{"epcHex":"3000"}}"#, .invalidTimestamp),
            ]
        ),
        RecoveryCase(
            format: .zebraIoT,
            good: #"{"type":"SIMPLE","data":{"idHex":"300000000000000000000001","antenna":2}}"#,
            fieldRejections: [
                (#"{"type":"SIMPLE","data":{"idHex":"3G"}}"#, .invalidEPC),
                (#"{"type":"SIMPLE","data":{"antenna":2}}"#, .missingField),
                (#"{"type":"SIMPLE","data":{"idHex":"3000","reads":"2"}}"#, .wrongType),
                (#"{"type":"SIMPLE","timestamp":"1999-12-31T23:59:59Z","data":{"idHex":"3000"}}"#, .invalidTimestamp),
            ]
        ),
        RecoveryCase(
            format: .json(JSONFieldMapping(epc: "/epc", antenna: "/ant", time: "/t")),
            good: #"{"epc":"300000000000000000000001","ant":2}"#,
            fieldRejections: [
                (#"{"epc":"3G"}"#, .invalidEPC),
                (#"{"ant":2}"#, .missingField),
                (#"{"epc":"3000","ant":[2]}"#, .wrongType),
                (#"{"epc":"3000","t":"2023-06-28T07:24:00+25:00"}"#, .invalidTimestamp),
            ]
        ),
    ]

    @Test("after each kind of rejected message, the same decoder decodes the next good one", arguments: recoveryCases)
    func goodMessageAfterRejections(recovery: RecoveryCase) throws {
        let decoder = PayloadDecoder(format: recovery.format, maxPayload: 256)
        let messageRejections: [(payload: [UInt8], reason: RejectReason)] = [
            ([UInt8](repeating: UInt8(ascii: " "), count: 257), .oversize),
            ([0x7B, 0xFE, 0x7D], .invalidUTF8),
            (Array(#"{"data":{"#.utf8), .malformedJSON),
        ]
        let cases = messageRejections + recovery.fieldRejections.map { (Array($0.message.utf8), $0.reason) }
        var reads: [TagRead] = []
        for (index, (payload, expected)) in cases.enumerated() {
            do throws(PayloadRejection) {
                let summary = try decoder.decode(
                    payload,
                    source: SourceID(3),
                    seq: UInt64(index),
                    arrival: arrival,
                    into: &reads
                )
                Issue.record("message \(index) should be rejected as \(expected), decoded: \(summary)")
            } catch {
                #expect(error.reason == expected, "message \(index): \(error)")
            }
        }
        #expect(reads.isEmpty)
        let summary = try decoder.decode(
            Array(recovery.good.utf8),
            source: SourceID(3),
            seq: 99,
            arrival: arrival,
            into: &reads
        )
        #expect(summary == DecodeSummary(reads: 1))
        #expect(
            reads == [
                TagRead(
                    source: SourceID(3),
                    seq: 99,
                    time: arrival,
                    epc: try EPC(hex: "300000000000000000000001"),
                    antenna: 2
                )
            ]
        )
    }

    @Test("the byte-collection overload reads arrays, slices and non-contiguous collections alike")
    func collectionOverloads() throws {
        let decoder = PayloadDecoder(format: .impinjIoT)
        let bytes = Array(goodImpinj.utf8)
        var fromArray: [TagRead] = []
        var fromSlice: [TagRead] = []
        var fromLazy: [TagRead] = []
        var fromRaw: [TagRead] = []
        let padded = [UInt8(ascii: "x")] + bytes + [UInt8(ascii: "y")]
        _ = try decoder.decode(bytes, source: SourceID(1), seq: 5, arrival: arrival, into: &fromArray)
        _ = try decoder.decode(
            padded.dropFirst().dropLast(),
            source: SourceID(1),
            seq: 5,
            arrival: arrival,
            into: &fromSlice
        )
        _ = try decoder.decode(bytes.lazy.map { $0 }, source: SourceID(1), seq: 5, arrival: arrival, into: &fromLazy)
        try bytes.withUnsafeBytes { buffer in
            _ = try decoder.decode(buffer, source: SourceID(1), seq: 5, arrival: arrival, into: &fromRaw)
        }
        let expected = [
            TagRead(
                source: SourceID(1),
                seq: 5,
                time: try EventTime(rfc3339: "2023-06-28T07:24:00.5Z"),
                epc: try EPC(hex: "300000000000000000000001"),
                antenna: 0
            )
        ]
        #expect(fromArray == expected)
        #expect(fromSlice == expected)
        #expect(fromLazy == expected)
        #expect(fromRaw == expected)
    }

    @Test("a rejection describes itself as reason and detail")
    func rejectionDescription() {
        let rejection = PayloadRejection(reason: .wrongType, detail: "data.antenna: expected an integer, got null")
        #expect(rejection.description == "wrong-type: data.antenna: expected an integer, got null")
        #expect(rejection.eventIndex == nil)
    }
}
