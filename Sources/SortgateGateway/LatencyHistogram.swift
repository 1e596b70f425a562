import Histogram

/// Latencies in microseconds: the pipeline's "arrival → committed" and flush durations, and each
/// Modbus device's poll latency.
///
/// An HdrHistogram with two significant digits (a value is known to within 1 %) from 1 µs to one
/// hour, its buckets allocated once at `init`: recording is index arithmetic and one increment and
/// allocates nothing, as long as the value is not shared (the first record after a snapshot was
/// copied out copies the buckets once, as any copy-on-write value does). Longer values count as one
/// hour; negative ones as 0.
public struct LatencyHistogram: Sendable, Hashable {
    /// One hour in microseconds: a poll or a commit that took longer is broken, not slow.
    private static let highestTrackable: UInt64 = 3_600_000_000
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: highestTrackable,
        numberOfSignificantValueDigits: .two
    )

    public init() {}

    /// Values recorded.
    public var count: UInt64 {
        histogram.totalCount
    }

    /// The largest value recorded, exactly; 0 when nothing was recorded.
    public var maximum: UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.maxRecorded
    }

    /// The smallest value recorded (to within 1 %); 0 when nothing was recorded.
    public var minimum: UInt64 {
        histogram.min
    }

    /// The mean (to within 1 %); nil before the first value.
    public var average: Duration? {
        histogram.totalCount == 0 ? nil : .microseconds(histogram.mean)
    }

    /// Records one latency of `microseconds`.
    public mutating func record(microseconds: Int64) {
        histogram.record(min(UInt64(max(0, microseconds)), Self.highestTrackable))
    }

    /// Records one latency, truncated to whole microseconds.
    public mutating func record(_ latency: Duration) {
        let (seconds, attoseconds) = latency.components
        let (secondsInMicroseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        record(microseconds: overflow ? Int64.max : secondsInMicroseconds &+ attoseconds / 1_000_000_000_000)
    }

    /// The smallest value at or above the given fraction of recorded values (0…1), in microseconds:
    /// the upper edge of its bucket, never above the maximum; 0 when nothing was recorded.
    public func percentile(_ fraction: Double) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(fraction * 100)
    }

    /// Adds another histogram's values.
    public mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    public static func == (lhs: LatencyHistogram, rhs: LatencyHistogram) -> Bool {
        lhs.histogram == rhs.histogram
    }

    public func hash(into hasher: inout Hasher) {
        // Equal histograms have equal counts and maxima; hashing the buckets would cost a walk.
        hasher.combine(histogram.totalCount)
        hasher.combine(maximum)
    }
}
