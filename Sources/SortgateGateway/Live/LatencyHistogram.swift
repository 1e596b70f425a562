import SortgateConfig
import SortgateIngest

/// A fixed-size histogram of latencies in microseconds, for "arrival → committed" figures:
/// log-linear buckets (16 per power of two, so a value is known to within 6 %), from 1 µs to
/// about 1.2 hours, allocated once; recording is a few integer operations and allocates nothing.
public struct LatencyHistogram: Sendable, Hashable {
    private static let subBuckets = 16
    private static let powers = 32
    private var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var maximum: UInt64 = 0

    public init() {
        counts = Array(repeating: 0, count: Self.subBuckets * Self.powers)
    }

    /// Records one latency of `microseconds` (negative values count as 0).
    public mutating func record(microseconds: Int64) {
        let value = UInt64(max(0, microseconds))
        counts[Self.bucket(of: value)] += 1
        count += 1
        maximum = max(maximum, value)
    }

    /// The smallest value at or above the given fraction of recorded values (0…1), in
    /// microseconds: the upper edge of its bucket; 0 when nothing was recorded.
    public func percentile(_ fraction: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = max(1, UInt64((Double(count) * fraction).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += bucketCount
            if seen >= rank { return min(Self.upperEdge(of: index), maximum) }
        }
        return maximum
    }

    /// Adds another histogram's values.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        maximum = max(maximum, other.maximum)
    }

    private static func bucket(of value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let power = 63 - value.leadingZeroBitCount  // ≥ 4
        let sub = Int((value >> UInt64(power - 4)) & 15)
        return min((power - 3) * subBuckets + sub, subBuckets * powers - 1)
    }

    private static func upperEdge(of index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let power = index / subBuckets + 3
        let sub = UInt64(index % subBuckets)
        return ((16 + sub + 1) << UInt64(power - 4)) - 1
    }
}
