import CMosquitto
import Glibc
public import Logging
import SortgateCore
import SortgateThreads
import Synchronization

/// A safe MQTT client over libmosquitto: one broker, a fixed client id, a persistent session,
/// resubscription on every connect, bounded exponential reconnect backoff, and publishes that
/// complete when the broker acknowledged them.
///
/// ## Threads
/// `start()` spawns one dedicated thread that runs libmosquitto's network loop (`mosquitto_loop`)
/// and reconnects; every callback, and so `messageHandler`, runs on that thread. No thread of
/// Swift's cooperative pool ever blocks on the socket.
///
/// ## Backpressure
/// `messageHandler` receives a copy of each message and should push it into a bounded queue and
/// return. It may block when that queue is full: the network thread then stops reading the socket,
/// TCP flow control pushes back to the broker, and the broker queues (up to its
/// `max_queued_messages`, then drops QoS 0). That is the intended backpressure. Blocking longer than
/// 1.5 × keepalive makes the broker drop the connection; the client then reconnects, and a persistent
/// session redelivers unacknowledged QoS 1/2 messages.
///
/// ## Lifecycle
/// A client runs once: `start()`, then `stop()`. To connect again make a new client with the same
/// `clientID`; with `cleanSession` false the broker kept its session meanwhile.
///
/// ## Sendable
/// `@unchecked Sendable` because the class owns a `struct mosquitto *`, which Swift cannot check.
/// It is safe: the handle is created once in `start()` and destroyed only in `deinit`;
/// libmosquitto is thread-safe once `mosquitto_threaded_set(true)` is set (publishing from any
/// thread while the network thread loops is its documented use); and every mutable Swift field
/// lives in `state`, a `Mutex`.
public final class MQTTClient: @unchecked Sendable {
    /// Receives every message, on the network thread (see "Backpressure").
    public typealias MessageHandler = @Sendable (MQTTMessage) -> Void
    /// Receives every message borrowed, on the network thread: no copy, no allocation (see
    /// `MQTTRawMessage`). Same backpressure rules as `MessageHandler`.
    public typealias RawMessageHandler = @Sendable (borrowing MQTTRawMessage) -> Void

    /// Which of the two handler kinds the client was made with.
    enum Handler: Sendable {
        case copying(MessageHandler)
        case borrowing(RawMessageHandler)
    }

    /// Counters for monitoring, read with `statistics`.
    public struct Statistics: Sendable, Hashable {
        /// Messages passed to the message handler.
        public var messagesReceived = 0
        /// Connection attempts made, successful or not (the first one included).
        public var connectionAttempts = 0
        /// Connections accepted by the broker (CONNACK 0).
        public var connections = 0
        /// Connections accepted after the first one: how often the client came back after a loss.
        public var reconnects = 0
        /// SUBACKs granting a subscription (one per filter per connection).
        public var subscriptionsGranted = 0
        /// When the last message was received (monotonic clock).
        public var lastMessageTime: ContinuousClock.Instant?
        /// True between an accepted CONNACK and the loss of that connection.
        public var isConnected = false
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    let logger: Logger
    let messageHandler: Handler
    let state: Mutex<State>

    /// Makes a client; nothing happens on the network until `start()`.
    ///
    /// - Parameters:
    ///   - logger: used for connection events (info), subscription failures and libmosquitto's own
    ///     connect-time messages (debug); the client adds `mqtt.broker` and `mqtt.client_id` metadata.
    ///   - messageHandler: called on the network thread with each received message (see "Backpressure").
    public convenience init(
        configuration: Configuration,
        logger: Logger,
        messageHandler: @escaping MessageHandler
    ) {
        self.init(configuration: configuration, logger: logger, handler: .copying(messageHandler))
    }

    /// Makes a client whose handler gets each message borrowed from libmosquitto's buffers
    /// (`MQTTRawMessage`), for receivers that copy it straight into their own storage.
    public convenience init(
        borrowing configuration: Configuration,
        logger: Logger,
        rawMessageHandler: @escaping RawMessageHandler
    ) {
        self.init(configuration: configuration, logger: logger, handler: .borrowing(rawMessageHandler))
    }

    private init(configuration: Configuration, logger: Logger, handler: Handler) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.broker"] = "\(configuration.brokerAddress)"
        logger[metadataKey: "mqtt.client_id"] = "\(configuration.clientID)"
        self.logger = logger
        self.messageHandler = handler
        self.state = Mutex(State(backoff: Backoff(bounds: configuration.reconnectBackoff)))
    }

