import DequeModule

/// One subject's exposure beyond a `CumulativeLimit`, summed over a rolling window, with the
/// exact instants at which the sum reaches `allowed` and falls back below it.
///
/// Each reading stands for the temperature from its time until the next reading, at most
/// `holdLimit` (the class's `offlineAfter`) and never past an interruption, so exposure is a
/// set of disjoint intervals: the closed ones in a deque, oldest first, and the run of exposed
/// readings still being held, whose end is tentative until the next reading. Within the window
/// `(t − window, t]` the exposure grows at rate 1 while the run is held and shrinks at rate 1
/// while the window's tail crosses an exposure interval, so it is piecewise linear with slopes
/// −1, 0 and 1, and its crossings of `allowed` are found exactly, in integer nanoseconds, by
/// walking the breakpoints from the oldest interval on. Intervals that left the window are
/// evicted from the front (O(1) amortised). A crossing walk steps over the intervals the tail
/// passes before the crossing: usually none or a few, at worst every interval in the window
/// (many short exposures with the total hovering just under `allowed`).
struct CumulativeExposure: Sendable {
    struct Interval: Sendable {
        var start: Int64
        var end: Int64
        /// The most extreme exposed reading of the interval.
        var peak: Double
    }

    /// The cumulative alert in force, if any.
    struct Active: Sendable, Equatable {
        var startedAt: EventTime
        var confirmedAt: EventTime
        var peak: Double
    }

    /// What firing a crossing did.
    enum Change: Sendable, Equatable {
        case raised(Active)
        case cleared(Active)
    }

    let limit: CumulativeLimit
    let window: Int64
    let allowed: Int64
    /// How long one reading may stand for the temperature; nil for "until the next reading".
    let holdLimit: Int64?

    private(set) var closed: Deque<Interval> = []
    /// The summed lengths of `closed`.
    private var closedTotal: Int64 = 0
    /// The run of exposed readings being held, with its tentative end.
    private(set) var run: Interval?
    private(set) var active: Active?
    /// The largest time this exposure was evaluated at; intervals ending at or before
    /// `horizon − window` are evicted, and crossings are searched from `horizon` on.
    private(set) var horizon: Int64 = .min

    init(limit: CumulativeLimit, holdLimit: Duration?) {
        self.limit = limit
        self.window = limit.window.nanosecondsClamped
        self.allowed = limit.allowed.nanosecondsClamped
        self.holdLimit = holdLimit?.nanosecondsClamped
    }

    /// Takes a reading at `time` (not older than the previous one). Returns the new peak when
    /// it makes an active alert's peak more extreme.
    mutating func record(_ celsius: Double, at time: Int64) -> Double? {
        moveHorizon(to: time)
        let exposed = limit.isExposed(celsius)
        if var held = run {
            if exposed && time <= held.end {
                held.end = heldUntil(time)
                held.peak = moreExtreme(held.peak, celsius)
                run = held
            } else {
                held.end = Swift.min(held.end, time)
                close(held)
                run = exposed ? Interval(start: time, end: heldUntil(time), peak: celsius) : nil
            }
        } else if exposed {
            run = Interval(start: time, end: heldUntil(time), peak: celsius)
        }
        evict()
        guard exposed, var alert = active, moreExtreme(alert.peak, celsius) != alert.peak else { return nil }
        alert.peak = celsius
        active = alert
        return celsius
    }

    /// The held run, if any, stops counting at `time` (the readings no longer stand for the
    /// subject's temperature: a container left its zone, a sensor went offline).
    mutating func interrupt(at time: Int64) {
        guard var held = run else { return }
        held.end = Swift.min(held.end, Swift.max(time, held.start))
        run = held
    }

    /// The instant of the next change: when the exposure reaches `allowed` (no alert active)
    /// or falls back below it (an alert active), given the readings so far; nil if it never
    /// will without another reading.
    func nextCrossing() -> Int64? {
        crossing(from: horizon, rising: active == nil)
    }

