/// The single consumer of device events: redelivery detection, read point → zone, presence
/// smoothing, and batching of the derived facts for the sinks.
///
/// Pure Swift and single-threaded: it never reads the wall clock nor touches I/O. Feed it
/// events with `process(_:)`, let time pass without events with `advance(to:)` (live mode),
/// and collect what changed with `takeBatch()`, which the caller writes to a sink in one
/// transaction. Movements are buffered until then; inventory rows are produced only for
/// EPCs that changed since the previous batch.
public struct Pipeline: Sendable {
    /// What the pipeline needs to know about the site.
    public struct Configuration: Sendable {
        /// How long an EPC may go unread before it departs (config `dedup.absent_after`).
        public var absentAfter: Duration
        public var readPoints: ReadPointMap
        /// Number of sources (ids `0..<sourceCount`).
        public var sourceCount: Int
        /// The cold-chain rules (inactive when the site has no temperature classes).
        public var coldChain: ColdChainMonitor
        /// How much event time may pass before rows whose only change is a newer `last_seen`
        /// (or more reads) are written (config `dedup.last_seen_flush`); arrivals, moves and
        /// departures are in every batch.
        public var lastSeenFlush: Duration
        /// The most EPCs the presence tracker holds (config `dedup.max_tags`).
        public var maxTags: Int

        /// The default `dedup.last_seen_flush`: 10 s.
        public static let defaultLastSeenFlush: Duration = .seconds(10)
        /// Zone roles and dwell limits for container journeys (`transport`).
        public var transport: TransportTracker.Configuration

        public init(
            absentAfter: Duration,
            readPoints: ReadPointMap,
            sourceCount: Int,
            coldChain: ColdChainMonitor = ColdChainMonitor(sensors: [:], zoneClasses: [:]),
            lastSeenFlush: Duration = Configuration.defaultLastSeenFlush,
            maxTags: Int = PresenceTracker.defaultCapacity,
            transport: TransportTracker.Configuration = .init()
        ) {
            self.absentAfter = absentAfter
            self.readPoints = readPoints
            self.sourceCount = sourceCount
            self.coldChain = coldChain
            self.lastSeenFlush = lastSeenFlush
            self.maxTags = maxTags
            self.transport = transport
        }
    }

    /// Per-source integrity counters, from `(sourceID, seq)` and vendor event numbers.
    public struct SourceCounters: Hashable, Sendable {
        /// Messages whose seq skipped ahead (a gap of n counts n).
        public var seqGaps: UInt64 = 0
        /// Messages whose seq was not above the last one seen (duplicated or reordered).
        public var seqRegressions: UInt64 = 0
        /// Reads dropped because their vendor event number was seen before (redeliveries).
        public var redelivered: UInt64 = 0
        /// Times the vendor event counter restarted (reader reboot).
        public var eventCounterResets: UInt64 = 0
        /// Reads on an antenna no read point maps to a zone.
        public var unmappedReads: UInt64 = 0
        public var lastSeq: UInt64 = 0

        public init() {}
    }

    /// Totals over all sources.
    public struct Totals: Hashable, Sendable {
        public var tagEvents: UInt64 = 0
        public var tagReads: UInt64 = 0
        public var sensorReadings: UInt64 = 0
        public var arrivals: UInt64 = 0
        public var moves: UInt64 = 0
        public var departures: UInt64 = 0

        public init() {}
    }

