import SortgateIngest
import Testing

/// The progress line of a long replay, as a pure function of how far it has got.
@Suite("Replay progress line")
struct ReplayProgressTests {
    @Test("bytes done and total in MiB, percent, reads/s and the time left at the byte rate so far")
    func midway() {
        let progress = ReplayProgress(
            bytesDone: 47_395_635,  // 45.2 MiB
            bytesTotal: 256_901_120,  // 245.0 MiB
            reads: 1_824_000,
            elapsed: .seconds(10)
        )
        #expect(progress.readsPerSecond == 182_400)
        // 209 505 485 bytes left at 4 739 563.5 bytes/s: 44.2035 s.
        #expect(progress.remaining == .milliseconds(44_204))
        #expect(progress.line == "replay  45.2 / 245.0 MiB  18%  182.4 k reads/s  ETA 0:44")
    }

    @Test("before any time has passed there is no rate and no ETA")
    func atStart() {
        let progress = ReplayProgress(bytesDone: 0, bytesTotal: 1_048_576, reads: 0, elapsed: .zero)
        #expect(progress.readsPerSecond == nil)
        #expect(progress.remaining == nil)
        #expect(progress.line == "replay  0.0 / 1.0 MiB  0%  – reads/s  ETA –")
    }

    @Test("hours show as h:mm:ss, small rates as whole numbers, large ones in M")
    func units() {
        let slow = ReplayProgress(bytesDone: 1_048_576, bytesTotal: 4_194_304, reads: 900, elapsed: .seconds(1234))
        #expect(slow.line == "replay  1.0 / 4.0 MiB  25%  1 reads/s  ETA 1:01:42")
        let fast = ReplayProgress(bytesDone: 99, bytesTotal: 100, reads: 25_000_000, elapsed: .seconds(10))
        #expect(fast.line == "replay  0.0 / 0.0 MiB  99%  2.5 M reads/s  ETA 0:00")
    }

    @Test("done is 100 %, and an empty capture counts as done")
    func done() {
        let finished = ReplayProgress(bytesDone: 2_097_152, bytesTotal: 2_097_152, reads: 950, elapsed: .seconds(2))
        #expect(finished.fraction == 1)
        #expect(finished.remaining == .zero)
        #expect(finished.line == "replay  2.0 / 2.0 MiB  100%  475 reads/s  ETA 0:00")
        #expect(ReplayProgress(bytesDone: 0, bytesTotal: 0, reads: 0, elapsed: .seconds(1)).fraction == 1)
    }
}
