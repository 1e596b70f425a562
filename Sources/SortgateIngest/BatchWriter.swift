import Foundation
public import Logging
import Metrics
import SortgateThreads
public import SortgateCore

/// The one background batch writer, for the live gateway and for replays: commits each batch on
/// its own thread while the caller goes on deriving the next one, retries a failed commit itself,
/// and says when each batch is committed.
///
/// ## Hand-over
/// `write` hands a batch over and returns at once, unless one batch is already waiting behind the
/// one being committed: then it waits (double buffering: memory stays at two batches, and a slow
/// or failing database pushes back on the caller, and through the ring on the sources). Batches
/// are committed in the order they were handed over.
///
/// ## Retries
/// A failed commit is logged and retried on the writer thread, the same batch, before any later
/// one, after `retryDelay` doubling up to `maximumRetryDelay` (sink writes are idempotent, so a
/// retry never duplicates a fact). Nobody else retries: callers never see a failure while the
/// writer is still trying. After `giveUpAfter` of failures in a row (nil: never, while running)
/// the writer gives up: that batch and any waiting one stay unwritten, and every later `write`
/// and `finish` throws `Failure`.
///
/// ## Generations and stop
/// Each handed-over batch gets the next *generation*; `onCommitted` is called on the writer thread
/// with it (and the batch, for its alert transitions and ring position) once its transaction committed, so that alert log
/// lines and arrival → committed latencies mean "committed". `finish(within:)` waits for what was
/// handed over; when the sink is still failing at the deadline it gives up (a stop must end in a
/// bounded time, e.g. before a service manager's kill) and throws `Failure` with what it left.
public final class BatchWriter: FactSink, @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`; `onCommitted` is set before the
    // first write.

    /// Retry timing; the defaults suit a live gateway.
    public struct Configuration: Sendable, Hashable {
        /// The first delay before a failed commit is tried again.
        public var retryDelay: Duration
        /// The longest delay between attempts.
        public var maximumRetryDelay: Duration
        /// How long one batch may keep failing before the writer gives up; nil for "until `finish`".
        public var giveUpAfter: Duration?

        public init(
            retryDelay: Duration = .milliseconds(100),
            maximumRetryDelay: Duration = .seconds(10),
            giveUpAfter: Duration? = nil
        ) {
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.giveUpAfter = giveUpAfter
        }
    }

    /// The writer gave up: `unwrittenBatches` batches handed over were never committed.
    public struct Failure: Error, CustomStringConvertible {
        public var unwrittenBatches: Int
        public var lastError: String
        public var description: String {
            "the database write failed and was given up: \(unwrittenBatches) batch(es) not written (\(lastError))"
        }
    }

    private let target: any FactSink
    private let configuration: Configuration
    private let logger: Logger
    private let condition = NSCondition()
    private var waiting: (generation: UInt64, batch: FactBatch)?
    private var writing = false
    private var handedOver: UInt64 = 0
    private var committed: UInt64 = 0
    private var stopping = false
    private var running = true
    /// Set when the writer must stop retrying: a deadline of `finish`, or `giveUpAfter` reached.
    private var retryDeadline: ContinuousClock.Instant?
    private var failure: Failure?
    /// Called on the writer thread after each commit, with the batch's generation and alerts.
    /// How long each successful sink write (one transaction) took: `sortgate_sqlite_commit_duration_seconds`.
    private let commitDuration = Metrics.Timer(label: "sortgate_sqlite_commit_duration_seconds")

    public var onCommitted: (@Sendable (_ generation: UInt64, _ batch: FactBatch) -> Void)?

    /// The writer thread's name (15 bytes, the kernel's limit), as `top -H` and `perf` show it.
    static let threadName = "sortgate-writer"

    /// Starts the writer thread, which runs until `finish()`.
    public init(writingTo target: any FactSink, configuration: Configuration = Configuration(), logger: Logger) {
        self.target = target
        self.configuration = configuration
        self.logger = logger
        let thread = Thread { [self] in
            nameCurrentThread(Self.threadName)
            writerLoop()
        }
        thread.name = Self.threadName
        thread.start()
    }

    /// Hands `batch` over; waits while another batch is already waiting. Throws only once the
    /// writer has given up (see "Retries"); the batch is then not taken.
    public func write(_ batch: FactBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while waiting != nil && failure == nil { condition.wait() }
        if let failure { throw failure }
        precondition(!stopping, "BatchWriter.write after finish()")
        handedOver += 1
        waiting = (handedOver, batch)
        condition.broadcast()
    }

    /// Batches handed over so far (the generation of the last one).
    public var handedOverCount: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return handedOver
    }

    /// Batches committed so far.
    public var committedCount: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return committed
    }

    /// Waits until every batch handed over so far is committed (the gateway's ring recovery,
    /// before any source starts). Throws once the writer has given up.
    public func waitUntilCommitted() throws(Failure) {
        condition.lock()
        defer { condition.unlock() }
        while (waiting != nil || writing) && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    /// Starts the clock of a stop: a commit still failing `deadline` from now is given up (and
    /// every `write` waiting behind it returns, throwing `Failure`), so that whatever waits on this
    /// writer, and on what waits on it, ends in a bounded time. Callable from any thread.
    public func beginStop(within deadline: Duration) {
        condition.lock()
        defer { condition.unlock() }
        shortenRetryDeadline(to: ContinuousClock.now + deadline)
    }

    /// Waits until every handed-over batch is committed, then stops the writer thread. With a
    /// `deadline`, a batch still failing when it has passed is given up and `Failure` thrown.
    public func finish(within deadline: Duration? = nil) throws(Failure) {
        condition.lock()
        defer { condition.unlock() }
        if let deadline {
            shortenRetryDeadline(to: ContinuousClock.now + deadline)
        }
        while (waiting != nil || writing) && failure == nil { condition.wait() }
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        if let failure { throw failure }
    }

    /// With `condition` held: retries stop by `end` at the latest; wakes a writer waiting to retry.
    private func shortenRetryDeadline(to end: ContinuousClock.Instant) {
        retryDeadline = retryDeadline.map { min($0, end) } ?? end
        condition.broadcast()
    }

    private func writerLoop() {
        condition.lock()
        while true {
            while waiting == nil && !stopping { condition.wait() }
            guard failure == nil, let (generation, batch) = waiting else { break }
            waiting = nil
            writing = true
            condition.broadcast()
            condition.unlock()
            let error = commit(batch)
            if error == nil { onCommitted?(generation, batch) }
            condition.lock()
            writing = false
            if let error {
                failure = Failure(unwrittenBatches: Int(handedOver - committed), lastError: "\(error)")
                condition.broadcast()
                break
            }
            committed = generation
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Writes `batch`, retrying until it commits (nil) or the writer must give up (the last error).
    private func commit(_ batch: FactBatch) -> (any Error)? {
        var backoff = Backoff(
            bounds: .init(minimum: configuration.retryDelay, maximum: configuration.maximumRetryDelay)
        )
        let firstFailure = ContinuousClock.now
        while true {
            do {
                let started = ContinuousClock.now
                try target.write(batch)
                commitDuration.record(duration: started.duration(to: .now))
                return nil
            } catch {
                let delay = backoff.recordFailure()
                condition.lock()
                var deadline = retryDeadline
                condition.unlock()
                if let giveUpAfter = configuration.giveUpAfter {
                    deadline = min(deadline ?? firstFailure + giveUpAfter, firstFailure + giveUpAfter)
                }
                if let deadline, ContinuousClock.now + delay > deadline {
                    logger.error("sink write failed: \(error); giving up")
                    return error
                }
                logger.error("sink write failed: \(error); retrying the same batch in \(delay)")
                waitForRetry(delay)
            }
        }
    }

    /// Sleeps `delay`, or less when `finish` sets a deadline meanwhile.
    private func waitForRetry(_ delay: Duration) {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let until = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        let deadlineBefore = retryDeadline
        while retryDeadline == deadlineBefore && condition.wait(until: until) {}
        condition.unlock()
    }
}
