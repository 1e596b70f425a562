import Benchmark
import BenchmarkWorkloads
import SortgateCore

/// The pipeline core without I/O: per read, EPC validation (the enrichment every read gets),
/// read point → zone, redelivery window and presence state; every 100 k reads the facts are
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
        let read = stream.next()
        if (try? EPCIdentity.validate(read.epc)) != nil {
            pipeline.process(read)
        }
        if index % 100_000 == 99_999 {
            let batch = pipeline.takeBatch()
            facts &+= batch.movements.count &+ batch.inventory.count
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(60),
        maxIterations: 10
    )

    let core = PipelineRun(tags: 100_000)
    Benchmark("pipeline core, 100 k tags (reads/s)") { benchmark in
        for index in benchmark.scaledIterations { core.step(index) }
        blackHole(core.facts)
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
