/// One message received from the broker, copied out of libmosquitto's buffers before the callback
/// returned, so it stays valid for as long as the receiver keeps it.
public struct MQTTMessage: Sendable, Hashable {
    /// The topic the message was published to (not the filter that matched it).
    public var topic: String
    /// The payload bytes exactly as published; empty for a zero-length message.
    public var payload: [UInt8]
    /// The QoS the message was delivered with (the lower of the publish and the subscription QoS).
    public var qos: Int
    /// True when the broker delivered a retained message because of a new subscription.
    public var retained: Bool
    /// The packet identifier the broker used (0 for QoS 0); it is reused, so it identifies nothing
    /// beyond one delivery.
    public var mid: Int32

    public init(topic: String, payload: [UInt8], qos: Int, retained: Bool, mid: Int32) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retained = retained
        self.mid = mid
    }
}

/// One received message *borrowed* from libmosquitto's buffers, for handlers that copy it straight
/// to where it goes (the gateway's event ring): nothing is allocated for it, and its buffers are
/// valid only until the handler returns.
public struct MQTTRawMessage {
    /// The topic's bytes (UTF-8, without the C string's terminating NUL).
    public var topic: UnsafeRawBufferPointer
    /// The payload bytes exactly as published; empty for a zero-length message.
    public var payload: UnsafeRawBufferPointer
    /// The QoS the message was delivered with.
    public var qos: Int
    /// True when the broker delivered a retained message because of a new subscription.
    public var retained: Bool
    /// The packet identifier the broker used (0 for QoS 0).
    public var mid: Int32

    public init(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: Int, retained: Bool, mid: Int32) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retained = retained
        self.mid = mid
    }
}
