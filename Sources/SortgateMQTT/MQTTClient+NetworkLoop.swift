import CMosquitto
import Glibc
import Logging
import SortgateCore
import SortgateThreads
import Synchronization

/// The network thread: connect, run `mosquitto_loop` until the connection ends, wait out the backoff,
/// and again, until `stop()`.
///
/// We drive the loop ourselves instead of using `mosquitto_loop_start`/`mosquitto_loop_forever`:
/// libmosquitto's own reconnect loop counts its delays in whole seconds (no 100 ms minimum), grows them
/// quadratically rather than exponentially, gives no hook to log or count an attempt, and returns for
/// good on a TLS error, where a gateway must keep retrying (a broker's certificate gets fixed).
extension MQTTClient {
    /// How long `mosquitto_loop` waits in `select` when nothing happens (any traffic, or a publish
    /// from another thread, wakes it earlier). It bounds how long `stop()` waits for this thread to
    /// see it, since the DISCONNECT must be queued here (see `finishDisconnect`), and how often the
    /// connect deadline is checked.
    private static let loopTimeoutMilliseconds: Int32 = 100

    /// How long a connection attempt may take from TCP connect to CONNACK before it is abandoned
    /// (a silently dropped SYN, a TLS peer that never answers).
    static let connectTimeout = Duration.seconds(10)

    /// `max_packets` must be 1: the parameter is documented as unused, and larger values make
    /// libmosquitto 2.0.x spin (DESIGN.md, performance budget).
    private static let maxPackets: Int32 = 1

    /// MQTT 5 property identifier 0x11, Session Expiry Interval (MQTT 5 § 3.1.2.11.2); its enum lives in
    /// mqtt_protocol.h, which the CMosquitto shim does not include.
    private static let sessionExpiryIntervalProperty: Int32 = 17

    func runNetworkLoop(handle: MosquittoHandle, wakeSignal: WakeSignal) {
        let mosq = handle.pointer
        while !isStopping {
            beginAttempt(on: mosq)
            var outcome = connect(mosq)
            if outcome.code == .success {
                outcome = loopUntilDisconnected(mosq)
            }
            if isStopping {
                break
            }
            let (error, delay, attempt, wasConnected) = recordFailure(outcome)
            let what = wasConnected ? "MQTT connection lost" : "MQTT connection attempt failed"
            logger.info(
                "\(what): \(error); reconnecting in \(delay)",
                metadata: [
                    "mqtt.attempt": "\(attempt)",
                    "mqtt.result_code": "\(error.code.rawValue)",
                    "mqtt.reconnect_delay": "\(delay)",
                ]
            )
            if wakeSignal.wait(for: delay) {
                break
            }
        }
        finishDisconnect(mosq)
    }

    var isStopping: Bool {
        state.withLock { $0.isStopping }
    }

    private func beginAttempt(on mosq: OpaquePointer) {
        let attempt = state.withLock { state in
            state.statistics.connectionAttempts += 1
            state.attemptDetail = nil
            state.subscribeRequests.removeAll()
            state.attemptNumber = state.statistics.connectionAttempts
            return state.attemptNumber
        }
        // libmosquitto's log is what explains a failed TLS handshake, so it is on while connecting. It is
        // switched off again once connected (see handleConnect): with a log callback set, libmosquitto
        // formats a line into a fresh malloc for every packet, which the receive path cannot afford.
        mosquitto_log_callback_set(mosq, onLog)
        logger.debug("MQTT connecting", metadata: ["mqtt.attempt": "\(attempt)"])
    }

    private func connect(_ mosq: OpaquePointer) -> CallOutcome {
        let host = configuration.host
        let port = Int32(configuration.port)
        let keepalive = Int32(configuration.keepalive.components.seconds)
        if configuration.protocolVersion == .v5, !configuration.cleanSession {
            // MQTT 5 ends a session at disconnect unless CONNECT carries a Session Expiry Interval, and
            // libmosquitto 2.0 has no asynchronous connect that takes properties: this one blocks the
            // network thread (never a cooperative one) for the TCP connect only; TLS and CONNACK stay
            // asynchronous in the loop.
            var properties: OpaquePointer?
            defer { mosquitto_property_free_all(&properties) }
            let added = mosquitto_property_add_int32(
                &properties,
                Self.sessionExpiryIntervalProperty,
                UInt32.max  // "never expires": what a persistent MQTT 3.1.1 session means
            )
            guard added == MQTTResultCode.success.rawValue else {
                return CallOutcome(code: MQTTResultCode(rawValue: added), errorNumber: 0)
            }
            return callCapturingErrno {
                mosquitto_connect_bind_v5(mosq, host, port, keepalive, nil, properties)
            }
        }
        return callCapturingErrno {
            mosquitto_connect_async(mosq, host, port, keepalive)
        }
    }

    private func loopUntilDisconnected(_ mosq: OpaquePointer) -> CallOutcome {
        let deadline = ContinuousClock.now + Self.connectTimeout
        while true {
            let outcome = callCapturingErrno {
                mosquitto_loop(mosq, Self.loopTimeoutMilliseconds, Self.maxPackets)
            }
            if outcome.code != .success {
                return outcome
            }
            let (stopping, connected) = state.withLock { ($0.isStopping, $0.statistics.isConnected) }
            if stopping {
                return outcome
            }
            if !connected, ContinuousClock.now >= deadline {
                return CallOutcome(
                    code: .timeout,
                    errorNumber: 0,
                    detail: "no CONNACK within \(Self.connectTimeout) of starting to connect"
                )
            }
        }
    }

