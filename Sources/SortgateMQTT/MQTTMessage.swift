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
