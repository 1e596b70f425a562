import Foundation
public import SortgateCore
import SortgateConfig

/// A sink that writes each batch on its own thread while the caller derives the next one, for
/// replays: decoding and the pipeline keep one core busy while SQLite commits on the other.
///
/// One batch is in flight at a time: `write` hands the batch over and returns at once, unless
/// the previous batch is still being written, in which case it waits for that write to end
/// (double buffering, so memory stays at two batches). Batches are written in the order they
/// were handed over. When a background write fails, the batch is kept, and the next `write`
/// (or `finish`) first writes it again on the caller's thread and throws if that fails too —
/// the new batch is then not accepted, so the caller keeps it and retries as with any sink
/// (`IngestSession` does). Nothing is lost and nothing is reordered.
///
/// "Written" therefore means "handed over" until `finish()` returns: use it where nobody waits
/// for a commit per batch (replay), not for the live gateway, whose alert log lines and
/// latency figures mean "committed".
public final class PipelinedSink: FactSink, @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let target: any FactSink
    private let condition = NSCondition()
    private var pending: FactBatch?
    private var writing = false
    private var failed: (batch: FactBatch, error: any Error)?
    private var stopping = false
    private var running = true

    /// Starts the writer thread, which runs (and keeps the sink alive) until `finish()`.
    public init(writingTo target: any FactSink) {
        self.target = target
        let thread = Thread { [self] in writerLoop() }
        thread.name = "sortgate-sink-writer"
        thread.start()
    }

    public func write(_ batch: FactBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while pending != nil || writing { condition.wait() }
        precondition(!stopping, "PipelinedSink.write after finish()")
        try retryFailedBatch()
        pending = batch
        condition.broadcast()
    }

    /// Waits for the batch in flight, writes a failed one again, and stops the writer thread.
    /// Throws when a batch could not be written; the sink is stopped either way.
    public func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        while pending != nil || writing { condition.wait() }
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        try retryFailedBatch()
    }

    /// With `condition` held: writes a batch whose background write failed, on this thread.
    private func retryFailedBatch() throws {
        guard let (batch, _) = failed else { return }
        try target.write(batch)
        failed = nil
    }

    private func writerLoop() {
        condition.lock()
        while true {
            while pending == nil && !stopping { condition.wait() }
            guard let batch = pending else { break }
            pending = nil
            writing = true
            condition.unlock()
            var error: (any Error)?
            do { try target.write(batch) } catch let failure { error = failure }
            condition.lock()
            if let error { failed = (batch, error) }
            writing = false
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
