import HeapModule

/// Turns temperature readings into cold-chain alerts, one state machine per subject (a sensor,
/// a zone or a container), on event time.
///
/// **Excursions.** A reading above `max` (or below `min`) starts a *pending* excursion dated by
/// that reading. It is confirmed, and `raised`, when the clock reaches `startedAt + alarmDelay`
/// while the subject is still outside: `confirmedAt` is exactly that instant, whether a later
/// reading or `advance(to:)` moved the clock there (a reading back inside at exactly that
/// instant comes too late: the excursion did last the delay). Any reading back inside (with or
/// without the hysteresis) drops a pending excursion without a trace, so a door opened for two
/// minutes pages nobody; so does a reading on the other side of the range, which starts a
/// pending excursion of its own. A confirmed excursion reports each new peak (the highest
/// reading of a high excursion, the lowest of a low one) as `updated`, stays active through
/// readings inside the range but within `clearHysteresis` of the limit, and is `cleared` at the
/// first reading at or below `max − clearHysteresis` (at or above `min + clearHysteresis`) or
/// on the other side of the range: a high excursion turning directly into a low one clears at
/// the first low reading, which also starts the pending low excursion.
///
/// **Offline.** With `offlineAfter` set, a subject not heard from for that long goes offline
/// as soon as the clock passes `lastReading + offlineAfter`: a `sensor-offline` alert is raised
/// dated by the last reading and confirmed at `lastReading + offlineAfter`, and cleared by the
/// next reading. From then on the last value no longer stands for the temperature: a pending
/// excursion is dropped (it was never seen to last the delay) and the cumulative exposure stops
/// at that instant. A confirmed excursion stays active, because nobody saw it end; the next
/// reading decides. `monitor(_:limits:raisesOfflineAlerts:expectingReadingsFrom:)` can arm this
/// for a subject not heard from yet, and can keep the staleness rules without the alert (a
/// container's zone sensor raises its own).
///
/// **Cumulative.** With a `CumulativeLimit`, the time spent beyond it within the rolling window
/// is tracked as `CumulativeExposure` describes; `cumulative` is raised when the clock reaches
/// the exact instant the exposure reaches `allowed`, and cleared, dated by the exact instant the
/// exposure starts falling below `allowed`, once the clock passes that instant (a reading at
/// that very instant may start a new run and keep it at `allowed`). It is independent of
/// excursions: a long excursion may raise both.
///
/// **Time.** The clock is the largest event time seen (readings, `interrupt`, `advance(to:)`);
/// a reading first advances the clock, raising whatever fell due before it, then applies.
/// Readings older than the subject's last reading are ignored and counted, and so are
/// non-finite ones and readings of subjects nobody asked to monitor. The clock is shared by all
/// subjects, so a reading delivered after the clock passed one of its subject's deadlines
/// cannot undo what that deadline raised; it applies from then on. All alert times come from
/// readings and limits, never from when a deadline was noticed, so a replay of the same
/// readings gives the same alerts, with the same ids, in the same order.
///
/// **Cost.** Each subject has at most a few deadlines (confirmation, offline, cumulative
/// crossing); the earliest sits in a min-heap, and an entry made stale by a reading is pushed
/// again with the new deadline when it pops, as in `PresenceTracker`. A reading costs O(1) plus
/// O(log n) when it moves a deadline earlier, plus, with a cumulative limit, the walk that finds
/// the next crossing (see `CumulativeExposure`); memory is O(subjects) plus the exposure
/// intervals of each cumulative window.
public struct ExcursionDetector: Sendable {
    /// A pending or confirmed excursion.
    struct Excursion: Sendable {
        var kind: AlertKind
        var startedAt: EventTime
        var peak: Double
        var confirmedAt: EventTime?
    }

    struct Subject: Sendable {
        var limits: TemperatureLimits
        var raisesOfflineAlerts: Bool
        var lastReading: EventTime?
        /// The last time the subject was heard from (or expected to be), for the offline rule.
        var lastHeard: EventTime?
        /// Whether silence should make the subject go offline: a reading arms it; going offline
        /// and an interruption disarm it.
        var offlineArmed = false
        var excursion: Excursion?
        /// The active offline alert: started at the last reading, confirmed `offlineAfter` later.
        var offline: (startedAt: EventTime, confirmedAt: EventTime)?
        var cumulative: CumulativeExposure?
        /// The heap entry currently standing for this subject's earliest deadline.
        var scheduled: (due: EventTime, sequence: UInt64)?
    }