    public let configuration: Configuration
    public private(set) var tracker: PresenceTracker
    public private(set) var sources: [SourceCounters]
    public private(set) var totals = Totals()
    private var windows: [EventNumberWindow]
    private var movements: [Movement] = []
    private var readings: [ReadingFact] = []
    private var alerts: [AlertFact] = []
    private var minutes: [MinuteAggregate] = []
    /// Per-minute aggregates of readings, so a year of readings stays small to query.
    private var minuteAggregator = MinuteAggregator()
    var coldChain: ColdChainMonitor
    /// When rows with only a newer `last_seen` were last taken (event time).
    private var lastRefreshBatch: EventTime = .distantPast
    /// Container journeys, fed with the movements and container alerts below (see `Pipeline+Transport`).
    public internal(set) var transport: TransportTracker
    /// The temperature figures last written per container journey, to write them again only when they change.
    var journeyTemperatures: [EPC: JourneyTemperatureKey] = [:]
    /// The latest sensor reading time: the cold chain's clock.
    ///
    /// Sensor readings carry the gateway's poll time; tag reads carry the readers' own clocks.
    /// The cold chain runs on reading times only (and on `advanceColdChain(to:)`, which the live
    /// gateway calls as wall time passes), so a reader whose clock runs ahead can never make the
    /// sensors look silent or finish a minute of readings early.
    public private(set) var latestReading: EventTime?

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.tracker = PresenceTracker(absentAfter: configuration.absentAfter, capacity: configuration.maxTags)
        self.coldChain = configuration.coldChain
        self.transport = TransportTracker(configuration: configuration.transport)
        self.sources = Array(repeating: SourceCounters(), count: configuration.sourceCount)
        self.windows = Array(repeating: EventNumberWindow(), count: configuration.sourceCount)
    }

    /// The pipeline's event-time clock: the latest event time seen.
    public var clock: EventTime { tracker.clock }

    /// Restores inventory state saved by a previous run (see `PresenceTracker.restore`).
    public mutating func restore(_ rows: [InventoryEntry]) {
        for row in rows { tracker.restore(row) }
    }

    /// Checks a message's `(source, seq)` against the previous one of its source. Call once per
    /// message (all reads of a message share its seq).
    public mutating func noteMessage(source: SourceID, seq: UInt64) {
        let last = sources[source.index].lastSeq
        if seq > last {
            if last != 0 && seq > last + 1 { sources[source.index].seqGaps &+= seq - last - 1 }
            sources[source.index].lastSeq = seq
        } else {
            sources[source.index].seqRegressions &+= 1
        }
    }

    /// Processes one event.
    public mutating func process(_ event: DeviceEvent) {
        switch event {
        case .tag(let read): process(read)
        case .reading(let reading): process(reading)
        }
    }

    /// Processes one sensor reading: it is kept for the next batch, in its sensor's zone.
    public mutating func process(_ reading: SensorReading) {
        totals.sensorReadings &+= 1
        let zone = configuration.readPoints.zone(source: reading.source, antenna: 0)
        readings.append(ReadingFact(sensor: reading.source, zone: zone, at: reading.time, celsius: reading.celsius))
        let before = movements.count
        tracker.advance(to: reading.time, into: &movements)
        countMovements(from: before)
        latestReading = max(reading.time, latestReading ?? reading.time)
        coldChain.observe(reading, into: &alerts)
        minuteAggregator.observe(.sensor(reading.source), at: reading.time, celsius: reading.celsius, into: &minutes)
    }

    /// Processes one tag read whose EPC is known to be well-formed (or need not be).
    public mutating func process(_ read: TagRead) {
        process(read, admit: { _ in true })
    }

    /// Processes one tag read from a device, checking its EPC (`EPCIdentity.validate`) the first
    /// time the EPC is seen — not at every read: an EPC the tracker holds was checked when it
    /// arrived. A malformed EPC changes nothing and is thrown for the caller to reject.
    public mutating func process(validating read: TagRead) throws(EPCError) {
        var failure: EPCError?
        process(read) { epc in
            do throws(EPCError) {
                try EPCIdentity.validate(epc)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }

    @inline(__always)
    private mutating func process(_ read: TagRead, admit: (EPC) -> Bool) {
        let source = read.source.index
        if let number = read.vendorEventNumber {
            switch windows[source].admit(number) {
            case .duplicate:
                sources[source].redelivered &+= 1
                return
            case .counterReset:
                sources[source].eventCounterResets &+= 1
            case .new:
                break
            }
        }
        guard let zone = configuration.readPoints.zone(source: read.source, antenna: read.antenna) else {
            sources[source].unmappedReads &+= 1
            return
        }
        let before = movements.count
        let admitted = tracker.observe(
            epc: read.epc,
            zone: zone,
            at: read.time,
            reads: read.readCount,
            into: &movements,
            admit: admit
        )
        if admitted {
            totals.tagEvents &+= 1
            totals.tagReads &+= UInt64(read.readCount)
        }
        countMovements(from: before)
    }

    /// Lets event time pass without a read (live mode, when the site is quiet) so departures
    /// still happen. Never moves the clock backwards.
    public mutating func advance(to time: EventTime) {
        let before = movements.count
        tracker.advance(to: time, into: &movements)
        countMovements(from: before)
    }

    /// Lets cold-chain time pass without readings (the live gateway calls it as wall time passes
    /// since the latest reading): excursions get confirmed, silent sensors go offline, and minutes
    /// of readings are finished.
    public mutating func advanceColdChain(to time: EventTime) {
        if coldChain.isActive { coldChain.advance(to: time, into: &alerts) }
        if totals.sensorReadings > 0 { minuteAggregator.advance(to: time, into: &minutes) }
    }

    private mutating func countMovements(from start: Int) {
        for index in start..<movements.count {
            if coldChain.isActive {
                if movements[index].kind == .arrival { classFromManifest(movements[index].epc) }
                coldChain.observe(movements[index], into: &alerts)
            }
            transport.observe(movements[index])
            switch movements[index].kind {
            case .arrival: totals.arrivals &+= 1
            case .move: totals.moves &+= 1
            case .departure: totals.departures &+= 1
            }
        }
    }

    /// Number of movements waiting for the next batch.
    public var pendingMovements: Int { movements.count }

    /// Number of alert transitions (raised, cleared, …) waiting for the next batch.
    public var pendingAlerts: Int { alerts.count }

    /// The facts derived since the previous call: movements in order, and the inventory rows
    /// that changed.
    ///
    /// Rows whose only change is a newer `last_seen` or more `reads` are included when
    /// `periodic` is false (a final or explicit flush), or once `lastSeenFlush` of event time
    /// passed since they were last included; so a periodic flush writes facts, not reads.
    public mutating func takeBatch(periodic: Bool = false) -> FactBatch {
        var batch = FactBatch(movements: movements, readings: readings, alerts: alerts)
        for aggregate in minutes {
            guard case .sensor(let sensor) = aggregate.subject else { continue }
            batch.minutes.append((aggregate, sensor, configuration.readPoints.zone(source: sensor, antenna: 0)))
        }
        minutes.removeAll(keepingCapacity: true)
        movements.removeAll(keepingCapacity: true)
        readings.removeAll(keepingCapacity: true)
        alerts.removeAll(keepingCapacity: true)
        let refreshes =
            !periodic || lastRefreshBatch == .distantPast
            || clock - lastRefreshBatch >= configuration.lastSeenFlush
        if refreshes { lastRefreshBatch = clock }
        batch.isComplete = refreshes
        tracker.drainChanges(includingRefreshes: refreshes) { batch.inventory.append($0) }
        takeTransport(into: &batch)
        return batch
    }
}
