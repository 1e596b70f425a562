import Foundation
public import Logging
public import ServiceLifecycle
public import SortgateCore
import Synchronization
import SortgateConfig
public import SortgateIngest

/// A snapshot of the live gateway, published by the consumer after every flush.
public struct LiveStatus: Sendable {
    public var session = IngestSession.Counters()
    public var sources: [IngestSession.SourceCounters] = []
    public var totals = Pipeline.Totals()
    public var present = 0
    /// Reads of new EPCs refused because the presence tracker was full (`dedup.max_tags`).
    public var refusedReads: UInt64 = 0
    public var clock: EventTime?
    public var recorded = 0
    /// Messages and vendor events recognised as redeliveries, all sources.
    public var redelivered: UInt64 = 0
    /// From each message's arrival to the end of the flush that committed what it changed.
    public var commitLatency = LatencyHistogram()
    /// How long each flush (the sink write, retries included) held the consumer.
    public var flushDuration = LatencyHistogram()
}

/// The single consumer of the event ring: decodes each message in place in its slot
/// (`IngestSession.ingest(_: RawMessage)`, no copy, no allocation per message), runs the pipeline
/// and writes batches to the sink, on a dedicated thread (SQLite writes block, and must never
/// block the Swift cooperative pool). With a recorder, each message is appended to the capture
/// file from the same slot first.
///
/// Batches are written every `flushInterval` (or sooner when `IngestSession.messagesPerBatch`
/// messages arrived), which bounds the loss window of a crash to what sat in the ring plus one
/// interval. When no message came for `idleAdvanceAfter`, the event-time clock is advanced from
/// the last event's time by the monotonic time elapsed since it was processed (not set to the
/// wall clock, so a reader whose clock is off never makes its tags depart), and absent tags
/// still depart while the site is quiet. While messages flow, only their event times move the
/// clock, exactly as in a replay.
///
/// On graceful shutdown (after the sources stopped: the service group stops services in
/// reverse order) it closes the ring, drains what is left, writes the last batch and returns.
/// With a `LiveSinkWriter` (as `sortgate run` wires it) batches are committed on the writer's
/// thread while this one goes on consuming; alert log lines and the arrival → commit latency
/// wait for the commit. If a sink write fails, it is logged and the same batch retried (writes
/// are idempotent), by the writer or, without one, by this thread; the ring meanwhile fills up
/// and pushes back on the sources.
public final class PipelineService: Service, @unchecked Sendable {
    // @unchecked: `session` and `recorder` are touched only by the consumer thread once it runs;
    // the status other threads read is a snapshot behind a Mutex.
    private let session: IngestSession
    private let ring: EventRing
    private let recorder: CaptureWriter?
    private let logger: Logger
    public let flushInterval: Duration
    public let idleAdvanceAfter: Duration
    private let writer: LiveSinkWriter?
    private let published = Mutex(LiveStatus())
    /// Arrival times (ns) of the messages ingested since the last flush; consumer thread only.
    private var pendingArrivals: [Int64] = []
    /// The last batch generation handed to `writer`; consumer thread only.
    private var lastHandedOver: UInt64 = 0
    /// Arrivals of batches handed to the writer and not yet committed, and the latencies so far.
    private let commits = Mutex(Commits())
    private var flushDuration = LatencyHistogram()

    struct Commits {
        var awaiting: [(generation: UInt64, arrivals: [Int64])] = []
        var committed: UInt64 = 0
        var latency = LatencyHistogram()

        /// Records the latency of every awaited batch up to `generation`, committed at `now`.
        mutating func settle(upTo generation: UInt64, now: Int64) {
            committed = max(committed, generation)
            while let first = awaiting.first, first.generation <= committed {
                for arrival in first.arrivals { latency.record(microseconds: (now - arrival) / 1000) }
                awaiting.removeFirst()
            }
        }
    }
    private let failure = Mutex<(any Error)?>(nil)

    /// - Parameter writer: when given (it must be `session`'s sink), batches are committed on its
    ///   thread while this one goes on consuming; alert log lines and latencies wait for the commit.
    public init(
        session: IngestSession,
        ring: EventRing,
        writer: LiveSinkWriter? = nil,
        recorder: CaptureWriter? = nil,
        flushInterval: Duration = .milliseconds(100),
        idleAdvanceAfter: Duration = .seconds(1),
        logger: Logger
    ) {
        self.session = session
        self.ring = ring
        self.recorder = recorder
        self.flushInterval = flushInterval
        self.idleAdvanceAfter = idleAdvanceAfter
        self.logger = logger
        self.writer = writer
        pendingArrivals.reserveCapacity(2 * session.messagesPerBatch)
        // `describe` reads only the session's topology, which never changes: safe from the writer thread.
        let describer = AlertDescriber(session: session)
        let log: @Sendable ([AlertFact]) -> Void = { [describer, logger] alerts in
            guard let session = describer.session else { return }
            for alert in alerts {
                let line = session.describe(alert)
                if alert.event.transition == .raised { logger.warning("\(line)") } else { logger.info("\(line)") }
            }
        }
        if let writer {
            writer.onCommitted = { [weak self] generation, alerts in
                log(alerts)
                let now = EventTime.wallClockNow().nanoseconds
                self?.commits.withLock { $0.settle(upTo: generation, now: now) }
            }
        } else {
            session.onCommittedAlerts = log
        }
    }

