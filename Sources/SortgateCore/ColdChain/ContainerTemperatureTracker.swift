/// What one container went through: where it is, and the temperatures of the zones it was in
/// while it was there.
public struct ContainerTemperatureSummary: Hashable, Sendable {
    public var container: EPC
    /// The zone it is in now; nil before its first entry and after it left.
    public var zone: ZoneID?
    /// When it entered `zone`.
    public var zoneSince: EventTime?
    /// Zone readings applied to it (including the zone's latest reading taken on entry).
    public var readingCount: Int
    public var firstReadingAt: EventTime?
    public var lastReadingAt: EventTime?
    public var minCelsius: Double?
    public var maxCelsius: Double?
    /// How long readings stood for its temperature (each until the next reading of its zone, at
    /// most its class's `offlineAfter`, never past leaving the zone), up to the tracker's clock.
    public var monitoredTime: Duration
    /// The part of `monitoredTime` whose readings were outside its class range, with no delay
    /// and no hysteresis: the raw figure a cold-chain report states (in minutes: divide by
    /// `.seconds(60)`).
    public var timeOutOfRange: Duration
    /// Its time-weighted MKT over its class's MKT window, when it has one and time is covered.
    public var meanKineticCelsius: Double?
    /// Its alerts raised and not cleared.
    public var activeAlerts: [AlertID]

    public init(
        container: EPC,
        zone: ZoneID?,
        zoneSince: EventTime?,
        readingCount: Int,
        firstReadingAt: EventTime?,
        lastReadingAt: EventTime?,
        minCelsius: Double?,
        maxCelsius: Double?,
        monitoredTime: Duration,
        timeOutOfRange: Duration,
        meanKineticCelsius: Double?,
        activeAlerts: [AlertID]
    ) {
        self.container = container
        self.zone = zone
        self.zoneSince = zoneSince
        self.readingCount = readingCount
        self.firstReadingAt = firstReadingAt
        self.lastReadingAt = lastReadingAt
        self.minCelsius = minCelsius
        self.maxCelsius = maxCelsius
        self.monitoredTime = monitoredTime
        self.timeOutOfRange = timeOutOfRange
        self.meanKineticCelsius = meanKineticCelsius
        self.activeAlerts = activeAlerts
    }
}

/// Gives every container (an SSCC or GRAI-tagged pallet, tote or roll cage) the temperature of
/// the zone it is in, so each has its own history, min/max, time out of range, MKT and
/// excursions, even as it moves between zones and sensors.
///
/// The inputs are plain facts: "container X entered zone Z at t" (a move is an entry into the
/// new zone), "container X left at t", and "zone Z read c °C at t". The caller maps sensors to
/// zones (one temperature per zone: it combines several sensors if it wants to), decides which
/// EPCs are containers, and which class each belongs to (`setLimits`; otherwise
/// `defaultLimits`). Each container is a `.container(epc)` subject of an `ExcursionDetector`
/// owned by the tracker, judged by its own class's limits: a container moved from a cold room
/// to a warm dock gets the excursion, the cold room's own subject does not.
///
/// Semantics where the readings are sparse:
/// - On entry, the zone's latest reading, if it is fresh (not older than the class's
///   `offlineAfter`, or any age without one), is applied at the entry time: the container is
///   taken to be at the zone's last known temperature from the moment it arrives, so an
///   excursion on a warm dock starts when the container got there, not at the dock sensor's
///   next report.
/// - Leaving a zone (or moving on) ends what the last reading stands for; in a zone without
///   readings the container's temperature is unknown: a pending excursion is dropped, exposure
///   stops, and a confirmed excursion stays active until a reading clears it (or an operator
///   acknowledges it), because nobody saw it end.
/// - Containers do not raise `sensor-offline`: the zone's own sensor does. A zone reading gap
///   longer than `offlineAfter` still makes the last value stale for the container.
///
/// Cost: a zone reading costs O(containers in the zone); entry and exit O(1) (each zone's
/// containers are a dense array with swap-removal, which also keeps alert order deterministic).
/// State is kept per container until `forget(_:)`.
public struct ContainerTemperatureTracker: Sendable {
    struct Container: Sendable {
        var limits: TemperatureLimits
        var mktWindow: Duration?
        var zone: ZoneID?
        var zoneSince: EventTime?
        /// Index in `occupants[zone]`.
        var slot = 0
        var readingCount = 0
        var firstReadingAt: EventTime?
        var lastReadingAt: EventTime?
        var minCelsius: Double?
        var maxCelsius: Double?
        /// Settled time covered by readings, and the part out of range (nanoseconds).
        var monitored: Int64 = 0
        var outOfRange: Int64 = 0
        /// The newest reading and until when it stands (tentative).
        var held: (time: Int64, end: Int64, outside: Bool)?
        var mkt: MeanKineticTemperature?
    }

