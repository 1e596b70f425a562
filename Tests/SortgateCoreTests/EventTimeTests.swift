import Testing

@testable import SortgateCore

@Suite("EventTime RFC 3339")
struct EventTimeTests {
    @Test("Impinj nanosecond timestamps parse exactly")
    func impinjNanoseconds() throws {
        let time = try EventTime(rfc3339: "2023-06-28T07:24:00.277766184Z")
        #expect(time.nanoseconds == 1_687_937_040_277_766_184)
        #expect(time.rfc3339 == "2023-06-28T07:24:00.277766184Z")
    }

    @Test("Zebra offsets without a colon are the same instant as UTC")
    func zebraOffset() throws {
        let zebra = try EventTime(rfc3339: "2023-04-03T21:50:16.699+0200")
        let utc = try EventTime(rfc3339: "2023-04-03T19:50:16.699Z")
        #expect(zebra == utc)
        #expect(zebra.rfc3339 == "2023-04-03T19:50:16.699000000Z")
        #expect(try EventTime(rfc3339: "2023-04-03T21:50:16.699+02:00") == utc)
        #expect(try EventTime(rfc3339: "2023-04-03T16:50:16.699-03") == utc)
    }

    @Test("Dates before 1970 and leap days format back identically")
    func roundTrip() throws {
        for text in [
            "1969-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00.000000001Z", "2000-01-01T00:00:00.000000000Z",
            "2262-04-11T23:47:16.854775807Z",
        ] {
            #expect(try EventTime(rfc3339: text).rfc3339 == text)
        }
        #expect(try EventTime(rfc3339: "1970-01-01T00:00:00Z").nanoseconds == 0)
        #expect(try EventTime(rfc3339: "1969-12-31T23:59:59.5Z").nanoseconds == -500_000_000)
    }

    @Test(
        "Rejected timestamps say why",
        arguments: [
            ("2023-06-28T07:24:00", "no time zone offset (expected Z or ±hh:mm)"),
            ("2023-06-28", "too short for YYYY-MM-DDThh:mm:ss"),
            ("2023-13-28T07:24:00Z", "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm) with valid field values"),
            ("2023-02-29T07:24:00Z", "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm) with valid field values"),
            (
                "2023-06-28T07:24:00.Z",
                "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm) with valid field values"
            ),
        ]
    )
    func rejected(text: String, reason: String) {
        #expect(throws: EventTime.ParseError(text: text, reason: reason)) {
            try EventTime(rfc3339: text)
        }
    }

    @Test(
        "More than nine fraction digits are truncated to nanoseconds, never a trap",
        arguments: [
            ("2026-12-07T01:00:00.1234567890Z", 1_796_605_200_123_456_789),
            ("2026-12-07T01:00:00.12345678901234567890Z", 1_796_605_200_123_456_789),
            ("2026-12-07T02:00:00.9999999999+01:00", 1_796_605_200_999_999_999),
            ("2026-12-07T01:00:00." + String(repeating: "7", count: 1000) + "Z", 1_796_605_200_777_777_777),
        ] as [(String, Int64)]
    )
    func longFractions(text: String, nanoseconds: Int64) throws {
        #expect(try EventTime(rfc3339: text).nanoseconds == nanoseconds)
        let viaBytes = Array(text.utf8).withUnsafeBufferPointer { EventTime(rfc3339Bytes: $0) }
        #expect(viaBytes?.nanoseconds == nanoseconds)
    }

    @Test(
        "Timestamps past the end of Int64 nanoseconds are rejected, never a trap",
        arguments: [
            "2262-04-11T23:47:16.854775808Z", "2262-04-11T23:47:16.999999999Z", "2262-04-11T23:47:17Z",
            "9999-12-31T23:59:59.999999999Z", "1677-09-21T00:12:43.145224191Z", "0000-01-01T00:00:00+23:59",
        ]
    )
    func outOfRange(text: String) {
        #expect(throws: EventTime.ParseError.self) { try EventTime(rfc3339: text) }
        #expect(Array(text.utf8).withUnsafeBufferPointer { EventTime(rfc3339Bytes: $0) } == nil)
    }

    @Test("Durations add and subtract in nanoseconds")
    func arithmetic() {
        let t = EventTime(seconds: 100)
        #expect((t + .milliseconds(1500)).nanoseconds == 101_500_000_000)
        #expect((t - .seconds(30)).nanoseconds == 70_000_000_000)
        #expect(EventTime(seconds: 130) - t == .seconds(30))
    }
}
