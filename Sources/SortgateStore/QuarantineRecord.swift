/// One row of the bounded `quarantine` table: a rejected device message kept for inspection.
///
/// Coding keys are the column names; `payload` holds the stored bytes exactly (at most
/// `QuarantinedMessage.maximumPayloadBytes`), which need not be valid UTF-8.
public struct QuarantineRecord: Codable, Sendable, Hashable {
    /// The row id: insertion order, by which the table is trimmed (oldest first).
    public var id: Int64
    /// Device id, or capture file and line.
    public var source: String
    /// Arrival time of the message.
    public var at: String
    /// A `RejectReason` raw value such as `malformed-json`.
    public var reason: String
    public var detail: String
    public var payload: [UInt8]

    public init(id: Int64, source: String, at: String, reason: String, detail: String, payload: [UInt8]) {
        self.id = id
        self.source = source
        self.at = at
        self.reason = reason
        self.detail = detail
        self.payload = payload
    }
}