    public let defaultLimits: TemperatureLimits
    public let defaultMKTWindow: Duration?
    private var detector = ExcursionDetector()
    private var containers: [EPC: Container] = [:]
    private var occupants: [ZoneID: [EPC]] = [:]
    private var latest: [ZoneID: (time: EventTime, celsius: Double)] = [:]
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast
    /// Zone readings that were NaN or infinite, ignored.
    public private(set) var ignoredNonFinite = 0

    public init(defaultLimits: TemperatureLimits, defaultMKTWindow: Duration? = nil) {
        self.defaultLimits = defaultLimits
        self.defaultMKTWindow = defaultMKTWindow
    }

    /// Sets the class of `container`: its limits and its MKT window (e.g. 24 h for chilled).
    /// Best before its first entry; later, new limits apply from the next reading and a changed
    /// MKT window starts its MKT afresh.
    public mutating func setLimits(_ limits: TemperatureLimits, mktWindow: Duration? = nil, for container: EPC) {
        var state = containers[container] ?? Container(limits: limits, mktWindow: mktWindow)
        if state.mkt == nil || state.mktWindow != mktWindow || state.limits.offlineAfter != limits.offlineAfter {
            state.mkt = Self.makeMKT(window: mktWindow, limits: limits)
        }
        state.limits = limits
        state.mktWindow = mktWindow
        containers[container] = state
        detector.monitor(.container(container), limits: limits, raisesOfflineAlerts: false)
    }

    /// `container` is in `zone` from `time` on (leaving the zone it was in, if another). Appends
    /// the alerts due before `time` and those its arrival causes.
    public mutating func enter(_ container: EPC, zone: ZoneID, at time: EventTime, into alerts: inout [AlertEvent]) {
        advance(to: time, into: &alerts)
        if containers[container] == nil { setLimits(defaultLimits, mktWindow: defaultMKTWindow, for: container) }
        if containers[container]?.zone == zone { return }
        leave(container, at: time, into: &alerts)
        guard var state = containers[container] else { return }
        state.zone = zone
        state.zoneSince = time
        state.slot = occupants[zone, default: []].count
        occupants[zone, default: []].append(container)
        containers[container] = state
        guard let last = latest[zone] else { return }
        if last.time <= time, let hold = state.limits.offlineAfter, time - last.time > hold { return }
        apply(last.celsius, at: Swift.max(time, last.time), to: container, into: &alerts)
    }

    /// `container` left its zone at `time` (departed, or is somewhere without readings).
    public mutating func leave(_ container: EPC, at time: EventTime, into alerts: inout [AlertEvent]) {
        advance(to: time, into: &alerts)
        guard var state = containers[container], let zone = state.zone else { return }
        removeOccupant(at: state.slot, of: zone)
        state.zone = nil
        state.zoneSince = nil
        if let held = state.held {
            settle(&state, held, until: time.nanoseconds)
            state.held = nil
        }
        state.mkt?.interrupt(at: time)
        containers[container] = state
        detector.interrupt(.container(container), at: time, into: &alerts)
    }

