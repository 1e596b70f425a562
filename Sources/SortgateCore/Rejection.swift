/// Why a device message (or one event inside it) was rejected. The raw values are the labels
/// used in counters, summaries and the `quarantine` table.
public enum RejectReason: String, Hashable, Sendable, CaseIterable, Comparable {
    /// The payload is not JSON (or is truncated).
    case malformedJSON = "malformed-json"
    /// A field has the wrong JSON type (a string where a number belongs, …).
    case wrongType = "wrong-type"
    /// A required field (the EPC) is missing.
    case missingField = "missing-field"
    /// The EPC is not valid hex/base64 or is malformed for its header.
    case invalidEPC = "invalid-epc"
    /// The timestamp cannot be parsed or is absurd.
    case invalidTimestamp = "invalid-timestamp"
    /// The payload is larger than `max_payload`.
    case oversize = "oversize"
    /// The payload is not valid UTF-8.
    case invalidUTF8 = "invalid-utf8"
    /// The message names a source that is not configured.
    case unknownSource = "unknown-source"
    /// A read on an antenna that no read point maps to a zone.
    case unmappedReadPoint = "unmapped-read-point"
    /// A sensor value outside what the quantity can physically be (a probe's error code, a
    /// garbled frame), or not a number.
    case implausibleValue = "implausible-value"
    /// A Modbus poll whose registers do not fit the device's profile (table or range).
    case registerMismatch = "register-mismatch"
    /// A capture line that is not a valid capture record.
    case malformedCapture = "malformed-capture"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}

/// A rejected message kept for inspection in the bounded `quarantine` table.
public struct QuarantinedMessage: Hashable, Sendable {
    /// The largest payload prefix kept.
    public static let maximumPayloadBytes = 4096

    /// Device id (or the capture file and line, for capture-level problems).
    public var source: String
    /// Arrival time of the message.
    public var at: EventTime
    public var reason: RejectReason
    /// A human-readable explanation naming where the problem is (field, offset, topic).
    public var detail: String
    /// The first `maximumPayloadBytes` of the payload as received.
    public var payload: [UInt8]

    public init(source: String, at: EventTime, reason: RejectReason, detail: String, payload: some Collection<UInt8>) {
        self.source = source
        self.at = at
        self.reason = reason
        self.detail = detail
        self.payload = Array(payload.prefix(QuarantinedMessage.maximumPayloadBytes))
    }
}