    /// What a due deadline does, in the order ties are resolved.
    enum Action: Int, Sendable {
        case confirmExcursion
        case raiseCumulative
        case clearCumulative
        case goOffline
    }

    struct Deadline: Comparable, Sendable {
        var due: EventTime
        /// Insertion order, so equal deadlines fire first come, first served.
        var sequence: UInt64
        var subject: ColdChainSubject
        static func < (a: Deadline, b: Deadline) -> Bool { (a.due, a.sequence) < (b.due, b.sequence) }
        static func == (a: Deadline, b: Deadline) -> Bool { a.due == b.due && a.sequence == b.sequence }
    }

    private var subjects: [ColdChainSubject: Subject] = [:]
    private var deadlines = Heap<Deadline>()
    private var nextSequence: UInt64 = 0
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast
    /// Readings older than their subject's last reading, ignored.
    public private(set) var ignoredOutOfOrder = 0
    /// Readings that were NaN or infinite, ignored.
    public private(set) var ignoredNonFinite = 0
    /// Readings of subjects that were never given limits, ignored.
    public private(set) var ignoredUnmonitored = 0

    public init() {}

    /// Number of subjects monitored.
    public var subjectCount: Int { subjects.count }

    /// Starts monitoring `subject` with `limits`, or replaces its limits.
    ///
    /// New limits apply from the next reading on (a pending excursion is confirmed with the new
    /// `alarmDelay`); a changed cumulative limit or `offlineAfter` restarts the cumulative
    /// exposure from nothing (an active cumulative alert is left to the store). With
    /// `raisesOfflineAlerts` false, silence still makes the last value stale, but raises
    /// nothing. `expectingReadingsFrom` treats a subject not heard from yet as last heard at
    /// that time, so a sensor that never reports goes offline too.
    public mutating func monitor(
        _ subject: ColdChainSubject,
        limits: TemperatureLimits,
        raisesOfflineAlerts: Bool = true,
        expectingReadingsFrom: EventTime? = nil
    ) {
        var state =
            subjects[subject]
            ?? Subject(limits: limits, raisesOfflineAlerts: raisesOfflineAlerts)
        if state.cumulative == nil || state.limits.cumulative != limits.cumulative
            || state.limits.offlineAfter != limits.offlineAfter
        {
            state.cumulative = limits.cumulative.map {
                CumulativeExposure(limit: $0, holdLimit: limits.offlineAfter)
            }
        }
        state.limits = limits
        state.raisesOfflineAlerts = raisesOfflineAlerts
        if state.lastHeard == nil, let expectingReadingsFrom {
            state.lastHeard = expectingReadingsFrom
            state.offlineArmed = true
        }
        subjects[subject] = state
        reschedule(subject)
    }

    /// Stops monitoring `subject` and forgets its state without emitting anything (a container
    /// that left the site); an alert still active stays so in the store until acknowledged.
    public mutating func forget(_ subject: ColdChainSubject) {
        subjects[subject] = nil
    }

    /// The limits `subject` is monitored with.
    public func limits(of subject: ColdChainSubject) -> TemperatureLimits? {
        subjects[subject]?.limits
    }

    /// The alerts of `subject` raised and not yet cleared, in the order excursion, cumulative,
    /// offline.
    public func activeAlerts(of subject: ColdChainSubject) -> [AlertID] {
        guard let state = subjects[subject] else { return [] }
        var ids: [AlertID] = []
        if let excursion = state.excursion, excursion.confirmedAt != nil {
            ids.append(AlertID(kind: excursion.kind, subject: subject, startedAt: excursion.startedAt))
        }
        if let active = state.cumulative?.active {
            ids.append(AlertID(kind: .cumulative, subject: subject, startedAt: active.startedAt))
        }
        if let offline = state.offline {
            ids.append(AlertID(kind: .sensorOffline, subject: subject, startedAt: offline.startedAt))
        }
        return ids
    }

    /// Moves the clock forward to `time` (never backwards) and appends the alerts now due, in
    /// time order.
    public mutating func advance(to time: EventTime, into alerts: inout [AlertEvent]) {
        if time > clock { clock = time }
        fireDue(into: &alerts)
    }