    /// The latest published status.
    public var status: LiveStatus { published.withLock { $0 } }

    public func run() async throws {
        await runRingConsumer(named: "sortgate-pipeline", ring: ring) { [self] in consume() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func consume() {
        let clock = ContinuousClock()
        var lastFlush = clock.now
        var anchorClock = session.pipeline.clock
        var anchorInstant = clock.now
        var readingAnchor: (reading: EventTime, instant: ContinuousClock.Instant)?
        var open = true
        var recording = recorder != nil
        let names = session.topology.sources.names
        while open {
            var consumed = 0
            open = ring.consume(limit: 1024, timeout: flushInterval) { slot in
                consumed += 1
                let message = RawMessage(slot)
                if recording, let recorder {
                    do {
                        try recorder.append(message, source: names[message.source.index])
                    } catch {
                        logger.error("cannot append to capture '\(recorder.path)': \(error); recording stopped")
                        failure.withLock { $0 = error }
                        recording = false
                    }
                }
                pendingArrivals.append(message.arrival.nanoseconds)
                let started = ContinuousClock.now
                ingestRetrying(message)
                // IngestSession flushes by itself every `messagesPerBatch` messages.
                if session.messagesSinceFlush == 0 {
                    let elapsed = (ContinuousClock.now - started).components
                    flushDuration.record(
                        microseconds: elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000
                    )
                    noteCommitted()
                }
            }
            let now = clock.now
            if consumed > 0 {
                anchorClock = session.pipeline.clock
                anchorInstant = now
            } else if anchorClock != .distantPast && now - anchorInstant >= idleAdvanceAfter {
                session.advance(to: anchorClock + (now - anchorInstant))
            }
            // Cold-chain time: the latest reading's time, moved on by the wall time since it came,
            // whatever the RFID readers' clocks say (see Pipeline.latestReading).
            if let latest = session.pipeline.latestReading {
                if latest != readingAnchor?.reading {
                    readingAnchor = (latest, now)
                } else if let anchor = readingAnchor, now - anchor.instant >= idleAdvanceAfter {
                    session.advanceColdChain(to: anchor.reading + (now - anchor.instant))
                }
            }
            if now - lastFlush >= flushInterval || !open {
                // While running, last_seen-only changes wait for dedup.last_seen_flush; the last flush writes all.
                flushRetrying(periodic: open)
                lastFlush = clock.now
            }
        }
        if let recorder {
            do { try recorder.close() } catch { logger.error("cannot close capture '\(recorder.path)': \(error)") }
        }
        if let writer {
            writer.finish()
            publish()
        }
    }

    private func ingestRetrying(_ message: borrowing RawMessage) {
        do {
            try session.ingest(message)
        } catch {
            // ingest only throws when its periodic flush failed; the batch is kept for the retry.
            flushRetrying(after: error)
        }
    }

    private func flushRetrying(after firstError: (any Error)? = nil, periodic: Bool = true) {
        let started = ContinuousClock.now
        defer {
            let elapsed = (ContinuousClock.now - started).components
            flushDuration.record(microseconds: elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000)
        }
        var delay = Duration.milliseconds(100)
        var error = firstError
        while true {
            if let error {
                logger.error("sink write failed: \(error); retrying the same batch in \(delay)")
                Thread.sleep(
                    forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                )
                delay = min(delay * 2, .seconds(10))
            }
            do {
                try session.flush(periodic: periodic)
                break
            } catch let failure {
                error = failure
            }
        }
        noteCommitted()
        publish()
    }

    /// Records the arrival → commit latency of every message ingested since the last flush: now,
    /// or with a writer, when the batch just handed over is committed (messages whose batch had
    /// no facts are settled with the batch before them).
    private func noteCommitted() {
        let now = EventTime.wallClockNow().nanoseconds
        guard let writer else {
            commits.withLock { state in
                for arrival in pendingArrivals { state.latency.record(microseconds: (now - arrival) / 1000) }
            }
            pendingArrivals.removeAll(keepingCapacity: true)
            return
        }
        let generation = max(writer.handedOverCount, lastHandedOver)
        lastHandedOver = generation
        let arrivals = pendingArrivals
        pendingArrivals.removeAll(keepingCapacity: true)
        let committed = writer.committedCount
        commits.withLock { state in
            state.awaiting.append((generation, arrivals))
            state.settle(upTo: committed, now: now)
        }
    }

    private func publish() {
        let pipeline = session.pipeline
        let snapshot = LiveStatus(
            session: session.counters,
            sources: session.sourceCounters,
            totals: pipeline.totals,
            present: pipeline.tracker.presentCount,
            refusedReads: pipeline.tracker.refusedReads,
            clock: pipeline.clock == .distantPast ? nil : pipeline.clock,
            recorded: recorder?.records ?? 0,
            redelivered: session.counters.redeliveredMessages + pipeline.sources.reduce(0) { $0 + $1.redelivered },
            commitLatency: commits.withLock { $0.latency },
            flushDuration: flushDuration
        )
        published.withLock { $0 = snapshot }
    }
}

/// The session as seen by the sink writer's thread, which only calls `describe` (it reads the
/// session's immutable topology): hence `@unchecked Sendable`.
private struct AlertDescriber: @unchecked Sendable {
    weak var session: IngestSession?
}
