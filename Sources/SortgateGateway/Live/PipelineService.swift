import Foundation
public import Logging
public import ServiceLifecycle
public import SortgateCore
import Metrics
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
/// Batches are written as `flushPolicy` says (every 100 ms while messages flow, or every 8 192
/// messages; this service alone decides), which bounds the arrival → commit latency to about one
/// interval, and at once when the cold chain raised or cleared an alert (so that its delivery
/// does not wait for the interval). While messages trickle in (fewer than `lingerBelow` per wake-up), the consumer
/// lingers up to 5 ms between takes instead of being woken for each message (`EventRing.linger`).
/// With a ring that retains consumed messages until released (the live gateway's ring
/// file), each batch carries the ring position it reflects, a complete batch (deferred read
/// counts included) makes it the database's recovery point, and its commit frees the slots below
/// it; a complete batch is forced when half the ring is retained. `recover` re-processes what a
/// killed gateway left. When no message came for `idleAdvanceAfter`, the event-time clock is advanced from
/// the last event's time by the monotonic time elapsed since it was processed (not set to the
/// wall clock, so a reader whose clock is off never makes its tags depart), and absent tags
/// still depart while the site is quiet. While messages flow, only their event times move the
/// clock, exactly as in a replay.
///
/// On graceful shutdown (after the sources stopped: the service group stops services in
/// reverse order) it closes the ring, drains what is left, writes the last batch and returns.
/// Batches are committed on the `BatchWriter`'s thread while this one goes on consuming; alert
/// log lines and the arrival → commit latency wait for the commit. If a sink write fails, the
/// writer logs it and retries the same batch (writes are idempotent); the ring meanwhile fills
/// up and pushes back on the sources. On stop, a commit still failing after `stopTimeout` is
/// given up, logged as critical, and `run()` throws: the stop ends in a bounded time.
public final class PipelineService: Service, @unchecked Sendable {
    // @unchecked: `session` and `recorder` are touched only by the consumer thread once it runs;
    // the status other threads read is a snapshot behind a Mutex.
    private let session: IngestSession
    private let ring: EventRing
    private let recorder: CaptureWriter?
    private let logger: Logger
    public let flushPolicy: FlushPolicy
    public let idleAdvanceAfter: Duration
    /// How long the last commit may keep failing on stop before it is given up.
    public let stopTimeout: Duration
    private let writer: BatchWriter
    private let published = Mutex(LiveStatus())
    /// Arrival times of the messages ingested since the last flush; consumer thread only.
    private var pendingArrivals: PendingArrivals
    /// The last batch generation handed to `writer`; consumer thread only.
    private var lastHandedOver: UInt64 = 0
    /// Arrivals of batches handed to the writer and not yet committed, and the latencies so far.
    private let commits = Mutex(Commits())
    /// How long each flush held the consumer. Recorded in place and copied out only by `status`:
    /// a histogram copied into every published snapshot would make the next record copy all its
    /// buckets, once per flush.
    private let flushDurations = Mutex(LatencyHistogram())
    /// What the published snapshot carries instead of the latencies (`status` adds them).
    private static let noLatencies = LatencyHistogram()

    struct Commits {
        var awaiting: [(generation: UInt64, arrivals: [Int64])] = []
        var committed: UInt64 = 0
        var latency = LatencyHistogram()
        /// The same latencies for the metrics backend (`/metrics`), in seconds.
        let exported = Metrics.Timer(label: "sortgate_commit_latency_seconds")

        /// Records the latency of every awaited batch up to `generation`, committed at `now`.
        mutating func settle(upTo generation: UInt64, now: Int64) {
            committed = max(committed, generation)
            while let first = awaiting.first, first.generation <= committed {
                for arrival in first.arrivals {
                    latency.record(microseconds: (now - arrival) / 1000)
                    exported.recordNanoseconds(now - arrival)
                }
                awaiting.removeFirst()
            }
        }
    }
    private let failure = Mutex<(any Error)?>(nil)