    /// Applies one reading of `subject` and appends the alerts it causes: first those that fell
    /// due before `time`, then the reading's own (an offline alert cleared, an excursion
    /// updated or cleared, a cumulative peak), then any confirmation due at once.
    public mutating func observe(
        _ subject: ColdChainSubject,
        at time: EventTime,
        celsius: Double,
        into alerts: inout [AlertEvent]
    ) {
        advance(to: time, into: &alerts)
        guard celsius.isFinite else {
            ignoredNonFinite += 1
            return
        }
        guard var state = subjects[subject] else {
            ignoredUnmonitored += 1
            return
        }
        if let last = state.lastReading, time < last {
            ignoredOutOfOrder += 1
            return
        }
        if let offline = state.offline {
            alerts.append(
                AlertEvent(
                    transition: .cleared,
                    id: AlertID(kind: .sensorOffline, subject: subject, startedAt: offline.startedAt),
                    at: time,
                    confirmedAt: offline.confirmedAt,
                    clearedAt: time,
                    peakCelsius: nil
                )
            )
            state.offline = nil
        }
        state.lastReading = time
        state.lastHeard = time
        state.offlineArmed = true
        applyToExcursion(&state, subject, time, celsius, &alerts)
        if var exposure = state.cumulative {
            if let peak = exposure.record(celsius, at: time.nanoseconds), let active = exposure.active {
                alerts.append(
                    AlertEvent(
                        transition: .updated,
                        id: AlertID(kind: .cumulative, subject: subject, startedAt: active.startedAt),
                        at: time,
                        confirmedAt: active.confirmedAt,
                        peakCelsius: peak
                    )
                )
            }
            state.cumulative = exposure
        }
        subjects[subject] = state
        reschedule(subject)
        fireDue(into: &alerts)
    }

    /// Declares that the readings no longer stand for `subject`'s temperature from `time` on
    /// (a container left its monitored zone): a pending excursion is dropped, the cumulative
    /// exposure stops accruing at `time`, and the offline rule waits for the next reading. A
    /// confirmed excursion stays active until a reading clears it. Deadlines due before `time`
    /// fire first.
    public mutating func interrupt(_ subject: ColdChainSubject, at time: EventTime, into alerts: inout [AlertEvent]) {
        advance(to: time, into: &alerts)
        guard var state = subjects[subject] else { return }
        let from = Swift.max(time, state.lastReading ?? time)
        if let excursion = state.excursion, excursion.confirmedAt == nil { state.excursion = nil }
        state.offlineArmed = false
        state.cumulative?.interrupt(at: from.nanoseconds)
        subjects[subject] = state
        reschedule(subject)
        fireDue(into: &alerts)
    }

    // MARK: - Excursions

    private func applyToExcursion(
        _ state: inout Subject,
        _ subject: ColdChainSubject,
        _ time: EventTime,
        _ celsius: Double,
        _ alerts: inout [AlertEvent]
    ) {
        let limits = state.limits
        let above = limits.isAbove(celsius)
        let below = limits.isBelow(celsius)
        if var excursion = state.excursion {
            let high = excursion.kind == .excursionHigh
            if high ? above : below {
                let newPeak = high ? celsius > excursion.peak : celsius < excursion.peak
                if newPeak {
                    excursion.peak = celsius
                    if let confirmedAt = excursion.confirmedAt {
                        alerts.append(
                            AlertEvent(
                                transition: .updated,
                                id: AlertID(kind: excursion.kind, subject: subject, startedAt: excursion.startedAt),
                                at: time,
                                confirmedAt: confirmedAt,
                                peakCelsius: celsius
                            )
                        )
                    }
                }
                state.excursion = excursion
                return
            }
            if let confirmedAt = excursion.confirmedAt {
                // A bound removed by new limits clears what it confirmed.
                let clears =
                    high
                    ? below || limits.max.map { celsius <= $0 - limits.clearHysteresis } ?? true
                    : above || limits.min.map { celsius >= $0 + limits.clearHysteresis } ?? true
                guard clears else { return }
                alerts.append(
                    AlertEvent(
                        transition: .cleared,
                        id: AlertID(kind: excursion.kind, subject: subject, startedAt: excursion.startedAt),
                        at: time,
                        confirmedAt: confirmedAt,
                        clearedAt: time,
                        peakCelsius: excursion.peak
                    )
                )
            }
            state.excursion = nil
        }
        if above {
            state.excursion = Excursion(kind: .excursionHigh, startedAt: time, peak: celsius)
        } else if below {
            state.excursion = Excursion(kind: .excursionLow, startedAt: time, peak: celsius)
        }
    }

    // MARK: - Deadlines

