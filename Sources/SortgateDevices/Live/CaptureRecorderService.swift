import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The consumer of `sortgate record`: appends every queued raw message to a capture file, on a
/// dedicated thread (file writes block). On graceful shutdown it drains the queue, then closes
/// the file.
public final class CaptureRecorderService: Service, @unchecked Sendable {
    // @unchecked: `writer` is used only by the consumer thread; `count` is behind a Mutex.
    private let writer: CaptureWriter
    private let queue: MessageQueue
    private let logger: Logger
    private let count = Mutex(0)
    private let failure = Mutex<(any Error)?>(nil)

    public init(writer: CaptureWriter, queue: MessageQueue, logger: Logger) {
        self.writer = writer
        self.queue = queue
        self.logger = logger
    }

    /// Records written so far.
    public var recorded: Int { count.withLock { $0 } }

    public func run() async throws {
        await runQueueConsumer(named: "sortgate-recorder", queue: queue) { [self] in consume() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func consume() {
        var batch: [CaptureRecord] = []
        var open = true
        while open {
            batch.removeAll(keepingCapacity: true)
            open = queue.popBatch(into: &batch, limit: 4096, timeout: .milliseconds(200))
            for record in batch {
                do {
                    try writer.append(record)
                } catch {
                    logger.error("cannot append to capture '\(writer.path)': \(error)")
                    failure.withLock { $0 = error }
                    queue.close()
                    return
                }
            }
            count.withLock { $0 = writer.records }
        }
        do { try writer.close() } catch { logger.error("cannot close capture '\(writer.path)': \(error)") }
    }
}

/// Ends the service group after a fixed time (`sortgate record --duration`).
public struct StopAfter: Service {
    public var duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}
