import Foundation
public import Logging
public import ServiceLifecycle
public import SortgateCore
import Synchronization
import SortgateConfig
public import SortgateIngest

/// The consumer of `sortgate record`: appends every raw message of the event ring to a capture
/// file, straight from the ring's slots, on a dedicated thread (file writes block). On graceful
/// shutdown it drains the ring, then closes the file. A write error stops recording and closes the
/// ring (the sources then see `.closed` and stop taking messages).
public final class CaptureRecorderService: Service, @unchecked Sendable {
    // @unchecked: `writer` is used only by the consumer thread; `count` is behind a Mutex.
    private let writer: CaptureWriter
    private let ring: EventRing
    private let sourceNames: [String]
    private let logger: Logger
    private let count = Mutex(0)
    private let failure = Mutex<(any Error)?>(nil)

    /// - Parameter sourceNames: the device ids by ring source id (the config's `devices` order).
    public init(writer: CaptureWriter, ring: EventRing, sourceNames: [String], logger: Logger) {
        self.writer = writer
        self.ring = ring
        self.sourceNames = sourceNames
        self.logger = logger
    }

    /// Records written so far.
    public var recorded: Int { count.withLock { $0 } }

    public func run() async throws {
        await runRingConsumer(named: "sortgate-recorder", ring: ring) { [self] in consume() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func consume() {
        var open = true
        var failed = false
        while open {
            open = ring.consume(limit: 4096, timeout: .milliseconds(200)) { message in
                guard !failed else { return }
                do {
                    try writer.append(RawMessage(message), source: sourceNames[Int(message.source)])
                } catch {
                    logger.error("cannot append to capture '\(writer.path)': \(error)")
                    failure.withLock { $0 = error }
                    failed = true
                    ring.close()
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
