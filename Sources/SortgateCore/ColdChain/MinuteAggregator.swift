import HeapModule

/// The readings of one subject within one calendar minute, summarised.
public struct MinuteAggregate: Hashable, Sendable {
    public var subject: ColdChainSubject
    /// The minute's first instant (event time floored to the minute, UTC).
    public var minute: EventTime
    public var count: Int
    public var minCelsius: Double
    public var maxCelsius: Double
    /// The sum of the readings, so that aggregates can be merged exactly.
    public var sumCelsius: Double

    public init(
        subject: ColdChainSubject,
        minute: EventTime,
        count: Int,
        minCelsius: Double,
        maxCelsius: Double,
        sumCelsius: Double
    ) {
        self.subject = subject
        self.minute = minute
        self.count = count
        self.minCelsius = minCelsius
        self.maxCelsius = maxCelsius
        self.sumCelsius = sumCelsius
    }

    /// The arithmetic mean of the minute's readings.
    public var meanCelsius: Double { sumCelsius / Double(count) }

    /// The first instant after the minute.
    public var end: EventTime { minute + .seconds(60) }

    mutating func add(_ celsius: Double) {
        count += 1
        minCelsius = Swift.min(minCelsius, celsius)
        maxCelsius = Swift.max(maxCelsius, celsius)
        sumCelsius += celsius
    }
}

/// Per-minute min/mean/max/count of each subject's readings, so that a year of readings stays
/// small (525 600 rows per sensor at most, whatever its rate) while excursions keep full
/// resolution in the alerts.
///
/// A reading belongs to the minute its event time falls in (floored, UTC; a reading at exactly
/// 08:01:00 belongs to 08:01). A subject's minute is finished and appended to the output when
/// a reading of the same subject from a later minute arrives, or when `advance(to:)` reaches
/// the minute's end. A reading does not finish other subjects' minutes: a sensor whose readings
/// arrive in a late burst (a logger uploading) still aggregates each of its minutes whole, as
/// long as the caller's `advance(to:)` (its batch or timer tick) has not passed them. A reading
/// of a minute already finished, or older than the subject's open minute, is dropped and counted
/// in `lateReadings`, so every (subject, minute) is emitted at most once. Readings within the
/// open minute may arrive in any order.
///
/// Cost: one open aggregate per subject, and one min-heap entry per opened minute, each pushed
/// and popped once: O(log subjects) per minute per subject, O(1) per reading otherwise.
public struct MinuteAggregator: Sendable {
    struct Series: Sendable {
        var open: MinuteAggregate?
        /// The heap entry of the open minute.
        var openSequence: UInt64 = 0
        /// The last minute emitted, so a late reading cannot emit it twice.
        var finishedThrough: EventTime?
    }

    struct Deadline: Comparable, Sendable {
        var end: EventTime
        var sequence: UInt64
        var subject: ColdChainSubject
        static func < (a: Deadline, b: Deadline) -> Bool { (a.end, a.sequence) < (b.end, b.sequence) }
        static func == (a: Deadline, b: Deadline) -> Bool { a.end == b.end && a.sequence == b.sequence }
    }

    private static let minuteNanoseconds: Int64 = 60_000_000_000

    private var series: [ColdChainSubject: Series] = [:]
    private var deadlines = Heap<Deadline>()
    private var nextSequence: UInt64 = 0
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast
    /// Readings of a minute already finished (or older than the open one), dropped.
    public private(set) var lateReadings = 0
    /// Readings that were NaN or infinite, dropped.
    public private(set) var nonFiniteReadings = 0

    public init() {}

    /// The minute `time` falls in: its first instant.
    public static func minute(of time: EventTime) -> EventTime {
        let (quotient, remainder) = time.nanoseconds.quotientAndRemainder(dividingBy: minuteNanoseconds)
        let floored = remainder < 0 ? quotient - 1 : quotient
        return EventTime(nanoseconds: floored * minuteNanoseconds)
    }

    /// The open (unfinished) minute of `subject`, if any.
    public func openMinute(of subject: ColdChainSubject) -> MinuteAggregate? {
        series[subject]?.open
    }

    /// Adds one reading; appends the subject's previous minute if this reading is from a later one.
    public mutating func observe(
        _ subject: ColdChainSubject,
        at time: EventTime,
        celsius: Double,
        into finished: inout [MinuteAggregate]
    ) {
        guard celsius.isFinite else {
            nonFiniteReadings += 1
            return
        }
        if time > clock { clock = time }
        let minute = Self.minute(of: time)
        var state = series[subject] ?? Series()
        if let done = state.finishedThrough, minute <= done {
            lateReadings += 1
            return
        }
        if var open = state.open {
            if minute == open.minute {
                open.add(celsius)
                state.open = open
                series[subject] = state
                return
            }
            if minute < open.minute {
                lateReadings += 1
                return
            }
            finished.append(open)
            state.finishedThrough = open.minute
        }
        state.open = MinuteAggregate(
            subject: subject,
            minute: minute,
            count: 1,
            minCelsius: celsius,
            maxCelsius: celsius,
            sumCelsius: celsius
        )
        state.openSequence = nextSequence
        deadlines.insert(Deadline(end: minute + .seconds(60), sequence: nextSequence, subject: subject))
        nextSequence &+= 1
        series[subject] = state
    }

    /// Moves the clock forward to `time` (never backwards) and appends every open minute that
    /// ended at or before it, in order of their ends.
    public mutating func advance(to time: EventTime, into finished: inout [MinuteAggregate]) {
        if time > clock { clock = time }
        while let top = deadlines.min, top.end <= clock {
            _ = deadlines.popMin()
            finish(top, into: &finished)
        }
    }

    /// Appends every open minute, finished or not (at shutdown); later readings of those
    /// minutes count as late.
    public mutating func flush(into finished: inout [MinuteAggregate]) {
        while let top = deadlines.popMin() {
            finish(top, into: &finished)
        }
    }

    /// Appends the open minute `deadline` was set for; nothing when that minute was already
    /// finished by a later reading (the subject's open minute then has a newer sequence).
    private mutating func finish(_ deadline: Deadline, into finished: inout [MinuteAggregate]) {
        guard var state = series[deadline.subject], let open = state.open, state.openSequence == deadline.sequence
        else {
            return
        }
        finished.append(open)
        state.open = nil
        state.finishedThrough = open.minute
        series[deadline.subject] = state
    }
}
