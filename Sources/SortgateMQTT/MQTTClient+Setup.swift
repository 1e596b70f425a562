import CMosquitto
import Glibc
import SortgateCore

/// Checking the configuration and applying it to a new `struct mosquitto *`: everything that can
/// make `start()` throw.
extension MQTTClient {
    func validate(_ configuration: Configuration) throws(MQTTError) {
        guard (1...65535).contains(configuration.port) else {
            throw configurationError("start", "port \(configuration.port) is outside 1...65535")
        }
        guard !configuration.host.isEmpty else {
            throw configurationError("start", "the broker host is empty")
        }
        guard !configuration.clientID.isEmpty else {
            // An empty id asks the broker to make one up, which loses the session on every reconnect.
            throw configurationError("start", "the client id is empty; a gateway needs a fixed client id")
        }
        let keepalive = configuration.keepalive.components.seconds
        guard keepalive == 0 || (5...65535).contains(keepalive) else {
            throw configurationError("start", "keepalive \(configuration.keepalive) is not 0 or 5...65535 seconds")
        }
        let backoff = configuration.reconnectBackoff
        guard backoff.minimum > .zero, backoff.maximum >= backoff.minimum else {
            throw configurationError(
                "start",
                "reconnect backoff \(backoff.minimum)...\(backoff.maximum) must be positive and ordered"
            )
        }
        if configuration.password != nil, configuration.username == nil {
            throw configurationError("start", "a password is set without a username")
        }
        for subscription in configuration.subscriptions {
            guard (0...2).contains(subscription.qos) else {
                throw configurationError(
                    "subscribe to '\(subscription.filter)'",
                    "QoS \(subscription.qos) is outside 0...2"
                )
            }
            guard MQTTTopicFilter.isValid(subscription.filter) else {
                throw configurationError("subscribe to '\(subscription.filter)'", "not a valid topic filter")
            }
        }
        if let tls = configuration.tls {
            try checkReadable(tls.caFile, what: "CA file")
            switch (tls.certFile, tls.keyFile) {
            case (nil, nil):
                break
            case (let certFile?, let keyFile?):
                try checkReadable(certFile, what: "client certificate file")
                try checkReadable(keyFile, what: "client key file")
            default:
                throw configurationError("configure TLS", "a client certificate needs both certFile and keyFile")
            }
        }
    }

    /// libmosquitto only says "invalid" for an unreadable file; this names the file and the reason.
    private func checkReadable(_ path: String, what: String) throws(MQTTError) {
        if access(path, R_OK) != 0 {
            let code = errno
            throw configurationError(
                "configure TLS",
                "\(what) '\(path)' is not readable: \(String(cString: strerror(code)))"
            )
        }
    }

    func makeHandle() throws(MQTTError) -> MosquittoHandle {
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        guard let pointer = mosquitto_new(configuration.clientID, configuration.cleanSession, userdata) else {
            let code = errno
            throw MQTTError(
                code: code == ENOMEM ? .noMemory : .invalid,
                operation: "create the libmosquitto client",
                broker: configuration.brokerAddress,
                detail: String(cString: strerror(code))
            )
        }
        return MosquittoHandle(pointer: pointer)
    }

    func configure(_ handle: MosquittoHandle) throws(MQTTError) {
        let mosq = handle.pointer
        // We run our own network thread instead of mosquitto_loop_start: libmosquitto must then be told
        // that other threads call into it, or it skips its locking ("you will experience crashes").
        try check(mosquitto_threaded_set(mosq, true), "enable threaded mode")
        let version: Int32 =
            switch configuration.protocolVersion {
            case .v31: MQTT_PROTOCOL_V31
            case .v311: MQTT_PROTOCOL_V311
            case .v5: MQTT_PROTOCOL_V5
            }
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, version), "set the protocol version")
        if let username = configuration.username {
            try check(mosquitto_username_pw_set(mosq, username, configuration.password), "set the credentials")
        }
        if let tls = configuration.tls {
            try check(
                mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, refusePassphrasePrompt),
                "configure TLS"
            )
            // SSL_VERIFY_PEER (1): the broker's certificate chain must verify against caFile.
            try check(mosquitto_tls_opts_set(mosq, 1, nil, nil), "configure TLS verification")
            // Hostname verification stays on: false is libmosquitto's default, set explicitly so that
            // no other code path can have turned it off.
            try check(mosquitto_tls_insecure_set(mosq, false), "enable TLS hostname verification")
        }
        installCallbacks(on: mosq)
    }

    private func check(_ result: Int32, _ operation: String) throws(MQTTError) {
        let code = MQTTResultCode(rawValue: result)
        guard code == .success else {
            throw MQTTError(code: code, operation: operation, broker: configuration.brokerAddress)
        }
    }
}

/// With no pass phrase callback OpenSSL would prompt on the terminal for an encrypted key, blocking the
/// network thread forever; answering "no pass phrase" makes loading such a key fail with a logged error.
private let refusePassphrasePrompt:
    @convention(c) (
        UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, _, _, _ in 0 }
