import CMosquitto
import Glibc
import Synchronization

extension MQTTClient {
    /// The largest payload MQTT can carry: the largest remaining length its header can encode
    /// (libmosquitto's `MQTT_MAX_PAYLOAD`; it refuses more with `.payloadSize`).
    public static let maximumPayloadSize = 268_435_455

    /// Publishes one message and returns when the broker acknowledged it: PUBACK for QoS 1, PUBCOMP
    /// for QoS 2, and for QoS 0 once it was written to the socket.
    ///
    /// QoS 1 and 2 messages survive a lost connection: libmosquitto keeps them and sends them again
    /// after it reconnects, so this call keeps waiting across reconnects (also when the client is
    /// disconnected at the time of the call) and returns once the ack came. It throws when the message
    /// was not accepted (bad topic, payload too large, QoS 0 while disconnected), when an MQTT 5 broker
    /// answered with a failure reason code, or when `stop()` ran before the ack came (the message may or
    /// may not have reached the broker then). Cancelling the task does not end the wait: the message is
    /// already in libmosquitto's hands.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) async throws(MQTTError) {
        let operation = "publish to '\(topic)'"
        guard (0...2).contains(qos) else {
            throw configurationError(operation, "QoS \(qos) is outside 0...2")
        }
        guard payload.count <= Self.maximumPayloadSize else {
            throw MQTTError(
                code: .payloadSize,
                operation: operation,
                broker: configuration.brokerAddress,
                detail: "\(payload.count) bytes is more than MQTT's \(Self.maximumPayloadSize)"
            )
        }
        guard !topic.utf8.contains(0) else {
            throw configurationError(operation, "the topic contains a NUL character")
        }
        // libmosquitto 2.0 keeps a message published before the client's FIRST CONNACK but never sends
        // it (seen on a loaded CI machine: the publish waited forever while the client sat connected).
        // Messages published during later disconnections are resent after the reconnect as documented,
        // so only the first connection is waited for.
        while state.withLock({ $0.statistics.connections == 0 && !$0.isStopping && $0.handle != nil }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let handle = try state.withLock { state throws(MQTTError) -> MosquittoHandle in
            guard case .running = state.lifecycle, let handle = state.handle else {
                throw MQTTError(
                    code: .noConnection,
                    operation: operation,
                    broker: configuration.brokerAddress,
                    detail: "the client is not running: it was never started, or it was stopped"
                )
            }
            return handle
        }
        var mid: Int32 = 0
        let outcome = payload.withUnsafeBytes { bytes in
            callCapturingErrno {
                mosquitto_publish(
                    handle.pointer,
                    &mid,
                    topic,
                    Int32(bytes.count),
                    bytes.baseAddress,
                    Int32(qos),
                    retain
                )
            }
        }
        // While disconnected, libmosquitto answers NO_CONN but has queued a QoS 1/2 message (it sends
        // it after the next CONNACK, as it does with in-flight ones); a QoS 0 message is dropped.
        let queued = outcome.code == .success || (qos > 0 && outcome.code == .noConnection)
        guard queued else {
            throw MQTTError(
                code: outcome.code,
                message: outcome.code == .errno ? String(cString: strerror(outcome.errorNumber)) : nil,
                operation: operation,
                broker: configuration.brokerAddress
            )
        }
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Void, MQTTError>, Never>) in
            let early: Result<Void, MQTTError>? = state.withLock { state in
                if let early = state.earlyAcknowledgements.removeValue(forKey: mid) {
                    return early
                }
                guard !state.isStopping else {
                    return .failure(
                        MQTTError(
                            code: .noConnection,
                            operation: operation,
                            broker: configuration.brokerAddress,
                            detail: "the client was stopped before the broker acknowledged the message"
                        )
                    )
                }
                state.pendingPublishes[mid] = continuation
                return nil
            }
            if let early {
                continuation.resume(returning: early)
            }
        }
        switch result {
        case .success:
            return
        case .failure(var error):
            error.operation = operation
            throw error
        }
    }
}
