import Foundation
import Logging
import SortgateConfig
import SortgateCore
import Synchronization
import Testing

@testable import SortgateGateway

/// A sink that records the batches it committed (by their first quarantined source), failing the
/// first `failures` writes and taking `delay` seconds per write.
final class RecordingSink: FactSink, @unchecked Sendable {
    // @unchecked: mutable state is behind `state`.
    let state = Mutex<(written: [String], failuresLeft: Int)>(([], 0))
    let delay: Double

    init(failures: Int = 0, delay: Double = 0) {
        self.delay = delay
        state.withLock { $0.failuresLeft = failures }
    }

    struct Failure: Error {}

    func write(_ batch: FactBatch) throws {
        Thread.sleep(forTimeInterval: delay)
        try state.withLock { state in
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw Failure()
            }
            state.written.append(batch.quarantine.first?.source ?? "")
        }
    }
}

@Suite("LiveSinkWriter")
struct LiveSinkWriterTests {
    func batch(_ name: String) -> FactBatch {
        FactBatch(
            quarantine: [
                QuarantinedMessage(
                    source: name,
                    at: EventTime(seconds: 0),
                    reason: .malformedJSON,
                    detail: "",
                    payload: []
                )
            ]
        )
    }

    @Test("batches are committed in order, each reported once committed with its generation")
    func orderAndGenerations() throws {
        let sink = RecordingSink(delay: 0.01)
        let writer = LiveSinkWriter(writingTo: sink, logger: Logger(label: "test"))
        let reported = Mutex<[UInt64]>([])
        writer.onCommitted = { generation, _ in reported.withLock { $0.append(generation) } }
        for index in 0..<10 { try writer.write(batch("b\(index)")) }
        #expect(writer.handedOverCount == 10)
        writer.finish()
        #expect(writer.committedCount == 10)
        #expect(sink.state.withLock { $0.written } == (0..<10).map { "b\($0)" })
        #expect(reported.withLock { $0 } == Array(1...10))
    }

    @Test("a failing commit is retried, the same batch, before any later one; nothing is lost")
    func retries() throws {
        let sink = RecordingSink(failures: 2)
        let writer = LiveSinkWriter(writingTo: sink, logger: Logger(label: "test"))
        try writer.write(batch("first"))
        try writer.write(batch("second"))
        writer.finish()
        #expect(sink.state.withLock { $0.written } == ["first", "second"])
        #expect(sink.state.withLock { $0.failuresLeft } == 0)
    }

    @Test("write waits while a batch is already waiting behind the one being committed")
    func backpressure() throws {
        let sink = RecordingSink(delay: 0.2)
        let writer = LiveSinkWriter(writingTo: sink, logger: Logger(label: "test"))
        let start = ContinuousClock.now
        try writer.write(batch("a"))  // taken by the writer at once
        try writer.write(batch("b"))  // waits in the mailbox
        try writer.write(batch("c"))  // must wait until "a" is committed and "b" taken
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(150))
        writer.finish()
        #expect(sink.state.withLock { $0.written } == ["a", "b", "c"])
    }
}
