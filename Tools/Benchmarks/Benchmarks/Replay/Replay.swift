import Benchmark
import BenchmarkWorkloads
import Foundation
import Logging
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateStore

/// Replay of a capture file into SQLite, end to end: capture-line parsing, payload decoding,
/// pipeline, and the SQLite sink (WAL, one transaction per batch), into a fresh database each
/// sample. The capture holds 1 M tag reads from 8 readers (see ``SyntheticCapture``); the
/// custom metrics are reads/s and messages/s of the whole replay. The second benchmark writes the
/// same with `central_outbox` (what a gateway with `central` does): the writer's cost of shipping.
let benchmarks: @Sendable () -> Void = {
    let reads = 1_000_000
    nonisolated(unsafe) var capture: SyntheticCapture?

    for shipsToCentral in [false, true] {
        Benchmark(
            shipsToCentral ? "replay into SQLite with the central outbox, 1 M reads" : "replay into SQLite, 1 M reads",
            configuration: .init(
                metrics: [
                    .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident,
                    .custom("reads/s", polarity: .prefersLarger, useScalingFactor: false),
                    .custom("messages/s", polarity: .prefersLarger, useScalingFactor: false),
                ],
                timeUnits: .milliseconds,
                warmupIterations: 0,
                maxDuration: .seconds(120),
                maxIterations: 3,
                setup: {
                    let made = try SyntheticCapture(reads: reads)
                    let bytes = (try? FileManager.default.attributesOfItem(atPath: made.capturePath)[.size] as? Int) ?? 0
                    print("capture: \(made.messages) messages, \(made.reads) reads, \(bytes >> 20) MiB")
                    capture = made
                },
                teardown: { capture?.remove() }
            )
        ) { benchmark in
            guard let capture else { fatalError("setup did not run") }
            try? FileManager.default.removeItem(atPath: capture.databasePath)
            let site = try SiteConfig.load(path: capture.configPath)
            let store = try SQLiteStore(
                path: capture.databasePath,
                zoneNames: site.zones.map(\.name),
                shipsToCentral: shipsToCentral
            )
            let writer = BatchWriter(writingTo: store, logger: Logger(label: "bench"))
            let session = IngestSession(topology: SiteTopology(config: site), sink: writer)
            benchmark.startMeasurement()
            let summary = try await Replayer(speed: .max)
                .run(files: [capture.capturePath], into: session, writer: writer)
            benchmark.stopMeasurement()
            precondition(
                summary.totals.tagEvents == UInt64(reads),
                "replayed \(summary.totals.tagEvents) of \(reads) reads"
            )
            precondition(summary.session.rejectedTotal == 0, "rejected \(summary.session.rejected)")
            precondition(
                summary.session.messages == UInt64(capture.messages),
                "replayed \(summary.session.messages) messages"
            )
            precondition(
                summary.totals.arrivals >= 18_000,
                "only \(summary.totals.arrivals) arrivals: the stream is not spread"
            )
            let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
            benchmark.measurement(.custom("reads/s"), Int(Double(reads) / seconds))
            benchmark.measurement(.custom("messages/s"), Int(Double(capture.messages) / seconds))
        }
    }
}
