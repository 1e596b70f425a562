import Benchmark
import BenchmarkWorkloads
import SortgateCore

/// The pipeline core without I/O, as the ingest session drives it: per read, read point → zone,
/// redelivery window, presence state, and EPC validation for EPCs not seen before; every 100 k reads the facts are
/// taken as a sink batch would take them (and dropped). 10 samples of 1 M reads = the issue's
/// 10 M reads over 100 k tags; throughput is reads/s, mallocs are per 1 M reads.
final class PipelineRun: @unchecked Sendable {
    // @unchecked: used by one benchmark closure at a time.
    var pipeline: Pipeline
    var stream: SyntheticReadStream
    var facts = 0

    init(tags: Int) {
        let site = SyntheticSite(readers: 8)
        stream = SyntheticReadStream(site: site, tags: tags)
        pipeline = Pipeline(
            configuration: Pipeline.Configuration(
                absentAfter: .seconds(1),
                readPoints: site.readPoints,
                sourceCount: site.readers
            )
        )
    }

    @inline(__always)
    func step(_ index: Int) {
        try? pipeline.process(validating: stream.next())
        if index % 100_000 == 99_999 {
            let batch = pipeline.takeBatch()
            facts &+= batch.movements.count &+ batch.inventory.count
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(60),
        maxIterations: 10
    )

    let core = PipelineRun(tags: 100_000)
    Benchmark("pipeline core, 100 k tags (reads/s)") { benchmark in
        for index in benchmark.scaledIterations { core.step(index) }
        // The stream must really spread over the population (90 % of it is in reach per phase).
        precondition(core.pipeline.tracker.count >= 80_000, "only \(core.pipeline.tracker.count) tags seen")
        blackHole(core.facts)
    }

    // The same with 1 000 tags: the tracker's table fits in the caches.
    let few = PipelineRun(tags: 1_000)
    Benchmark("pipeline core, 1 k tags (reads/s)") { benchmark in
        for index in benchmark.scaledIterations { few.step(index) }
        precondition(few.pipeline.tracker.count >= 800, "only \(few.pipeline.tracker.count) tags seen")
        blackHole(few.facts)
    }

    // The breakdown of the figure above: the same stream without any EPC validation, and the
    // synthetic stream alone (what the harness itself costs per read).
    let unvalidated = PipelineRun(tags: 100_000)
    Benchmark("pipeline core without EPC validation (reads/s)") { benchmark in
        for index in benchmark.scaledIterations {
            unvalidated.pipeline.process(unvalidated.stream.next())
            if index % 100_000 == 99_999 { unvalidated.facts &+= unvalidated.pipeline.takeBatch().movements.count }
        }
        blackHole(unvalidated.facts)
    }
    nonisolated(unsafe) var streamOnly = SyntheticReadStream(site: SyntheticSite(readers: 8), tags: 100_000)
    Benchmark("synthetic read stream alone (reads/s)") { benchmark in
        var sum: UInt64 = 0
        for _ in benchmark.scaledIterations { sum &+= streamOnly.next().epc.w1 }
        blackHole(sum)
    }

    // 1 M distinct tags arrive in 8 readers × 4 antennas; the figure that matters is peak RSS.
    Benchmark(
        "inventory of 1 M distinct tags (memory)",
        configuration: .init(
            metrics: [.peakMemoryResident, .mallocCountTotal, .wallClock, .throughput],
            warmupIterations: 0,
            scalingFactor: .mega,
            maxIterations: 1
        )
    ) { benchmark in
        let site = SyntheticSite(readers: 8)
        var pipeline = Pipeline(
            configuration: Pipeline.Configuration(
                absentAfter: .seconds(600),
                readPoints: site.readPoints,
                sourceCount: site.readers
            )
        )
        var time = EventTime(seconds: 1_795_000_000)
        var changed = 0
        for index in benchmark.scaledIterations {
            let point = site.readPoint(of: index % site.zones)
            time = time + .microseconds(1)
            pipeline.process(
                TagRead(
                    source: point.source,
                    seq: UInt64(index + 1),
                    time: time,
                    epc: SyntheticEPCs.epc(index),
                    antenna: point.antenna
                )
            )
            if index % 100_000 == 99_999 {
                let batch = pipeline.takeBatch()
                changed &+= batch.inventory.count
            }
        }
        precondition(pipeline.tracker.presentCount == 1_000_000, "expected 1 M present tags")
        blackHole(changed)
        blackHole(pipeline)
    }
}
