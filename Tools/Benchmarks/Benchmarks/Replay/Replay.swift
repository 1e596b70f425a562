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
/// The third replays 1 M reads of 5 000 tags that stay where they arrived (a shelf, a cold room):
/// 4 500 arrivals (one tag in ten is out of reach; a few more after a departure) and read counts, so it shows the cost of reading, decoding and deduplicating
/// rather than of writing facts.
let benchmarks: @Sendable () -> Void = {
    let reads = 1_000_000
    nonisolated(unsafe) var capture: SyntheticCapture?
    nonisolated(unsafe) var stayingCapture: SyntheticCapture?

    for shipsToCentral in [false, true] {
        Benchmark(
            shipsToCentral ? "replay into SQLite with the central outbox, 1 M reads" : "replay into SQLite, 1 M reads",
            configuration: replayConfiguration(
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
            let totals = try await measureReplay(capture, shipsToCentral: shipsToCentral, benchmark)
            precondition(totals.arrivals >= 18_000, "only \(totals.arrivals) arrivals: the stream is not spread")
        }
    }

    Benchmark(
        "replay into SQLite, 1 M reads of 5 000 tags that stay put",
        configuration: replayConfiguration(
            setup: {
                let made = try SyntheticCapture(reads: reads, tags: 5_000, phases: 1)
                print("capture of tags that stay put: \(made.messages) messages, \(made.reads) reads")
                stayingCapture = made
            },
            teardown: { stayingCapture?.remove() }
        )
    ) { benchmark in
        guard let capture = stayingCapture else { fatalError("setup did not run") }
        let totals = try await measureReplay(capture, shipsToCentral: false, benchmark)
        // One tag in ten is out of reach (SyntheticReadStream): the other 4 500 arrive, and the few
        // that a random gap of reads left unseen for `absent_after` depart and arrive again.
        precondition(
            totals.arrivals - totals.departures == 4_500,
            "\(totals.arrivals) arrivals and \(totals.departures) departures of 4 500 tags in reach"
        )
        precondition(totals.moves == 0, "\(totals.moves) moves: the tags do not stay put")
    }
}

/// What every replay benchmark measures: wall clock, CPU, mallocs, peak RSS, reads/s and messages/s,
/// three samples of one replay each.
func replayConfiguration(
    setup: @escaping @Sendable () async throws -> Void,
    teardown: @escaping @Sendable () async throws -> Void
) -> Benchmark.Configuration {
    .init(
        metrics: [
            .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident,
            .custom("reads/s", polarity: .prefersLarger, useScalingFactor: false),
            .custom("messages/s", polarity: .prefersLarger, useScalingFactor: false),
        ],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 3,
        setup: setup,
        teardown: teardown
    )
}

/// Replays `capture` into a fresh SQLite file (measured), checks that every read and message was
/// replayed and none rejected, records reads/s and messages/s, and returns the pipeline's totals.
func measureReplay(
    _ capture: SyntheticCapture,
    shipsToCentral: Bool,
    _ benchmark: Benchmark
) async throws -> Pipeline.Totals {
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
    let summary = try await Replayer(speed: .max).run(files: [capture.capturePath], into: session, writer: writer)
    benchmark.stopMeasurement()
    precondition(
        summary.totals.tagEvents == UInt64(capture.reads),
        "replayed \(summary.totals.tagEvents) of \(capture.reads) reads"
    )
    precondition(summary.session.rejectedTotal == 0, "rejected \(summary.session.rejected)")
    precondition(summary.session.messages == UInt64(capture.messages), "replayed \(summary.session.messages) messages")
    let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
    benchmark.measurement(.custom("reads/s"), Int(Double(capture.reads) / seconds))
    benchmark.measurement(.custom("messages/s"), Int(Double(capture.messages) / seconds))
    return summary.totals
}
