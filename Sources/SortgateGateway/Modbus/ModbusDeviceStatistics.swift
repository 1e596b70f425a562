public import SortgateCore
public import SortgateModbus
import SortgateConfig
import SortgateIngest

/// The counters of one polled Modbus device, for status pages and metrics; read them with
/// `ModbusPoller.statistics(device:)`.
public struct ModbusDeviceStatistics: Sendable, Hashable {
    /// Polls done (one poll is every read request of the device once), and those with a failed request.
    public var polls = 0
    public var failedPolls = 0
    /// Read requests sent, and those that failed.
    public var requests = 0
    public var failedRequests = 0
    /// Failed requests by kind: timeouts, each exception code, connection failures, ….
    public var failures: [ModbusError.Kind: Int] = [:]
    /// Polls that started more than one period after they were due (the line was held up).
    public var latePolls = 0
    /// Failed polls since the last successful one (the device backs off while this is not zero).
    public var consecutiveFailures = 0
    /// When the last poll started (its readings' time).
    public var lastPollTime: EventTime?
    /// How long the last successful poll took, all its requests included.
    public var lastPollLatency: Duration?
    /// Latencies of the successful polls.
    public var latency = ModbusLatencyHistogram()
    /// Why the last failed request failed.
    public var lastError: ModbusError?

    public init() {}

    /// Failed requests of `kind`.
    public func failures(_ kind: ModbusError.Kind) -> Int {
        failures[kind] ?? 0
    }
}

/// Poll latencies: count, minimum, maximum, average, and counts per bucket.
///
/// Bucket `i` counts latencies up to `bucketBounds[i]` (and above the bound before it); the last
/// bucket counts everything above the largest bound. The bounds span a loopback poll (~0.1 ms) to a
/// slow serial line near its timeout.
public struct ModbusLatencyHistogram: Sendable, Hashable {
    public static let bucketBounds: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
        .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1),
    ]

    public private(set) var counts = [Int](repeating: 0, count: ModbusLatencyHistogram.bucketBounds.count + 1)
    public private(set) var count = 0
    public private(set) var minimum: Duration?
    public private(set) var maximum: Duration?
    public private(set) var total = Duration.zero

    public init() {}

    /// The mean latency; nil before the first one.
    public var average: Duration? {
        count == 0 ? nil : total / count
    }

    public mutating func record(_ latency: Duration) {
        let bucket = Self.bucketBounds.firstIndex { latency <= $0 } ?? Self.bucketBounds.count
        counts[bucket] += 1
        count += 1
        total += latency
        minimum = Swift.min(minimum ?? latency, latency)
        maximum = Swift.max(maximum ?? latency, latency)
    }
}