    /// - Parameters:
    ///   - writer: `session`'s sink; batches are committed on its thread while this one goes on
    ///     consuming; alert log lines and latencies wait for the commit.
    ///   - onCommitted: called on the writer's thread with each batch once it is committed (the
    ///     HTTP API's live stream and its counts of written facts); it must not block.
    public init(
        session: IngestSession,
        ring: EventRing,
        writer: BatchWriter,
        recorder: CaptureWriter? = nil,
        flushPolicy: FlushPolicy = .live,
        idleAdvanceAfter: Duration = .seconds(1),
        stopTimeout: Duration = .seconds(10),
        onCommitted: (@Sendable (FactBatch) -> Void)? = nil,
        logger: Logger
    ) {
        self.session = session
        self.ring = ring
        self.recorder = recorder
        self.flushPolicy = flushPolicy
        self.idleAdvanceAfter = idleAdvanceAfter
        self.stopTimeout = stopTimeout
        self.logger = logger
        self.writer = writer
        pendingArrivals = PendingArrivals(capacity: 2 * flushPolicy.maximumMessages)
        // `describe` reads only the session's topology, which never changes: safe from the writer thread.
        let describer = AlertDescriber(session: session)
        let log: @Sendable ([AlertFact]) -> Void = { [describer, logger] alerts in
            guard let session = describer.session else { return }
            for alert in alerts {
                let line = session.describe(alert)
                if alert.event.transition == .raised { logger.warning("\(line)") } else { logger.info("\(line)") }
            }
        }
        writer.onCommitted = { [weak self, ring] generation, batch in
            // The slots of what this batch made durable (effects and deferred read counts) are
            // free for producers only now: until this commit, a crash must find them in the ring.
            if batch.isComplete, let position = batch.ringPosition { ring.release(upTo: position) }
            log(batch.alerts)
            onCommitted?(batch)
            let now = EventTime.wallClockNow().nanoseconds
            self?.commits.withLock { $0.settle(upTo: generation, now: now) }
        }
    }

    /// The latest published status, with the arrival → commit and flush latencies so far.
    public var status: LiveStatus {
        var status = published.withLock { $0 }
        status.commitLatency = commits.withLock { $0.latency }
        status.flushDuration = flushDurations.withLock { $0 }
        return status
    }

    /// The latest published status without its latency histograms (they are empty): counters only,
    /// cheap to read as often as one likes.
    public var counts: LiveStatus { published.withLock { $0 } }

