public import SortgateCore
import SortgateConfig

/// One raw device message, borrowed from wherever it lies (a slot of the event ring, or a parsed
/// capture record) for the duration of one `IngestSession.ingest(_:)` call: its buffers must not
/// be kept beyond the call. Building one allocates nothing.
public struct RawMessage {
    /// What the message carries.
    public enum Body {
        /// An MQTT payload exactly as received.
        case payload(UnsafeRawBufferPointer)
        /// An MQTT payload too large for the ring: its first bytes, and its size as received.
        case truncated(prefix: UnsafeRawBufferPointer, length: Int)
        /// One Modbus poll (a read request's registers, or its error).
        case modbus(CaptureRecord.ModbusPoll)
        /// A capture line with neither payload nor poll.
        case none
    }

    /// The device, as interned by the site topology.
    public var source: SourceID
    /// Arrival time at the gateway (a Modbus poll's start time).
    public var arrival: EventTime
    /// The MQTT topic's bytes, or nil for a message without a topic (a Modbus poll).
    public var topic: UnsafeRawBufferPointer?
    public var body: Body

    public init(source: SourceID, arrival: EventTime, topic: UnsafeRawBufferPointer?, body: Body) {
        self.source = source
        self.arrival = arrival
        self.topic = topic
        self.body = body
    }
}