    /// Raises or clears the alert at `time`, the instant `nextCrossing()` returned.
    mutating func fire(at time: Int64) -> Change {
        moveHorizon(to: time)
        evict()
        if let alert = active {
            active = nil
            return .cleared(alert)
        }
        let tail = time.subtractingSaturated(window)
        var startedAt: Int64?
        var peak: Double?
        for interval in closed where interval.end > tail {
            if startedAt == nil { startedAt = interval.start }
            peak = peak.map { moreExtreme($0, interval.peak) } ?? interval.peak
        }
        if let held = run, Swift.min(held.end, time) > Swift.max(held.start, tail) {
            if startedAt == nil { startedAt = held.start }
            peak = peak.map { moreExtreme($0, held.peak) } ?? held.peak
        }
        let alert = Active(
            startedAt: EventTime(nanoseconds: startedAt ?? time),
            confirmedAt: EventTime(nanoseconds: time),
            peak: peak ?? limit.limit
        )
        active = alert
        return .raised(alert)
    }

    /// The exposure within `(time − window, time]`, for `time ≥ horizon`.
    func exposure(at time: Int64) -> Int64 {
        let tail = time.subtractingSaturated(window)
        var total = closedTotal
        // After eviction only the oldest closed interval can straddle the tail.
        if let front = closed.first, front.start < tail {
            total -= Swift.min(tail, front.end) - front.start
        }
        if let held = run {
            let from = Swift.max(held.start, tail)
            let to = Swift.min(held.end, time)
            if to > from { total += to - from }
        }
        return total
    }

    // MARK: - Internals

    private func heldUntil(_ time: Int64) -> Int64 {
        guard let holdLimit else { return .max }
        return time.addingSaturated(holdLimit)
    }

    private func moreExtreme(_ a: Double, _ b: Double) -> Double {
        switch limit.side {
        case .above: Swift.max(a, b)
        case .below: Swift.min(a, b)
        }
    }

    private mutating func moveHorizon(to time: Int64) {
        if time > horizon { horizon = time }
    }

    private mutating func close(_ interval: Interval) {
        guard interval.end > interval.start else { return }
        closed.append(interval)
        closedTotal += interval.end - interval.start
    }

    private mutating func evict() {
        let tail = horizon.subtractingSaturated(window)
        while let front = closed.first, front.end <= tail {
            closed.removeFirst()
            closedTotal -= front.end - front.start
        }
    }

    /// The interval at `index` in time order: the closed ones, then the held run.
    private func interval(_ index: Int) -> Interval {
        index < closed.count ? closed[index] : run!
    }

    /// Walks the piecewise-linear exposure from `start` to the first instant at which it is
    /// at least `allowed` (rising) or drops below it (falling).
    private func crossing(from start: Int64, rising: Bool) -> Int64? {
        let count = closed.count + (run == nil ? 0 : 1)
        var time = start
        var total = exposure(at: start)
        var tailIndex = 0
        while true {
            let tail = time.subtractingSaturated(window)
            while tailIndex < count && interval(tailIndex).end <= tail { tailIndex += 1 }
            let headRate: Int64 = run.map { time >= $0.start && time < $0.end } == true ? 1 : 0
            let tailInside = tailIndex < count && interval(tailIndex).start <= tail
            let slope = headRate - (tailInside ? 1 : 0)
            var next = Int64.max
            if headRate == 1, let held = run { next = held.end }
            if tailIndex < count {
                let edge = tailInside ? interval(tailIndex).end : interval(tailIndex).start
                next = Swift.min(next, edge.addingSaturated(window))
            }
            let span = next.subtractingSaturated(time)
            if rising {
                // An instant where the exposure touches `allowed` on its way down is where a
                // previous alert cleared, not a new crossing.
                if total > allowed || (total == allowed && slope >= 0) { return time }
                if slope > 0 && allowed - total <= span { return time + (allowed - total) }
                if headRate == 0 { return nil }
            } else {
                if total < allowed { return time }
                if slope < 0 && total - allowed < span { return time + (total - allowed) }
                if headRate == 0 && tailIndex >= count { return nil }
            }
            if next == .max { return nil }
            total += slope * span
            time = next
        }
    }
}

extension Int64 {
    /// `self + other`, clamped to the `Int64` range.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { return other > 0 ? .max : .min }
        return sum
    }

    /// `self − other`, clamped to the `Int64` range.
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        if overflow { return other > 0 ? .min : .max }
        return difference
    }
}
