/// When the pipeline writes a batch: the one rule, applied by whoever drives an `IngestSession`
/// (the live `PipelineService` and the `Replayer`); the session itself never decides.
///
/// A batch is due when `maximumMessages` messages were ingested since the last one (so a flood
/// is written in bounded batches), or, live, when `interval` of wall time has passed (so that a
/// trickle is committed promptly: the arrival → commit latency stays near one interval). A replay has no interval: its pace is the CPU's, not the clock's.
public struct FlushPolicy: Sendable, Hashable {
    /// Wall time between batches while messages flow; nil for "by message count only".
    public var interval: Duration?
    /// The most messages one batch covers.
    public var maximumMessages: Int
    /// With a ring that keeps messages until their effects are committed (the live gateway's
    /// ring file): the longest wall time between two complete batches, deferred read counts
    /// included. It bounds what a restart after a crash re-processes (and the ring's retained
    /// slots) to about this much traffic, at the cost of writing read-count-only rows this often
    /// rather than every `dedup.last_seen_flush`. Nil: only when half the ring is retained.
    public var completeInterval: Duration?

    public init(interval: Duration? = nil, maximumMessages: Int = 8192, completeInterval: Duration? = nil) {
        self.interval = interval
        self.maximumMessages = maximumMessages
        self.completeInterval = completeInterval
    }

    /// The live gateway's: every 100 ms, or every 8 192 messages; a complete batch at least every second.
    public static let live = FlushPolicy(interval: .milliseconds(100), completeInterval: .seconds(1))
    /// A replay's: every 8 192 messages.
    public static let replay = FlushPolicy()

    /// True when a batch is due after `messages` messages and `elapsed` since the last batch.
    public func isDue(messages: Int, elapsed: Duration) -> Bool {
        if messages >= maximumMessages { return true }
        guard let interval else { return false }
        return elapsed >= interval
    }
}
