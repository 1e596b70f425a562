import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

@Suite("PipelinedSink")
struct PipelinedSinkTests {
    /// Records the batches it commits (by their first movement's time); fails while `failures` > 0.
    final class FlakySink: FactSink, @unchecked Sendable {
        let lock = NSLock()
        var failures: Int
        var committed: [Int64] = []
        var attempts = 0

        init(failures: Int) { self.failures = failures }

        func write(_ batch: FactBatch) throws {
            lock.lock()
            defer { lock.unlock() }
            attempts += 1
            if failures > 0 {
                failures -= 1
                throw CocoaError(.fileWriteUnknown)
            }
            committed.append(batch.movements[0].at.nanoseconds)
        }
    }

    func batch(_ number: Int64) -> FactBatch {
        let epc = EPC(w0: 0x3034_257B_F719_4E40, w1: UInt64(number) << 32, bitCount: 96)
        return FactBatch(movements: [
            Movement(epc: epc, kind: .arrival, from: nil, to: ZoneID(0), at: EventTime(nanoseconds: number))
        ])
    }

    @Test("Batches are committed in order, all of them, by finish()")
    func order() throws {
        let target = FlakySink(failures: 0)
        let sink = PipelinedSink(writingTo: target)
        for number in 1...200 { try sink.write(batch(Int64(number))) }
        try sink.finish()
        #expect(target.committed == Array(1...200).map(Int64.init))
    }

    @Test("A failed background write is retried before the next batch; a second failure is thrown and nothing is lost")
    func failureIsRetriedInOrder() throws {
        let target = FlakySink(failures: 2)
        let sink = PipelinedSink(writingTo: target)
        try sink.write(batch(1))  // handed over; its background write fails (failure 1)
        // Batch 2: batch 1 is written again first and fails again (failure 2): thrown, 2 not taken.
        #expect(throws: CocoaError.self) { try sink.write(batch(2)) }
        // The caller retries batch 2 as IngestSession does: 1 then 2 are committed, in order.
        try sink.write(batch(2))
        try sink.write(batch(3))
        try sink.finish()
        #expect(target.committed == [1, 2, 3])
        #expect(target.attempts == 5)
    }
}
