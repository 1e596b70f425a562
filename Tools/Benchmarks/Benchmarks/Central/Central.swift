import Benchmark
import BenchmarkWorkloads
import Foundation
import Logging
import SortgateConfig
import SortgateGateway
import SortgateIngest
import SortgateStore
import PostgresNIO
import SortgateTestSupport

/// Catch-up after an outage: a site database whose whole history waits in `central_outbox` (1 M
/// tag reads replayed with the outbox on, in setup; a fresh copy of that file each sample) is
/// shipped by `CentralShipper.drain()` into a real PostgreSQL (initdb + pg_ctl on loopback,
/// `fsync` off), emptied before each sample and given the site's mark at "nothing shipped yet", so
/// the batches go as after an outage (`batch_rows` per transaction). The custom metric is rows/s
/// into PostgreSQL, reading SQLite and writing PostgreSQL included.
let benchmarks: @Sendable () -> Void = {
    nonisolated(unsafe) var capture: SyntheticCapture?
    nonisolated(unsafe) var postgres: PostgresServer?
    nonisolated(unsafe) var site: SiteConfig?

    /// The site database with its whole history in the outbox, and the PostgreSQL to ship it to.
    @Sendable func prepare() async throws {
        let made = try SyntheticCapture(reads: 1_000_000)
        let config = try SiteConfig.load(path: made.configPath)
        let store = try SQLiteStore(path: made.databasePath, zoneNames: config.zones.map(\.name), shipsToCentral: true)
        let writer = BatchWriter(writingTo: store, logger: Logger(label: "bench"))
        let session = IngestSession(topology: SiteTopology(config: config), sink: writer)
        _ = try await Replayer(speed: .max).run(files: [made.capturePath], into: session, writer: writer)
        capture = made
        site = config
        postgres = try PostgresServer()
    }

    @Sendable func clean() {
        postgres?.remove()
        postgres = nil
        capture?.remove()
        capture = nil
    }

    Benchmark(
        "catch-up into PostgreSQL after an outage",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .custom("rows/s", polarity: .prefersLarger, useScalingFactor: false)],
            timeUnits: .milliseconds,
            warmupIterations: 0,
            maxDuration: .seconds(120),
            maxIterations: 3,
            setup: prepare,
            teardown: clean
        )
    ) { benchmark in
        guard let capture, let postgres, let site else { fatalError("setup did not run") }
        // Each sample ships the whole history into an empty central database.
        try postgres.psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        var server = try PostgresConfig.parse(url: postgres.url()).get()
        server.passwordFile = postgres.passwordFile
        let logger = Logger(label: "bench-central")
        let central = try CentralStore(server: server, logger: logger)
        let copy = capture.databasePath + ".sample"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: capture.databasePath + suffix) {
            try? FileManager.default.removeItem(atPath: copy + suffix)
            try FileManager.default.copyItem(atPath: capture.databasePath + suffix, toPath: copy + suffix)
        }
        let store = try SQLiteStore(path: copy, zoneNames: site.zones.map(\.name), shipsToCentral: true)
        let databaseID = try store.centralDatabaseID()
        let shipper = CentralShipper(
            store: store,
            central: central,
            configuration: CentralShipper.Configuration(site: site.site),
            logger: logger
        )
        // Timed around the drain alone: the client's start and the schema are not catch-up.
        let (rows, elapsed) = try await central.withRunningClient { central in
            _ = try await central.migrate()
            try await central.client.query(
                "INSERT INTO central_sites VALUES (\(site.site), \(databaseID), 0, 0, 0, now())"
            )
            let start = ContinuousClock.now
            let rows = try await shipper.drain()
            return (rows, ContinuousClock.now - start)
        }
        precondition(rows > 50_000, "shipped only \(rows) rows")
        benchmark.measurement(.custom("rows/s"), rowsPerSecond(rows, elapsed))
    }

    // The catch-up's local half alone: the same cargos read from SQLite and written as JSON,
    // nothing sent. What the shipping benchmark takes beyond this is PostgreSQL's (and the wire's).
    Benchmark(
        "catch-up: reading the cargos from SQLite alone",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .custom("rows/s", polarity: .prefersLarger, useScalingFactor: false)],
            timeUnits: .milliseconds,
            warmupIterations: 0,
            maxDuration: .seconds(60),
            maxIterations: 3,
            setup: prepare,
            teardown: clean
        )
    ) { benchmark in
        guard let capture, let site else { fatalError("setup did not run") }
        let store = try SQLiteStore(path: capture.databasePath, zoneNames: site.zones.map(\.name), shipsToCentral: true)
        let start = ContinuousClock.now
        var mark = CentralMark(seq: 0, movementsThrough: 0, readingsThrough: 0)
        var rows = 0
        while let cargo = try store.centralCargo(after: mark, maxRows: CentralConfig.defaultBatchRows) {
            rows += cargo.rows
            mark = cargo.mark
        }
        precondition(rows > 50_000, "read only \(rows) rows")
        benchmark.measurement(.custom("rows/s"), rowsPerSecond(rows, ContinuousClock.now - start))
    }
}

func rowsPerSecond(_ rows: Int, _ elapsed: Duration) -> Int {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Int(Double(rows) / seconds)
}
