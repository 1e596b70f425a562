import CMosquitto
import Glibc
import Logging
import SortgateCore
import Synchronization

/// libmosquitto's callbacks. They all run on the network thread, reach the client through the
/// unretained userdata pointer given to `mosquitto_new` (valid: the network thread keeps the client
/// alive), copy what they need, and return quickly.
extension MQTTClient {
    func installCallbacks(on mosq: OpaquePointer) {
        mosquitto_connect_v5_callback_set(mosq) { _, userdata, reasonCode, flags, _ in
            MQTTClient.from(userdata).handleConnect(reasonCode: reasonCode, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, userdata, reasonCode, _ in
            MQTTClient.from(userdata).handleDisconnect(reasonCode: reasonCode)
        }
        mosquitto_subscribe_callback_set(mosq) { _, userdata, mid, count, grantedQoS in
            let granted = Array(UnsafeBufferPointer(start: grantedQoS, count: Int(max(count, 0))))
            MQTTClient.from(userdata).handleSubscribed(mid: mid, grantedQoS: granted)
        }
        mosquitto_message_callback_set(mosq) { _, userdata, message in
            guard let message else {
                return
            }
            MQTTClient.from(userdata).handleMessage(message.pointee)
        }
        mosquitto_publish_v5_callback_set(mosq) { _, userdata, mid, reasonCode, _ in
            MQTTClient.from(userdata).handlePublished(mid: mid, reasonCode: reasonCode)
        }
    }

    fileprivate static func from(_ userdata: UnsafeMutableRawPointer?) -> MQTTClient {
        Unmanaged<MQTTClient>.fromOpaque(userdata!).takeUnretainedValue()
    }

    /// The broker's text for a CONNACK code: MQTT 5 reason codes and MQTT 3.1.1 return codes differ.
    private func connackText(_ code: Int32) -> String {
        if configuration.protocolVersion == .v5 {
            String(cString: mosquitto_reason_string(code))
        } else {
            String(cString: mosquitto_connack_string(code))
        }
    }

    private func handleConnect(reasonCode: Int32, flags: Int32) {
        guard let mosq = state.withLock({ $0.handle?.pointer }) else {
            return
        }
        guard reasonCode == 0 else {
            // libmosquitto closes the connection and mosquitto_loop returns CONN_REFUSED; the network
            // loop logs the failure with this detail and retries after the backoff.
            let detail = "broker refused the connection: CONNACK \(reasonCode) \(connackText(reasonCode))"
            state.withLock { $0.attemptDetail = detail }
            return
        }
        mosquitto_log_callback_set(mosq, nil)
        let (attempt, isReconnect) = state.withLock { state in
            state.statistics.isConnected = true
            state.statistics.connections += 1
            let isReconnect = state.statistics.connections > 1
            if isReconnect {
                state.statistics.reconnects += 1
            }
            // A fresh loss of this connection is retried after the minimum delay (issue 15):
            // only failures to connect make the delay grow.
            state.backoff.recordSuccess()
            return (state.attemptNumber, isReconnect)
        }
        logger.info(
            isReconnect ? "MQTT reconnected" : "MQTT connected",
            metadata: [
                "mqtt.connack": "0 \(connackText(0))",
                "mqtt.session_present": "\(flags & 1 == 1)",
                "mqtt.attempt": "\(attempt)",
            ]
        )
        // Every connect, not only the first: a broker that lost its state (restart without persistence,
        // clean session) has no subscriptions for us, and SUBSCRIBE is idempotent when it has.
        for subscription in configuration.subscriptions {
            var mid: Int32 = 0
            let result = MQTTResultCode(
                rawValue: mosquitto_subscribe(mosq, &mid, subscription.filter, Int32(subscription.qos))
            )
            if result == .success {
                // The SUBACK is read by this same thread after this callback returns, so registering
                // after mosquitto_subscribe returned is in time.
                state.withLock { $0.subscribeRequests[mid] = subscription }
            } else {
                logger.error(
                    "MQTT subscribe to '\(subscription.filter)' failed: \(result)",
                    metadata: ["mqtt.result_code": "\(result.rawValue)"]
                )
            }
        }
    }

    private func handleDisconnect(reasonCode: Int32) {
        let wasConnected = state.withLock { $0.statistics.isConnected }
        // A failed connection attempt also lands here; the network loop logs that one with its reason.
        guard wasConnected else {
            return
        }
        let reason = reasonCode == 0 ? "requested by this client" : String(cString: mosquitto_strerror(reasonCode))
        logger.info("MQTT disconnected: \(reason)", metadata: ["mqtt.reason_code": "\(reasonCode)"])
    }

    private func handleSubscribed(mid: Int32, grantedQoS: [Int32]) {
        let subscription = state.withLock { state in
            let subscription = state.subscribeRequests.removeValue(forKey: mid)
            // 0x80 and above are failure codes (MQTT 3.1.1 § 3.9.3, MQTT 5 § 3.9.3).
            state.statistics.subscriptionsGranted += grantedQoS.filter { $0 < 0x80 }.count
            return subscription
        }
        let filter = subscription?.filter ?? "message id \(mid)"
        for granted in grantedQoS {
            if granted >= 0x80 {
                logger.error(
                    "MQTT broker refused the subscription to '\(filter)'",
                    metadata: ["mqtt.suback": "\(granted)", "mqtt.requested_qos": "\(subscription?.qos ?? -1)"]
                )
            } else {
                logger.info(
                    "MQTT subscribed to '\(filter)'",
                    metadata: ["mqtt.granted_qos": "\(granted)", "mqtt.requested_qos": "\(subscription?.qos ?? -1)"]
                )
            }
        }
    }

    private func handleMessage(_ message: mosquitto_message) {
        state.withLock { state in
            state.statistics.messagesReceived += 1
            state.statistics.lastMessageTime = .now
        }
        let count = Int(max(message.payloadlen, 0))
        // Outside the lock: the handler may block (backpressure) while others read the counters.
        switch messageHandler {
        case .borrowing(let handler):
            let topic = message.topic.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
            handler(
                MQTTRawMessage(
                    topic: topic ?? UnsafeRawBufferPointer(start: nil, count: 0),
                    payload: UnsafeRawBufferPointer(start: count == 0 ? nil : message.payload, count: count),
                    qos: Int(message.qos),
                    retained: message.retain,
                    mid: message.mid
                )
            )
        case .copying(let handler):
            let payload: [UInt8] =
                if count == 0 {
                    []
                } else {
                    Array(UnsafeRawBufferPointer(start: message.payload, count: count))
                }
            handler(
                MQTTMessage(
                    topic: message.topic.map { String(cString: $0) } ?? "",
                    payload: payload,
                    qos: Int(message.qos),
                    retained: message.retain,
                    mid: message.mid
                )
            )
        }
    }

    private func handlePublished(mid: Int32, reasonCode: Int32) {
        let result: Result<Void, MQTTError>
        // Only MQTT 5 acknowledgements carry a reason; 0x80 and above is a failure (e.g. 0x87 not
        // authorised). Codes below, like 0x10 "no matching subscribers", mean the broker took it.
        if reasonCode >= 0x80 {
            result = .failure(
                MQTTError(
                    code: reasonCode == 0x87 ? .aclDenied : .unknown,
                    operation: "publish (message id \(mid))",
                    broker: configuration.brokerAddress,
                    detail: "broker answered reason code \(reasonCode): "
                        + String(cString: mosquitto_reason_string(reasonCode))
                )
            )
        } else {
            result = .success(())
        }
        let continuation = state.withLock { state -> CheckedContinuation<Result<Void, MQTTError>, Never>? in
            if let continuation = state.pendingPublishes.removeValue(forKey: mid) {
                return continuation
            }
            state.earlyAcknowledgements[mid] = result
            return nil
        }
        continuation?.resume(returning: result)
    }

    fileprivate func handleLog(level: Int32, line: String) {
        let isError = level & Int32(MOSQ_LOG_ERR) != 0 || level & Int32(MOSQ_LOG_WARNING) != 0
        if isError {
            state.withLock { state in
                // A CONNACK refusal explains more than the log lines that follow it; otherwise keep the
                // first few error lines of the attempt (OpenSSL reports a failed handshake over several).
                if let detail = state.attemptDetail {
                    if !detail.hasPrefix("broker refused"), detail.count < 1000 {
                        state.attemptDetail = detail + "; " + line
                    }
                } else {
                    state.attemptDetail = line
                }
            }
        }
        logger.debug("libmosquitto: \(line)", metadata: ["mqtt.libmosquitto_level": "\(level)"])
    }
}

/// libmosquitto's log callback type (`mosquitto_log_callback_set`).
typealias MosquittoLogCallback =
    @convention(c) (
        OpaquePointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?
    ) -> Void

/// Set only while a connection is being made (see `beginAttempt`).
let onLog: MosquittoLogCallback = { _, userdata, level, line in
    guard let line else {
        return
    }
    MQTTClient.from(userdata).handleLog(level: level, line: String(cString: line))
}