    deinit {
        // The network thread holds a strong reference while it runs, so a running client cannot get
        // here; a client that was started must have been stopped.
        let handle = state.withLock { state -> MosquittoHandle? in
            switch state.lifecycle {
            case .idle, .stopped:
                break
            case .starting, .running, .stopping:
                assertionFailure("MQTTClient for \(configuration.brokerAddress) deinitialised without stop()")
            }
            return state.handle
        }
        if let handle {
            mosquitto_destroy(handle.pointer)
        }
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Why the last connection attempt failed or the last connection was lost; nil until then.
    /// It is kept after a later success, for status pages.
    public var lastError: MQTTError? {
        state.withLock { $0.lastError }
    }

    /// Starts connecting in the background and returns at once.
    ///
    /// An unreachable or refusing broker does not throw: the network thread keeps retrying with
    /// backoff and logs why each attempt failed (see `lastError`). Only an invalid configuration
    /// throws: an unreadable TLS file, a certificate without its key, a QoS outside 0...2, a keepalive
    /// libmosquitto refuses, a port out of range, or calling `start()` twice.
    public func start() throws(MQTTError) {
        MosquittoLibrary.ensureInitialised()
        try state.withLock { state throws(MQTTError) in
            guard case .idle = state.lifecycle else {
                throw configurationError("start", "the client was already started; make a new client instead")
            }
            state.lifecycle = .starting
        }
        do throws(MQTTError) {
            try validate(configuration)
            let handle = try makeHandle()
            state.withLock { $0.handle = handle }
            try configure(handle)
            let wakeSignal = WakeSignal()
            let thread: DedicatedThread
            do {
                thread = try DedicatedThread.spawn(name: "mqtt \(configuration.brokerAddress)") {
                    // The closure keeps `self` alive until the loop ends: libmosquitto's userdata pointer
                    // to `self` is unretained and must stay valid while callbacks can run.
                    self.runNetworkLoop(handle: handle, wakeSignal: wakeSignal)
                }
            } catch {
                throw MQTTError(
                    code: .errno,
                    message: String(cString: strerror(error.errorNumber)),
                    operation: "start network thread",
                    broker: configuration.brokerAddress
                )
            }
            let stopNow = state.withLock { state in
                state.lifecycle = .running(Running(thread: thread, wakeSignal: wakeSignal))
                return state.stopRequestedWhileStarting
            }
            logger.info("MQTT client started", metadata: ["mqtt.config": "\(configuration)"])
            if stopNow {
                stop()
            }
        } catch {
            state.withLock { $0.lifecycle = .stopped }
            throw error
        }
    }

    /// Disconnects (sending DISCONNECT when connected), ends the network thread and waits for it,
    /// then fails every publish still waiting for its acknowledgement. Idempotent; a client never
    /// started just becomes stopped.
    ///
    /// It must not be called from the message handler (it waits for the thread that runs it), and it
    /// waits for a message handler that is blocked: unblock the consumer first.
    public func stop() {
        let running = state.withLock { state -> Running? in
            switch state.lifecycle {
            case .idle:
                state.lifecycle = .stopped
                return nil
            case .starting:
                // start() sees this once its thread runs and stops right away.
                state.stopRequestedWhileStarting = true
                return nil
            case .stopping, .stopped:
                return nil
            case .running(let running):
                state.lifecycle = .stopping
                return running
            }
        }
        guard let running else {
            return
        }
        precondition(!running.thread.isCurrent, "MQTTClient.stop() called from its own message handler")
        // The network thread sends the DISCONNECT itself, after the PUBACKs of every message handed
        // to the handler (see `finishDisconnect`); it sees `stopping` within one loop timeout, or at
        // once when it is waiting out a reconnect delay.
        running.wakeSignal.signal()
        running.thread.join()
        let pending = state.withLock { state in
            state.lifecycle = .stopped
            state.statistics.isConnected = false
            let pending = state.pendingPublishes
            state.pendingPublishes.removeAll()
            state.earlyAcknowledgements.removeAll()
            return pending
        }
        for (_, continuation) in pending {
            continuation.resume(
                returning: .failure(
                    MQTTError(
                        code: .noConnection,
                        operation: "publish",
                        broker: configuration.brokerAddress,
                        detail: "the client was stopped before the broker acknowledged the message"
                    )
                )
            )
        }
        logger.info("MQTT client stopped", metadata: ["mqtt.failed_publishes": "\(pending.count)"])
    }

    func configurationError(_ operation: String, _ detail: String) -> MQTTError {
        MQTTError(code: .invalid, operation: operation, broker: configuration.brokerAddress, detail: detail)
    }
}

// MARK: - State

extension MQTTClient {
    /// Everything mutable, behind `state`'s mutex: the network thread's callbacks, publishers on any
    /// thread, and readers of the counters all meet here.
    struct State {
        var lifecycle = Lifecycle.idle
        var handle: MosquittoHandle?
        var statistics = Statistics()
        var lastError: MQTTError?
        var backoff: Backoff
        /// Publishes handed to libmosquitto and not yet acknowledged, by message id.
        var pendingPublishes: [Int32: CheckedContinuation<Result<Void, MQTTError>, Never>] = [:]
        /// Acknowledgements that arrived before `publish` registered its continuation (the network
        /// thread can finish the whole exchange before `mosquitto_publish` has even returned).
        var earlyAcknowledgements: [Int32: Result<Void, MQTTError>] = [:]
        /// SUBSCRIBE requests sent on the current connection, by message id, to name them in the log.
        var subscribeRequests: [Int32: Subscription] = [:]
        /// Why the current connection attempt failed, beyond the result code: the CONNACK refusal or
        /// libmosquitto's last error log line (OpenSSL's reason for a failed handshake).
        var attemptDetail: String?
        /// The number of the connection attempt in progress, for log lines.
        var attemptNumber = 0
        var stopRequestedWhileStarting = false

        var isStopping: Bool {
            switch lifecycle {
            case .stopping, .stopped: true
            case .idle, .starting, .running: false
            }
        }
    }

    enum Lifecycle {
        case idle
        case starting
        case running(Running)
        case stopping
        case stopped
    }

    struct Running {
        let thread: DedicatedThread
        let wakeSignal: WakeSignal
    }
}

/// The `struct mosquitto *` passed between threads.
///
/// `@unchecked Sendable`: libmosquitto locks internally in threaded mode (`mosquitto_threaded_set`),
/// and the pointer stays valid until `MQTTClient.deinit`, after the network thread ended.
struct MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