    /// A reading of `zone`: every container in it takes it as its own.
    public mutating func observe(zone: ZoneID, at time: EventTime, celsius: Double, into alerts: inout [AlertEvent]) {
        advance(to: time, into: &alerts)
        guard celsius.isFinite else {
            ignoredNonFinite += 1
            return
        }
        // An older reading still goes to the containers (each ignores what is older than its own
        // last reading) but does not replace the zone's latest.
        if latest[zone].map({ $0.time <= time }) ?? true { latest[zone] = (time, celsius) }
        for container in occupants[zone] ?? [] {
            apply(celsius, at: time, to: container, into: &alerts)
        }
    }

    /// Moves the clock forward to `time` and appends the container alerts now due.
    public mutating func advance(to time: EventTime, into alerts: inout [AlertEvent]) {
        if time > clock { clock = time }
        detector.advance(to: clock, into: &alerts)
    }

    /// Drops everything known about `container`, without emitting anything (it left the site
    /// and its history was stored); an alert still active stays so in the store.
    public mutating func forget(_ container: EPC) {
        guard let state = containers[container] else { return }
        if let zone = state.zone { removeOccupant(at: state.slot, of: zone) }
        containers[container] = nil
        detector.forget(.container(container))
    }

    /// The containers in `zone` now.
    public func containers(in zone: ZoneID) -> [EPC] {
        occupants[zone] ?? []
    }

    /// What `container` went through, as of the tracker's clock.
    public func summary(of container: EPC) -> ContainerTemperatureSummary? {
        guard var state = containers[container] else { return nil }
        if let held = state.held { settle(&state, held, until: clock.nanoseconds) }
        var mkt = state.mkt
        mkt?.advance(to: clock)
        return ContainerTemperatureSummary(
            container: container,
            zone: state.zone,
            zoneSince: state.zoneSince,
            readingCount: state.readingCount,
            firstReadingAt: state.firstReadingAt,
            lastReadingAt: state.lastReadingAt,
            minCelsius: state.minCelsius,
            maxCelsius: state.maxCelsius,
            monitoredTime: .nanoseconds(state.monitored),
            timeOutOfRange: .nanoseconds(state.outOfRange),
            meanKineticCelsius: mkt?.celsius,
            activeAlerts: detector.activeAlerts(of: .container(container))
        )
    }

    /// Removes the container at `slot` from the zone's list by moving the last one into its place.
    private mutating func removeOccupant(at slot: Int, of zone: ZoneID) {
        guard var list = occupants[zone], slot < list.count else { return }
        let moved = list.removeLast()
        if slot < list.count {
            list[slot] = moved
            containers[moved]?.slot = slot
        }
        occupants[zone] = list.isEmpty ? nil : list
    }

    /// Counts the time `held` stood for the temperature, up to `time`.
    private func settle(_ state: inout Container, _ held: (time: Int64, end: Int64, outside: Bool), until time: Int64) {
        let covered = Swift.max(0, Swift.min(held.end, time) - held.time)
        state.monitored += covered
        if held.outside { state.outOfRange += covered }
    }

    private mutating func apply(
        _ celsius: Double,
        at time: EventTime,
        to container: EPC,
        into alerts: inout [AlertEvent]
    ) {
        guard var state = containers[container] else { return }
        if let last = state.lastReadingAt, time < last { return }
        let now = time.nanoseconds
        if let held = state.held { settle(&state, held, until: now) }
        let hold = state.limits.offlineAfter.map { now.addingSaturated($0.nanosecondsClamped) } ?? .max
        state.held = (now, hold, state.limits.isOutside(celsius))
        state.readingCount += 1
        if state.firstReadingAt == nil { state.firstReadingAt = time }
        state.lastReadingAt = time
        state.minCelsius = Swift.min(state.minCelsius ?? celsius, celsius)
        state.maxCelsius = Swift.max(state.maxCelsius ?? celsius, celsius)
        state.mkt?.add(celsius, at: time)
        containers[container] = state
        detector.observe(.container(container), at: time, celsius: celsius, into: &alerts)
    }

    private static func makeMKT(window: Duration?, limits: TemperatureLimits) -> MeanKineticTemperature? {
        window.map { MeanKineticTemperature(window: $0, weighting: .timeWeighted(maximumHold: limits.offlineAfter)) }
    }
}
