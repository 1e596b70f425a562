import Foundation
import Logging
import SortgateConfig
import SortgateCore
import SortgateIngest
import Synchronization
import Testing

/// A sink that records the batches it committed (by their first quarantined source), failing the
/// first `failures` writes (all of them with `failures: .max`) and taking `delay` seconds per write.
final class RecordingSink: FactSink, Sendable {
    let state = Mutex<(written: [String], failuresLeft: Int, attempts: Int)>(([], 0, 0))
    let delay: Double

    init(failures: Int = 0, delay: Double = 0) {
        self.delay = delay
        state.withLock { $0.failuresLeft = failures }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk I/O error" }
    }

    func write(_ batch: FactBatch) throws {
        Thread.sleep(forTimeInterval: delay)
        try state.withLock { state in
            state.attempts += 1
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw Failure()
            }
            state.written.append(batch.quarantine.first?.source ?? "")
        }
    }

    var written: [String] { state.withLock { $0.written } }
}

@Suite("BatchWriter")
struct BatchWriterTests {
    let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let fastRetries = BatchWriter.Configuration(retryDelay: .milliseconds(5), maximumRetryDelay: .milliseconds(20))

    func batch(_ name: String) -> FactBatch {
        FactBatch(
            quarantine: [
                QuarantinedMessage(source: name, at: EventTime(seconds: 0), reason: .malformedJSON, detail: "", payload: [])
            ]
        )
    }

    @Test("batches are committed in order, each reported once committed with its generation")
    func orderAndGenerations() throws {
        let sink = RecordingSink(delay: 0.005)
        let writer = BatchWriter(writingTo: sink, logger: quiet)
        let reported = Mutex<[UInt64]>([])
        writer.onCommitted = { generation, _ in reported.withLock { $0.append(generation) } }
        for index in 0..<10 { try writer.write(batch("b\(index)")) }
        #expect(writer.handedOverCount == 10)
        try writer.finish()
        #expect(writer.committedCount == 10)
        #expect(sink.written == (0..<10).map { "b\($0)" })
        #expect(reported.withLock { $0 } == Array(1...10))
    }

    @Test("a failing commit is retried by the writer, the same batch, before any later one; the caller never sees it")
    func retries() throws {
        let sink = RecordingSink(failures: 3)
        let writer = BatchWriter(writingTo: sink, configuration: fastRetries, logger: quiet)
        try writer.write(batch("first"))
        try writer.write(batch("second"))
        try writer.write(batch("third"))
        try writer.finish()
        #expect(sink.written == ["first", "second", "third"])
        #expect(sink.state.withLock { $0.attempts } == 6)
    }

    @Test("write waits while a batch is already waiting behind the one being committed")
    func backpressure() throws {
        let sink = RecordingSink(delay: 0.2)
        let writer = BatchWriter(writingTo: sink, logger: quiet)
        let start = ContinuousClock.now
        try writer.write(batch("a"))  // taken by the writer at once
        try writer.write(batch("b"))  // waits in the mailbox
        try writer.write(batch("c"))  // must wait until "a" is committed and "b" taken
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(150))
        try writer.finish()
        #expect(sink.written == ["a", "b", "c"])
    }

    @Test("after giveUpAfter of failures the writer gives up: later writes and finish throw, with what is unwritten")
    func givesUp() throws {
        let sink = RecordingSink(failures: .max)
        var configuration = fastRetries
        configuration.giveUpAfter = .milliseconds(100)
        let writer = BatchWriter(writingTo: sink, configuration: configuration, logger: quiet)
        try writer.write(batch("a"))
        try writer.write(batch("b"))
        let failure = #expect(throws: BatchWriter.Failure.self) {
            for _ in 0..<1000 {
                try writer.write(batch("c"))
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        #expect(failure?.unwrittenBatches == 2)
        #expect(failure?.lastError == "disk I/O error")
        #expect(throws: BatchWriter.Failure.self) { try writer.finish() }
        #expect(sink.written == [])
        #expect(writer.committedCount == 0)
    }

    @Test("a stop while the sink keeps failing ends within its deadline, saying how much was not written")
    func boundedStop() throws {
        let sink = RecordingSink(failures: .max)
        let writer = BatchWriter(
            writingTo: sink,
            configuration: .init(retryDelay: .milliseconds(50), maximumRetryDelay: .seconds(10)),
            logger: quiet
        )
        try writer.write(batch("a"))
        try writer.write(batch("b"))
        Thread.sleep(forTimeInterval: 0.2)  // retrying, delays growing toward 10 s
        let start = ContinuousClock.now
        let failure = #expect(throws: BatchWriter.Failure.self) { try writer.finish(within: .milliseconds(500)) }
        let took = ContinuousClock.now - start
        #expect(took < .seconds(2))
        #expect(failure?.unwrittenBatches == 2)
        #expect(sink.written == [])
    }

    @Test("a stop waits for a sink that recovers before the deadline, and loses nothing")
    func stopAfterRecovery() throws {
        let sink = RecordingSink(failures: 4)
        let writer = BatchWriter(writingTo: sink, configuration: fastRetries, logger: quiet)
        try writer.write(batch("a"))
        try writer.write(batch("b"))
        try writer.finish(within: .seconds(5))
        #expect(sink.written == ["a", "b"])
    }
}
