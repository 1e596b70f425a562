/// What a running gateway reports about itself, at one moment: its devices, brokers, ring and
/// totals. `/api/sources`, `/ready` and the gateway's part of `/metrics` all show the same
/// snapshot, so they never disagree with each other nor with the status line, which is computed
/// from the same numbers.
public struct GatewaySnapshot: Sendable, Hashable {
    /// One device of the site config.
    public struct Source: Sendable, Hashable {
        public var device: String
        /// `mqtt` or `modbus`.
        public var kind: String
        /// The broker of an MQTT device.
        public var broker: String?
        /// Its broker's connection (MQTT), or its last poll answered (Modbus).
        public var connected: Bool
        /// When its last message or poll arrived (RFC 3339); nil before the first.
        public var lastMessage: String?
        public var messages: UInt64
        /// Tag reads (a vendor's own read count where it gives one).
        public var reads: UInt64
        public var rejected: UInt64
        /// Messages the ring dropped for this device (`on_full: drop-oldest`).
        public var dropped: UInt64
        public var modbus: Modbus?

        public init(
            device: String,
            kind: String,
            broker: String? = nil,
            connected: Bool,
            lastMessage: String? = nil,
            messages: UInt64 = 0,
            reads: UInt64 = 0,
            rejected: UInt64 = 0,
            dropped: UInt64 = 0,
            modbus: Modbus? = nil
        ) {
            self.device = device
            self.kind = kind
            self.broker = broker
            self.connected = connected
            self.lastMessage = lastMessage
            self.messages = messages
            self.reads = reads
            self.rejected = rejected
            self.dropped = dropped
            self.modbus = modbus
        }
    }

    /// A polled device's counters.
    public struct Modbus: Sendable, Hashable {
        public var polls: UInt64
        public var failedPolls: UInt64
        public var latePolls: UInt64
        /// Failed requests by kind (`timeout`, `connection`, `exception 0x02 illegal-data-address`, …).
        public var failures: [String: UInt64]
        public var lastError: String?

        public init(
            polls: UInt64,
            failedPolls: UInt64,
            latePolls: UInt64,
            failures: [String: UInt64],
            lastError: String?
        ) {
            self.polls = polls
            self.failedPolls = failedPolls
            self.latePolls = latePolls
            self.failures = failures
            self.lastError = lastError
        }
    }

    /// One MQTT broker connection.
    public struct Broker: Sendable, Hashable {
        public var name: String
        public var connected: Bool
        /// Connected and every subscription granted.
        public var subscribed: Bool
        public var reconnects: UInt64

        public init(name: String, connected: Bool, subscribed: Bool, reconnects: UInt64) {
            self.name = name
            self.connected = connected
            self.subscribed = subscribed
            self.reconnects = reconnects
        }
    }

    /// Totals since start, as the status line shows them.
    public struct Totals: Sendable, Hashable {
        public var messages: UInt64 = 0
        public var rejected: UInt64 = 0
        /// Tag events (the status line's `reads`).
        public var reads: UInt64 = 0
        public var arrivals: UInt64 = 0
        public var moves: UInt64 = 0
        public var departures: UInt64 = 0
        public var sensorReadings: UInt64 = 0
        public var redelivered: UInt64 = 0
        /// EPCs present now.
        public var present: UInt64 = 0

        public init() {}
    }

    /// Facts committed to the database since start, by kind (`arrival`, `move`, `departure`,
    /// `reading`, `alert`): what a batch held once its transaction committed.
    public var committedFacts: [String: UInt64]
    /// The alert outbox routes the gateway delivers to (`mqtt`, `webhook`).
    public var alertRoutes: [String]
    public var sources: [Source]
    public var brokers: [Broker]
    public var totals: Totals
    public var ringDepthSlots: Int
    public var ringHighWaterSlots: Int
    public var ringSlots: Int

    public init(
        sources: [Source] = [],
        brokers: [Broker] = [],
        totals: Totals = Totals(),
        committedFacts: [String: UInt64] = [:],
        alertRoutes: [String] = [],
        ringDepthSlots: Int = 0,
        ringHighWaterSlots: Int = 0,
        ringSlots: Int = 0
    ) {
        self.sources = sources
        self.brokers = brokers
        self.totals = totals
        self.committedFacts = committedFacts
        self.alertRoutes = alertRoutes
        self.ringDepthSlots = ringDepthSlots
        self.ringHighWaterSlots = ringHighWaterSlots
        self.ringSlots = ringSlots
    }

    /// Why the gateway is not ready to be relied on: a broker not connected, or connected
    /// without every subscription granted. Empty when ready.
    public var notReadyReasons: [String] {
        brokers.compactMap { broker in
            if !broker.connected { return "broker \(broker.name) not connected" }
            if !broker.subscribed { return "broker \(broker.name) has not granted every subscription" }
            return nil
        }
    }
}

/// A running gateway, as the HTTP API sees it. `sortgate serve` (a database without devices) has none.
public protocol GatewayStatus: Sendable {
    /// The gateway's state now.
    func snapshot() -> GatewaySnapshot
}
