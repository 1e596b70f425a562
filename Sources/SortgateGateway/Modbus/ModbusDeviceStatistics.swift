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
    /// Latencies of the successful polls, in microseconds.
    public var latency = LatencyHistogram()
    /// Why the last failed request failed.
    public var lastError: ModbusError?

    public init() {}

    /// Failed requests of `kind`.
    public func failures(_ kind: ModbusError.Kind) -> Int {
        failures[kind] ?? 0
    }
}
