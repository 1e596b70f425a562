/// Bounded exponential backoff as a pure state machine: no clock, no sleeping, so every caller's
/// retry pacing is tested with plain values.
///
/// The first failure waits `bounds.minimum`, each further consecutive failure twice as long, up to
/// `bounds.maximum`; a success starts over. One type serves every retry loop of the gateway, each
/// with its own bounds: the MQTT reconnect, the Modbus reconnect and poll schedule, and the alert
/// delivery retry.
///
/// What counts as a success is the caller's: the MQTT client records one when the broker accepts
/// a connection (CONNACK), so that the first retry after losing an established connection comes
/// after `bounds.minimum` however short the connection was, and only repeated failures to connect
/// make the delay grow. A broker that accepts and drops at once (a second client with the same id)
/// is then retried every `bounds.minimum`; each drop is logged, which is how an operator finds it.
///
/// No jitter: a gateway is one client per broker and polls a handful of devices, and a
/// predictable delay is easier to read in a log than a random one.
public struct Backoff: Sendable, Hashable {
    /// The smallest and the largest delay.
    public struct Bounds: Sendable, Hashable {
        public var minimum: Duration
        public var maximum: Duration

        /// Callers that take bounds from configuration check `0 < minimum <= maximum` themselves,
        /// so that a bad value is a configuration error rather than a trap.
        public init(minimum: Duration = .milliseconds(100), maximum: Duration = .seconds(30)) {
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
        while doublings < consecutiveFailures && delay > .zero && delay < bounds.maximum {
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