    private func recordFailure(
        _ outcome: CallOutcome
    ) -> (error: MQTTError, delay: Duration, attempt: Int, wasConnected: Bool) {
        state.withLock { state in
            let wasConnected = state.statistics.isConnected
            let message = outcome.code == .errno ? String(cString: strerror(outcome.errorNumber)) : nil
            let error = MQTTError(
                code: outcome.code,
                message: message,
                operation: wasConnected ? "connection" : "connect",
                broker: configuration.brokerAddress,
                detail: state.attemptDetail ?? outcome.detail
            )
            state.lastError = error
            state.statistics.isConnected = false
            let delay = state.backoff.recordFailure()
            return (error, delay, state.attemptNumber, wasConnected)
        }
    }

    /// Ends the session without losing an acknowledgement, on this thread, within two seconds (a
    /// broker that stopped reading must not hold `stop()` up).
    ///
    /// A QoS 1 message handed to the handler has its PUBACK queued by libmosquitto; if the broker
    /// never reads it, it delivers the message again to the next session, which counts it twice.
    /// Two ways of losing them are avoided here:
    /// - `mosquitto_loop` after `mosquitto_disconnect` reads the next PUBLISH in a disconnecting
    ///   state, fails with a protocol error and closes the socket with the PUBACKs still queued;
    /// - closing a socket while the broker's messages wait unread in it makes the kernel answer
    ///   with a reset, and the broker's kernel then drops what it had not read yet: the last
    ///   PUBACKs and the DISCONNECT.
    ///
    /// So: stop handling (nothing is read through libmosquitto any more), write every queued
    /// packet (`mosquitto_loop_write` only), append a DISCONNECT, shut down the sending side, and
    /// read and discard until the broker has closed its side; only then is the socket closed
    /// (by `mosquitto_destroy`), with nothing unread, so without a reset. The broker reads every
    /// PUBACK and the DISCONNECT before the end of the stream. What it sent meanwhile was never
    /// handled nor acknowledged: it delivers that to the next session.
    ///
    /// The DISCONNECT is written as its two bytes (`0xE0 0x00`, the same in MQTT 3.1.1 and 5,
    /// where a remaining length of 0 means reason 0, normal disconnection) straight to the socket,
    /// at a packet boundary since libmosquitto's queue is empty: libmosquitto closes the socket
    /// right after writing its own. Over TLS the bytes cannot bypass the TLS layer, so the broker
    /// sees the stream end without a DISCONNECT: it keeps the session all the same (clean session
    /// off, or MQTT 5 Session Expiry), and this client sets no will.
    private func finishDisconnect(_ mosq: OpaquePointer) {
        let deadline = ContinuousClock.now + .seconds(2)
        writeQueued(mosq, until: deadline)
        let socket = mosquitto_socket(mosq)
        if socket >= 0, !mosquitto_want_write(mosq) {
            if configuration.tls == nil {
                let disconnect: [UInt8] = [0xE0, 0x00]
                _ = disconnect.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            _ = shutdown(socket, Int32(SHUT_WR))
            discardUntilClosed(socket, until: deadline)
        }
        // Ends the session for libmosquitto; nothing more is written, and the socket is closed by
        // `mosquitto_destroy`.
        _ = mosquitto_disconnect(mosq)
    }

    /// Reads and discards until the peer has closed its side, an error, or `deadline`.
    private func discardUntilClosed(_ socket: Int32, until deadline: ContinuousClock.Instant) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready < 0 { return }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count == 0 { return }
            if count < 0 && errno != EAGAIN && errno != EINTR { return }
        }
    }

    /// Writes the packets libmosquitto has queued, waiting for the socket to take them, until none
    /// is left, the connection is gone, or `deadline`.
    private func writeQueued(_ mosq: OpaquePointer, until deadline: ContinuousClock.Instant) {
        while mosquitto_want_write(mosq), ContinuousClock.now < deadline {
            guard mosquitto_loop_write(mosq, Self.maxPackets) == MQTTResultCode.success.rawValue else {
                return
            }
            let socket = mosquitto_socket(mosq)
            guard socket >= 0 else { return }
            if mosquitto_want_write(mosq) {
                var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, 10)
            }
        }
    }
}

/// A libmosquitto call's result code together with `errno` as it was right after the call.
struct CallOutcome {
    var code: MQTTResultCode
    var errorNumber: Int32
    var detail: String? = nil
}

/// Runs a libmosquitto call and reads `errno` at once, before anything else can overwrite it.
/// Not inlined, so that no code the optimiser moves between the call and the read touches `errno`.
@inline(never)
func callCapturingErrno(_ call: () -> Int32) -> CallOutcome {
    errno = 0
    let result = call()
    let errorNumber = errno
    return CallOutcome(code: MQTTResultCode(rawValue: result), errorNumber: errorNumber)
}
