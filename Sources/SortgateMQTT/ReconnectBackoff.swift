/// Bounded exponential reconnect backoff as a pure state machine: no clock of its own, no sleeping,
/// so it is tested with plain values.
///
/// The first retry after a failure waits `bounds.minimum`; each further consecutive failure doubles
/// the delay, up to `bounds.maximum`. The count of consecutive failures only goes back to zero when a
/// connection stayed up for `stableAfter`: a broker that accepts a connection and drops it at once
/// (a duplicate client id, a broker shutting down) is then retried with growing delays instead of
/// being hammered at the minimum delay. There is no jitter: a gateway is one client with a fixed id,
/// and a predictable delay is easier to read in a log.
public struct ReconnectBackoff: Sendable, Hashable {
    /// The smallest and the largest delay between two connection attempts.
    public struct Bounds: Sendable, Hashable {
        public var minimum: Duration
        public var maximum: Duration

        public init(minimum: Duration = .milliseconds(100), maximum: Duration = .seconds(30)) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public let bounds: Bounds
    /// How long a connection must have lasted for the next failure to start again at `bounds.minimum`.
    public let stableAfter: Duration
    /// How many times the delay doubles for the next failure; it stops growing at `bounds.maximum`.
    private var exponent = 0
    private var connectedAt: ContinuousClock.Instant?

    public init(bounds: Bounds, stableAfter: Duration = .seconds(10)) {
        self.bounds = bounds
        self.stableAfter = stableAfter
    }

    /// Records that a connection was established (CONNACK accepted) at `instant`.
    public mutating func connectionEstablished(at instant: ContinuousClock.Instant) {
        connectedAt = instant
    }

    /// Records a failed attempt or a lost connection at `instant` and returns how long to wait before
    /// the next attempt.
    public mutating func delayAfterFailure(at instant: ContinuousClock.Instant) -> Duration {
        if let connectedAt, instant - connectedAt >= stableAfter {
            exponent = 0
        }
        connectedAt = nil
        var delay = bounds.minimum
        var doublings = 0
        while doublings < exponent, delay < bounds.maximum {
            delay *= 2
            doublings += 1
        }
        if delay < bounds.maximum {
            exponent += 1
        }
        return min(delay, bounds.maximum)
    }
}