    /// The subject's earliest deadline and what it does.
    private func nextDeadline(of state: Subject) -> (due: EventTime, action: Action)? {
        var best: (due: EventTime, action: Action)?
        func consider(_ due: EventTime, _ action: Action) {
            if let current = best, (current.due, current.action.rawValue) <= (due, action.rawValue) { return }
            best = (due, action)
        }
        if let excursion = state.excursion, excursion.confirmedAt == nil {
            consider(excursion.startedAt + state.limits.alarmDelay, .confirmExcursion)
        }
        if let exposure = state.cumulative, let crossing = exposure.nextCrossing() {
            if exposure.active == nil {
                consider(EventTime(nanoseconds: crossing), .raiseCumulative)
            } else {
                // Whether the exposure falls below `allowed` at an instant depends on what comes
                // after it: a reading at that very instant may start a run that keeps it at
                // `allowed`. So it clears once the clock passes the instant, like offline.
                consider(EventTime(nanoseconds: crossing) + .nanoseconds(1), .clearCumulative)
            }
        }
        if state.offlineArmed, let lastHeard = state.lastHeard, let offlineAfter = state.limits.offlineAfter {
            // Offline once the clock *passes* the deadline: one nanosecond after it, in integers.
            consider(lastHeard + offlineAfter + .nanoseconds(1), .goOffline)
        }
        return best
    }

    /// Makes sure the heap holds an entry no later than the subject's earliest deadline.
    private mutating func reschedule(_ subject: ColdChainSubject) {
        guard var state = subjects[subject], let next = nextDeadline(of: state) else { return }
        if let scheduled = state.scheduled, scheduled.due <= next.due { return }
        let deadline = Deadline(due: next.due, sequence: nextSequence, subject: subject)
        nextSequence &+= 1
        deadlines.insert(deadline)
        state.scheduled = (deadline.due, deadline.sequence)
        subjects[subject] = state
    }

    private mutating func fireDue(into alerts: inout [AlertEvent]) {
        while let top = deadlines.min, top.due <= clock {
            _ = deadlines.popMin()
            guard var state = subjects[top.subject], let scheduled = state.scheduled,
                scheduled.sequence == top.sequence
            else { continue }
            state.scheduled = nil
            // A deadline that moved later since this entry was pushed goes back into the heap,
            // so that deadlines of all subjects keep firing in time order.
            if let next = nextDeadline(of: state), next.due == top.due {
                fire(next.action, at: next.due, &state, top.subject, &alerts)
            }
            subjects[top.subject] = state
            reschedule(top.subject)
        }
    }

    private func fire(
        _ action: Action,
        at due: EventTime,
        _ state: inout Subject,
        _ subject: ColdChainSubject,
        _ alerts: inout [AlertEvent]
    ) {
        switch action {
        case .confirmExcursion:
            guard var excursion = state.excursion else { return }
            excursion.confirmedAt = due
            state.excursion = excursion
            alerts.append(
                AlertEvent(
                    transition: .raised,
                    id: AlertID(kind: excursion.kind, subject: subject, startedAt: excursion.startedAt),
                    at: due,
                    confirmedAt: due,
                    peakCelsius: excursion.peak
                )
            )
        case .raiseCumulative, .clearCumulative:
            guard var exposure = state.cumulative else { return }
            let instant = action == .raiseCumulative ? due : due - .nanoseconds(1)
            let change = exposure.fire(at: instant.nanoseconds)
            state.cumulative = exposure
            switch change {
            case .raised(let active):
                alerts.append(
                    AlertEvent(
                        transition: .raised,
                        id: AlertID(kind: .cumulative, subject: subject, startedAt: active.startedAt),
                        at: instant,
                        confirmedAt: instant,
                        peakCelsius: active.peak
                    )
                )
            case .cleared(let active):
                alerts.append(
                    AlertEvent(
                        transition: .cleared,
                        id: AlertID(kind: .cumulative, subject: subject, startedAt: active.startedAt),
                        at: instant,
                        confirmedAt: active.confirmedAt,
                        clearedAt: instant,
                        peakCelsius: active.peak
                    )
                )
            }
        case .goOffline:
            guard let lastHeard = state.lastHeard, let offlineAfter = state.limits.offlineAfter else { return }
            let confirmedAt = lastHeard + offlineAfter
            state.offlineArmed = false
            if let excursion = state.excursion, excursion.confirmedAt == nil { state.excursion = nil }
            state.cumulative?.interrupt(at: confirmedAt.nanoseconds)
            guard state.raisesOfflineAlerts else { return }
            state.offline = (lastHeard, confirmedAt)
            alerts.append(
                AlertEvent(
                    transition: .raised,
                    id: AlertID(kind: .sensorOffline, subject: subject, startedAt: lastHeard),
                    at: confirmedAt,
                    confirmedAt: confirmedAt,
                    peakCelsius: nil
                )
            )
        }
    }
}
