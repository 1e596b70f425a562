import Foundation
public import Logging
public import SortgateCore
import SortgateConfig
import SortgateIngest

/// The live gateway's sink: commits each batch on its own thread while the pipeline thread goes
/// on consuming the event ring, and says when each batch is committed.
///
/// `write` hands a batch over and returns at once, unless one batch is already waiting behind
/// the one being committed: then it waits (double buffering: memory stays at two batches, and a
/// slow or failing database still pushes back on the ring and the sources). Batches are committed
/// in order. A failed commit is logged and retried on the writer thread, the same batch, with
/// backoff from 100 ms to 10 s (writes are idempotent), so `write` never throws and nothing is
/// lost or reordered.
///
/// Each handed-over batch gets the next *generation* number; `onCommitted` is called on the writer
/// thread with it (and the batch's alert transitions) once its transaction committed, so that the
/// pipeline's alert log lines and arrival → committed latencies still mean "committed".
/// `finish()` waits for everything handed over, then stops the thread.
public final class LiveSinkWriter: FactSink, @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`; `onCommitted` is set before the
    // first write.
    private let target: any FactSink
    private let logger: Logger
    private let condition = NSCondition()
    private var waiting: (generation: UInt64, batch: FactBatch)?
    private var writing = false
    private var handedOver: UInt64 = 0
    private var committed: UInt64 = 0
    private var stopping = false
    private var running = true

    /// Called on the writer thread after each commit, with the batch's generation and alerts.
    public var onCommitted: (@Sendable (_ generation: UInt64, _ alerts: [AlertFact]) -> Void)?

    /// Starts the writer thread, which runs until `finish()`.
    public init(writingTo target: any FactSink, logger: Logger) {
        self.target = target
        self.logger = logger
        let thread = Thread { [self] in writerLoop() }
        thread.name = "sortgate-sink-writer"
        thread.start()
    }

    public func write(_ batch: FactBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while waiting != nil { condition.wait() }
        precondition(!stopping, "LiveSinkWriter.write after finish()")
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

    /// Waits until every handed-over batch is committed, then stops the writer thread.
    public func finish() {
        condition.lock()
        defer { condition.unlock() }
        while waiting != nil || writing { condition.wait() }
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
    }

    private func writerLoop() {
        condition.lock()
        while true {
            while waiting == nil && !stopping { condition.wait() }
            guard let (generation, batch) = waiting else { break }
            waiting = nil
            writing = true
            condition.broadcast()
            condition.unlock()
            commit(batch)
            onCommitted?(generation, batch.alerts)
            condition.lock()
            committed = generation
            writing = false
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func commit(_ batch: FactBatch) {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try target.write(batch)
                return
            } catch {
                logger.error("sink write failed: \(error); retrying the same batch in \(delay)")
                Thread.sleep(
                    forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                )
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
