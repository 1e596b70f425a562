/// An MQTT operation failed: what was done (`operation`), to which broker (`broker`, `host:port`),
/// the libmosquitto result code, libmosquitto's message for it, and where known a `detail` that says
/// why (the `errno` text, the broker's CONNACK or reason string, or libmosquitto's own log line such
/// as OpenSSL's "certificate verify failed").
///
/// The description reads as one log line:
/// `mqtt 127.0.0.1:8883: connect failed: A TLS error occurred. (OpenSSL Error[0]: ... certificate verify failed)`.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    /// The libmosquitto result code.
    public var code: MQTTResultCode
    /// libmosquitto's text for `code` (`mosquitto_strerror`), read when the error was made.
    public var message: String
    /// What was being done: `connect`, `publish to 'sites/a/alerts'`, `configure TLS`, ….
    public var operation: String
    /// The broker as `host:port`.
    public var broker: String
    /// Why, when more is known than the result code says.
    public var detail: String?

    public init(
        code: MQTTResultCode,
        message: String? = nil,
        operation: String,
        broker: String,
        detail: String? = nil
    ) {
        self.code = code
        self.message = message ?? code.description
        self.operation = operation
        self.broker = broker
        self.detail = detail
    }

    public var description: String {
        var text = "mqtt \(broker): \(operation) failed: \(message)"
        if let detail, detail != message {
            text += " (\(detail))"
        }
        return text
    }
}
