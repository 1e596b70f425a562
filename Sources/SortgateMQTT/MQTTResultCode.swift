import CMosquitto

/// A libmosquitto result code (`enum mosq_err_t`), kept as a raw value so that codes added by a newer
/// libmosquitto still round-trip instead of being folded into "unknown".
///
/// Compare with the `static let` constants: `error.code == .tls`.
public struct MQTTResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    init(_ code: mosq_err_t) {
        self.rawValue = Int32(code.rawValue)
    }

    public static let success = MQTTResultCode(MOSQ_ERR_SUCCESS)
    public static let noMemory = MQTTResultCode(MOSQ_ERR_NOMEM)
    public static let protocolError = MQTTResultCode(MOSQ_ERR_PROTOCOL)
    public static let invalid = MQTTResultCode(MOSQ_ERR_INVAL)
    public static let noConnection = MQTTResultCode(MOSQ_ERR_NO_CONN)
    public static let connectionRefused = MQTTResultCode(MOSQ_ERR_CONN_REFUSED)
    public static let notFound = MQTTResultCode(MOSQ_ERR_NOT_FOUND)
    public static let connectionLost = MQTTResultCode(MOSQ_ERR_CONN_LOST)
    public static let tls = MQTTResultCode(MOSQ_ERR_TLS)
    public static let payloadSize = MQTTResultCode(MOSQ_ERR_PAYLOAD_SIZE)
    public static let notSupported = MQTTResultCode(MOSQ_ERR_NOT_SUPPORTED)
    public static let auth = MQTTResultCode(MOSQ_ERR_AUTH)
    public static let aclDenied = MQTTResultCode(MOSQ_ERR_ACL_DENIED)
    public static let unknown = MQTTResultCode(MOSQ_ERR_UNKNOWN)
    /// A system call failed; `MQTTError.detail` carries the `errno` text read right after the call.
    public static let errno = MQTTResultCode(MOSQ_ERR_ERRNO)
    /// Host name resolution (`getaddrinfo`) failed.
    public static let lookupFailed = MQTTResultCode(MOSQ_ERR_EAI)
    public static let proxy = MQTTResultCode(MOSQ_ERR_PROXY)
    public static let malformedUTF8 = MQTTResultCode(MOSQ_ERR_MALFORMED_UTF8)
    public static let keepalive = MQTTResultCode(MOSQ_ERR_KEEPALIVE)
    public static let malformedPacket = MQTTResultCode(MOSQ_ERR_MALFORMED_PACKET)
    public static let duplicateProperty = MQTTResultCode(MOSQ_ERR_DUPLICATE_PROPERTY)
    public static let tlsHandshake = MQTTResultCode(MOSQ_ERR_TLS_HANDSHAKE)
    public static let qosNotSupported = MQTTResultCode(MOSQ_ERR_QOS_NOT_SUPPORTED)
    public static let oversizePacket = MQTTResultCode(MOSQ_ERR_OVERSIZE_PACKET)
    public static let timeout = MQTTResultCode(MOSQ_ERR_TIMEOUT)
    public static let retainNotSupported = MQTTResultCode(MOSQ_ERR_RETAIN_NOT_SUPPORTED)
    public static let administrativeAction = MQTTResultCode(MOSQ_ERR_ADMINISTRATIVE_ACTION)

    /// libmosquitto's own text for the code (`mosquitto_strerror`). For `.errno` it reads the thread's
    /// current `errno`, which is why `MQTTError` captures the errno text separately, at once.
    public var description: String {
        String(cString: mosquitto_strerror(rawValue))
    }
}
