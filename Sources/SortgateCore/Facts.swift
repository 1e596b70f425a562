/// The kinds of ALE-style smoothed facts derived from raw reads.
public enum MovementKind: String, Hashable, Sendable, CaseIterable {
    /// First read of an EPC (unknown or departed before) in a zone.
    case arrival
    /// A present EPC read in a different zone.
    case move
    /// No read of a present EPC for `absent_after`.
    case departure
}

/// A movement fact: what the sinks write to `movements`.
///
/// An arrival has no `from`; a departure has no `to` and `from` is the last zone; its `at` is
/// the last read time, not the time the absence was noticed.
public struct Movement: Hashable, Sendable {
    public var epc: EPC
    public var kind: MovementKind
    public var from: ZoneID?
    public var to: ZoneID?
    public var at: EventTime

    public init(epc: EPC, kind: MovementKind, from: ZoneID?, to: ZoneID?, at: EventTime) {
        self.epc = epc
        self.kind = kind
        self.from = from
        self.to = to
        self.at = at
    }
}

/// Presence status of an EPC in the inventory.
public enum PresenceStatus: String, Hashable, Sendable {
    case present
    case departed
}

/// One EPC's row of inventory status: what is where, since when.
public struct InventoryEntry: Hashable, Sendable {
    public var epc: EPC
    /// The current zone; a departed EPC keeps its last zone.
    public var zone: ZoneID
    public var status: PresenceStatus
    /// First read ever seen of this EPC (in this pipeline's history).
    public var firstSeen: EventTime
    /// When it entered its current zone.
    public var zoneSince: EventTime
    public var lastSeen: EventTime
    /// Tag reads counted (vendor read counts summed).
    public var reads: UInt64

    public init(
        epc: EPC,
        zone: ZoneID,
        status: PresenceStatus,
        firstSeen: EventTime,
        zoneSince: EventTime,
        lastSeen: EventTime,
        reads: UInt64
    ) {
        self.epc = epc
        self.zone = zone
        self.status = status
        self.firstSeen = firstSeen
        self.zoneSince = zoneSince
        self.lastSeen = lastSeen
        self.reads = reads
    }
}

/// One temperature reading of a sensor, as written to `readings`.
public struct ReadingFact: Hashable, Sendable {
    public var sensor: SourceID
    /// The sensor's zone (config `zone` of the device), when it has one.
    public var zone: ZoneID?
    public var at: EventTime
    public var celsius: Double

    public init(sensor: SourceID, zone: ZoneID?, at: EventTime, celsius: Double) {
        self.sensor = sensor
        self.zone = zone
        self.at = at
        self.celsius = celsius
    }
}

/// The derived facts of one pipeline batch, written by a sink in one transaction.
///
/// Writes scale with facts, not reads: `inventory` holds only the entries whose row changed
/// since the last batch (new arrivals, moves, departures, and periodic last-seen flushes).
public struct FactBatch: Sendable {
    public var movements: [Movement]
    public var inventory: [InventoryEntry]
    public var quarantine: [QuarantinedMessage]
    public var readings: [ReadingFact]
    /// Cold-chain alert transitions, in the order they happened.
    public var alerts: [AlertFact]
    /// Finished per-minute min/avg/max of each sensor, with the sensor's zone.
    public var minutes: [(aggregate: MinuteAggregate, sensor: SourceID, zone: ZoneID?)] = []
    /// Container journeys that changed (stage, zone, anomalies or temperature figures).
    public var transport: [TransportJourney] = []
    /// True when the batch holds every change derived so far, deferred `last_seen`/`reads`
    /// refreshes included (see `Pipeline.takeBatch`): nothing of the messages it covers is left
    /// only in memory.
    public var isComplete = false
    /// The event-ring position the batch reflects: every message below it was processed into
    /// this batch or an earlier one (nil outside the live gateway). The sink stores it on each
    /// inventory row it writes and, when the batch `isComplete`, as the position a restarted
    /// gateway re-processes the ring from, in the same transaction as the facts.
    public var ringPosition: UInt64?

    public init(
        movements: [Movement] = [],
        inventory: [InventoryEntry] = [],
        quarantine: [QuarantinedMessage] = [],
        readings: [ReadingFact] = [],
        alerts: [AlertFact] = []
    ) {
        self.movements = movements
        self.inventory = inventory
        self.quarantine = quarantine
        self.readings = readings
        self.alerts = alerts
    }

    public var isEmpty: Bool {
        movements.isEmpty && inventory.isEmpty && quarantine.isEmpty && readings.isEmpty && alerts.isEmpty
            && minutes.isEmpty && transport.isEmpty
    }
}

/// Where the pipeline's facts go: SQLite, PostgreSQL, an upstream broker.
///
/// A sink must be idempotent: writing the same fact twice changes nothing (unique keys, upserts).
public protocol FactSink: AnyObject, Sendable {
    /// Writes one batch atomically; the batch's events count as acknowledged once this returns.
    func write(_ batch: FactBatch) throws
}
