import SortgateCore
import SortgateConfig
import SortgateIngest

/// When a device is polled next, as a pure state machine: no clock of its own, no sleeping, so that
/// the schedule is tested with plain instants.
///
/// A healthy device is polled at a fixed rate: each poll is due one `period` after the previous one
/// was due, so that the time a poll takes does not add up into drift. A line that fell behind (a
/// slow device before it on the same connection) polls at once, without trying to catch up on the
/// polls it missed. After a failed poll the device backs off: the next poll is due `2 × period` after
/// the failure, then `4 ×`, `8 ×` … up to `maximumBackoff`; a successful poll ends the backoff.
public struct ModbusPollSchedule: Sendable, Hashable {
    public let period: Duration
    /// When the next poll is due.
    public private(set) var due: ContinuousClock.Instant
    private var backoff: Backoff

    /// - Parameters:
    ///   - maximumBackoff: the longest wait after failures (at least `2 × period`).
    ///   - firstDue: when the first poll is due.
    public init(period: Duration, maximumBackoff: Duration, firstDue: ContinuousClock.Instant) {
        precondition(period > .zero, "a poll period must be positive")
        self.period = period
        self.due = firstDue
        self.backoff = Backoff(
            bounds: Backoff.Bounds(minimum: period * 2, maximum: max(period * 2, maximumBackoff))
        )
    }

    /// Failed polls since the last successful one.
    public var consecutiveFailures: Int {
        backoff.consecutiveFailures
    }

    /// True when a poll starting at `instant` starts more than one period after it was due: the
    /// line was held up for longer than the device's own period.
    public func isLate(startedAt instant: ContinuousClock.Instant) -> Bool {
        due.duration(to: instant) > period
    }

    /// Records a successful poll that finished at `instant`; the next one is due one period after
    /// this one was, or at once when that is already past.
    public mutating func recordSuccess(finishedAt instant: ContinuousClock.Instant) {
        backoff.recordSuccess()
        due = max(due + period, instant)
    }

    /// Records a failed poll that finished at `instant` and returns how long until the next one.
    @discardableResult
    public mutating func recordFailure(finishedAt instant: ContinuousClock.Instant) -> Duration {
        let delay = backoff.recordFailure()
        due = instant + delay
        return delay
    }
}
