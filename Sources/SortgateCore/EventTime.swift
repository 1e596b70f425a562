/// A point in event time: nanoseconds since the Unix epoch, UTC.
///
/// Event time is the reader's own timestamp when a payload carries one, otherwise the arrival
/// time of the message (a capture's `t`), and a Modbus reading's poll time. The pipeline never
/// reads the wall clock: it only sees event times, so a replay is deterministic and as fast as
/// the CPU allows. An `Int64` of nanoseconds covers the years 1678–2262 and costs 8 bytes.
public struct EventTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    @inlinable
    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    @inlinable
    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    @inlinable
    public static func + (lhs: EventTime, rhs: Duration) -> EventTime {
        EventTime(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    @inlinable
    public static func - (lhs: EventTime, rhs: Duration) -> EventTime {
        EventTime(nanoseconds: lhs.nanoseconds &- rhs.nanosecondsClamped)
    }

    /// The time between two event times.
    @inlinable
    public static func - (lhs: EventTime, rhs: EventTime) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    public static let distantPast = EventTime(nanoseconds: .min)
    public static let distantFuture = EventTime(nanoseconds: .max)

    /// UTC RFC 3339 with nine fraction digits, e.g. `2026-11-28T08:00:00.123456789Z`.
    public var description: String { rfc3339 }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to the `Int64` range.
    @inlinable
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}

/// The source of "now" for the pipeline: event time, advanced only by events in a replay, or by
/// the wall clock in a live run where no event arrives for a while (so departures still happen).
public protocol EventClock: Sendable {
    func now() -> EventTime
}

/// A clock that reports whatever it was last set to; replay and tests drive it.
public struct FixedEventClock: EventClock {
    public var time: EventTime
    public init(_ time: EventTime) { self.time = time }
    public func now() -> EventTime { time }
}
