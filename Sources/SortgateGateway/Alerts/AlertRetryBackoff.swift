import SortgateConfig
import SortgateIngest

/// The wait before retrying a notification its route did not acknowledge: `initial` after the
/// first failure, doubling with each further failure up to `maximum`, and back to `initial` once
/// the route acknowledged something.
///
/// Pure: it only counts, so the delivery loop's retry pacing is testable without a clock. A dead
/// route is retried at most every `maximum`, so that a webhook down for an hour costs about 120
/// requests, and a route that comes back is noticed within `maximum`.
public struct AlertRetryBackoff: Sendable, Hashable {
    /// The first delay (default 200 ms).
    public let initial: Duration
    /// The longest delay (default 30 s).
    public let maximum: Duration
    private var next: Duration

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30)) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.next = initial
    }

    /// The delay to wait after one more failure.
    public mutating func delayAfterFailure() -> Duration {
        let delay = next
        next = min(next * 2, maximum)
        return delay
    }

    /// The route acknowledged a notification: the next failure waits `initial` again.
    public mutating func succeeded() {
        next = initial
    }
}
