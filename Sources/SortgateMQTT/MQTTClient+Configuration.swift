public import SortgateCore

extension MQTTClient {
    /// Everything an `MQTTClient` needs to reach one broker, with the defaults a gateway wants:
    /// a fixed client id, a persistent session (`cleanSession` false), MQTT 3.1.1, a 30 s keepalive
    /// and reconnects backing off from 100 ms to 30 s.
    ///
    /// `password` is the secret itself: the caller reads it from a file (never from a command line).
    /// It is sent only in the CONNECT packet and never appears in a log line or in `description`.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The broker's host name or address.
        public var host: String
        /// The broker's TCP port (1883 for plain MQTT, 8883 for MQTT over TLS by convention).
        public var port: Int
        /// The client id. Keep it fixed: the broker finds a persistent session by it.
        public var clientID: String
        /// When false (the default) the broker keeps the session (subscriptions and QoS 1/2 messages
        /// queued for this client) while it is disconnected.
        public var cleanSession: Bool
        /// How often a PINGREQ is sent when nothing else is; libmosquitto takes whole seconds, 5 s at least.
        public var keepalive: Duration
        /// The MQTT protocol version spoken.
        public var protocolVersion: ProtocolVersion
        /// The user name sent in CONNECT, if any.
        public var username: String?
        /// The password sent in CONNECT, if any (never logged).
        public var password: String?
        /// TLS settings; `nil` means plain TCP.
        public var tls: TLS?
        /// The reconnect delay bounds: the first retry waits `minimum`, each further one twice as long,
        /// up to `maximum`.
        public var reconnectBackoff: Backoff.Bounds
        /// Topic filters subscribed to on every (re)connect, each with its QoS.
        public var subscriptions: [Subscription]

        public init(
            host: String,
            port: Int,
            clientID: String,
            cleanSession: Bool = false,
            keepalive: Duration = .seconds(30),
            protocolVersion: ProtocolVersion = .v311,
            username: String? = nil,
            password: String? = nil,
            tls: TLS? = nil,
            reconnectBackoff: Backoff.Bounds = .init(),
            subscriptions: [Subscription] = []
        ) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.cleanSession = cleanSession
            self.keepalive = keepalive
            self.protocolVersion = protocolVersion
            self.username = username
            self.password = password
            self.tls = tls
            self.reconnectBackoff = reconnectBackoff
            self.subscriptions = subscriptions
        }

        /// `host:port`, as errors and log lines name the broker.
        public var brokerAddress: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        /// Every setting except the password, which shows as `<redacted>` when set.
        public var description: String {
            let subscriptionList = subscriptions.map { "\($0.filter)@\($0.qos)" }.joined(separator: ",")
            return "MQTT(\(brokerAddress) clientID=\(clientID) cleanSession=\(cleanSession) "
                + "keepalive=\(keepalive) protocol=\(protocolVersion) username=\(username ?? "-") "
                + "password=\(password == nil ? "-" : "<redacted>") tls=\(tls.map { "\($0)" } ?? "off") "
                + "backoff=\(reconnectBackoff.minimum)...\(reconnectBackoff.maximum) "
                + "subscriptions=[\(subscriptionList)])"
        }
    }

    /// The MQTT protocol version (`MOSQ_OPT_PROTOCOL_VERSION`).
    public enum ProtocolVersion: Sendable, Hashable, CustomStringConvertible {
        case v31
        case v311
        case v5

        public var description: String {
            switch self {
            case .v31: "3.1"
            case .v311: "3.1.1"
            case .v5: "5"
            }
        }
    }

    /// TLS settings. The server certificate is always verified against `caFile`, and the broker's host
    /// name (or IP address) must match the certificate: there is no switch to turn that off.
    public struct TLS: Sendable, Hashable, CustomStringConvertible {
        /// PEM file holding the CA certificate(s) trusted to sign the broker's certificate.
        public var caFile: String
        /// PEM client certificate, for brokers that require one; set together with `keyFile`.
        public var certFile: String?
        /// PEM private key of `certFile` (unencrypted: there is no one to type a pass phrase).
        public var keyFile: String?

        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }

        public var description: String {
            "TLS(ca=\(caFile) cert=\(certFile ?? "-") key=\(keyFile ?? "-"))"
        }
    }

    /// One topic filter (wildcards `+` and `#` allowed) and the maximum QoS asked for it.
    public struct Subscription: Sendable, Hashable {
        public var filter: String
        public var qos: Int

        public init(_ filter: String, qos: Int = 1) {
            self.filter = filter
            self.qos = qos
        }
    }
}