    public func run() async throws {
        await runRingConsumer(named: "sortgate-pipeline", ring: ring) { [self] in consume() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Re-processes what a killed gateway left in `ring` (taken with `EventRing.Format.existing`)
    /// from `position`, the recovery point the database holds, through this service's session,
    /// and waits until the result is committed with the ring's end as the new recovery point.
    /// Runs before the sources start; `skips` are `SQLiteStore.inventoryRingPositions(above:)`.
    public func recover(
        _ ring: EventRing,
        from position: UInt64,
        skipping skips: [EPC: UInt64]
    ) throws -> (recovery: EventRing.Recovery, skippedReads: Int) {
        session.beginRecovery(skipping: skips, ringMessages: ring.slots)
        // Source ids mean this topology's devices (the ring file's source tag was checked).
        let sources = session.topology.sources.count
        let recovery = ring.recover(from: position) { slot in
            if Int(slot.source) < sources { session.remember(recovered: RawMessage(slot)) }
        } _: { slot in
            if Int(slot.source) < sources { session.ingest(recovered: RawMessage(slot), position: slot.position) }
        }
        session.endRecovery()
        if recovery.messages > 0 || recovery.end != position {
            try session.flush(periodic: false, ringPosition: recovery.end)
            try writer.waitUntilCommitted()
        }
        publish()
        return (recovery, session.recoverySkippedReads)
    }

    /// Messages per `consume` below which the consumer lingers before the next.
    static let lingerBelow = 256

    /// How long the consumer lingers after taking a few messages: 5 ms, or a twentieth of the
    /// flush interval when that is shorter, so lingering never delays a batch noticeably.
    var lingerDuration: Duration {
        min(.milliseconds(5), (flushPolicy.interval ?? .milliseconds(100)) / 20)
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
        // Where the next batch ends in the ring: every message below it was ingested.
        var consumedEnd = ring.releasedPosition
        var lastComplete = clock.now
        let durable = ring.retention == .untilReleased
        while open {
            var consumed = 0
            open = ring.consume(limit: 1024, timeout: flushPolicy.interval ?? .milliseconds(100)) { slot in
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
                session.ingest(message)
                consumedEnd = slot.position + UInt64(slot.slotCount)
                if session.messagesSinceFlush >= flushPolicy.maximumMessages {
                    flush(periodic: !mustComplete(durable, since: lastComplete), ringPosition: durable ? consumedEnd : nil)
                    lastFlush = clock.now
                    if session.lastCompleteRingPosition == consumedEnd { lastComplete = lastFlush }
                }
            }
            // A few messages at a time: the ring is trickling, so wait a little for more without
            // asking the producers to wake this thread for each one (EventRing.linger). A full
            // quarter of the limit means a backlog, which is taken at once.
            if open && consumed > 0 && consumed < Self.lingerBelow {
                ring.linger(for: lingerDuration)
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
            let complete = mustComplete(durable, since: lastComplete)
            // An alert transition (an excursion confirmed, cleared) is written at once, not at the
            // next interval: its delivery waits for its commit, and monitors wait for its delivery.
            let alerting = session.pipeline.pendingAlerts > 0
            if flushPolicy.isDue(messages: session.messagesSinceFlush, elapsed: now - lastFlush) || !open || complete
                || alerting
            {
                // While running, last_seen-only changes wait for dedup.last_seen_flush; the last flush writes all,
                // and so does one whose retained slots must be freed.
                flush(periodic: open && !complete, ringPosition: durable ? consumedEnd : nil)
                lastFlush = clock.now
                if session.lastCompleteRingPosition == consumedEnd { lastComplete = lastFlush }
            }
        }
        if let recorder {
            do { try recorder.close() } catch { logger.error("cannot close capture '\(recorder.path)': \(error)") }
        }
        do {
            try writer.finish(within: stopTimeout)
        } catch {
            let line =
                "stopped without writing everything: \(error); the facts of the last \(error.unwrittenBatches) "
                + "batch(es) are not in the database (the next start restores the last committed state)"
            logger.critical("\(line)")
            failure.withLock { $0 = error }
        }
        publish()
    }

    /// True when the next batch must be complete (deferred read counts included) so that its
    /// commit frees the ring's retained slots: half the ring is retained, or the last complete
    /// batch is `flushPolicy.completeInterval` old (which bounds what a restart re-processes),
    /// and no complete batch is already on its way to the database (its commit will free them).
    private func mustComplete(_ durable: Bool, since lastComplete: ContinuousClock.Instant) -> Bool {
        guard durable, session.lastCompleteRingPosition ?? 0 <= ring.releasedPosition else { return false }
        if ring.retainedSlots >= ring.slots / 2 { return true }
        guard let interval = flushPolicy.completeInterval else { return false }
        return ring.retainedSlots > 0 && ContinuousClock.now - lastComplete >= interval
    }

    /// Hands a batch to the writer (which owns retries: this only waits when two batches are
    /// already with it) and publishes the status.
    private func flush(periodic: Bool, ringPosition: UInt64?) {
        let started = ContinuousClock.now
        do {
            try session.flush(periodic: periodic, ringPosition: ringPosition)
        } catch {
            // Only once the writer gave up (it retries by itself until then): the batch stays with
            // the session, and the service ends with the error.
            failure.withLock { if $0 == nil { $0 = error } }
        }
        let elapsed = ContinuousClock.now - started
        flushDurations.withLock { $0.record(elapsed) }
        noteCommitted()
        publish()
    }

    /// Records the arrival → commit latency of every message ingested since the last flush, when
    /// the batch just handed over is committed (messages whose batch had no facts are settled
    /// with the batch before them).
    private func noteCommitted() {
        let now = EventTime.wallClockNow().nanoseconds
        let generation = max(writer.handedOverCount, lastHandedOver)
        lastHandedOver = generation
        let arrivals = pendingArrivals.take()
        let committed = writer.committedCount
        commits.withLock { state in
            if !arrivals.isEmpty { state.awaiting.append((generation, arrivals)) }
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
            commitLatency: Self.noLatencies,
            flushDuration: Self.noLatencies
        )
        published.withLock { $0 = snapshot }
    }
}

/// The session as seen by the sink writer's thread, which only calls `describe` (it reads the
/// session's immutable topology): hence `@unchecked Sendable`.
private struct AlertDescriber: @unchecked Sendable {
    weak var session: IngestSession?
}
