/// Bounded exponential backoff as a pure state machine: no clock, no sleeping, tested with plain
/// values.
///
/// The first failure waits `bounds.minimum`, each further consecutive failure twice as long, up to
/// `bounds.maximum`; a success starts over. No jitter: one gateway polls a handful of devices, and a
/// predictable delay is easier to read in a log than a random one.
public struct ExponentialBackoff: Sendable, Hashable {
    /// The smallest and the largest delay.
    public struct Bounds: Sendable, Hashable {
        public var minimum: Duration
        public var maximum: Duration

        public init(minimum: Duration = .milliseconds(100), maximum: Duration = .seconds(30)) {
            precondition(minimum > .zero && maximum >= minimum, "backoff needs 0 < minimum <= maximum")
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public let bounds: Bounds
    /// Failures since the last success.
    public private(set) var consecutiveFailures = 0

    public init(bounds: Bounds = Bounds()) {
        self.bounds = bounds
    }

    /// The delay after the current run of failures, without recording one: `minimum × 2^(n-1)`,
    /// at most `maximum`; zero when there was no failure.
    public var currentDelay: Duration {
        guard consecutiveFailures > 0 else {
            return .zero
        }
        var delay = bounds.minimum
        var doublings = 1
        while doublings < consecutiveFailures, delay < bounds.maximum {
            delay *= 2
            doublings += 1
        }
        return min(delay, bounds.maximum)
    }

    /// Records a failure and returns how long to wait before the next attempt.
    public mutating func recordFailure() -> Duration {
        consecutiveFailures += 1
        return currentDelay
    }

    /// Records a success: the next failure waits `bounds.minimum` again.
    public mutating func recordSuccess() {
        consecutiveFailures = 0
    }
}
