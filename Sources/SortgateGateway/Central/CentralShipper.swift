public import Logging
import Metrics
public import ServiceLifecycle
public import SortgateConfig
public import SortgateCore
import SortgateIngest
public import SortgateStore
import Synchronization

/// Ships every batch the gateway commits to SQLite on to the central PostgreSQL, in commit order,
/// each exactly once, through outages of the network or the server.
///
/// ## Exactly once, in order
/// The SQLite writer gives every committed batch a local sequence number in `central_outbox`, in
/// the batch's own transaction. The shipper reads the batches after the central *mark* (what the
/// server has of this database, `central_sites`), loads their rows and moves the mark in one
/// PostgreSQL transaction, then forgets them locally. A crash anywhere leaves the mark saying
/// exactly what arrived: the next attempt starts after it; and since every central row is keyed
/// (site and natural key) and upserted, even a batch sent twice would change nothing. After any
/// failure the mark is read again, because a connection lost during `COMMIT` does not say whether
/// the commit happened.
///
/// ## Outages
/// While the server is away the gateway goes on and the backlog stays in SQLite; every attempt
/// is logged with the server's name, the error, the backlog and the next retry (`Backoff`,
/// 200 ms … 30 s). When it comes back, the backlog drains at `batch_rows` rows per transaction.
/// `max_backlog` bounds it: beyond it the raw readings of the oldest batches are given up
/// (counted, logged; they stay in the local database); facts, alerts and journeys never are.
///
/// ## Stop
/// The shipper stops before the pipeline writes its last batch (it runs among the gateway's extra
/// services); what it did not ship stays in the outbox and goes at the next start.
public final class CentralShipper: Service, Sendable {
    /// How the shipper runs; `init(config:)` takes it from the site config's `central` section.
    public struct Configuration: Sendable {
        public var site: String
        public var batchRows: Int
        public var interval: Duration
        public var maxBacklogRows: Int
        public var maxBacklogAge: Duration?
        public var retry: Backoff.Bounds
        /// The longest one shipping step may take (a cargo's transaction included) before the
        /// connection is checked directly: a server that went away leaves queries waiting.
        public var stepTimeout: Duration

        public init(
            site: String,
            batchRows: Int = CentralConfig.defaultBatchRows,
            interval: Duration = CentralConfig.defaultInterval,
            maxBacklogRows: Int = CentralConfig.defaultMaxBacklogRows,
            maxBacklogAge: Duration? = CentralConfig.defaultMaxBacklogAge,
            retry: Backoff.Bounds = Backoff.Bounds(minimum: .milliseconds(200), maximum: .seconds(30)),
            stepTimeout: Duration = .seconds(15)
        ) {
            self.stepTimeout = stepTimeout
            self.site = site
            self.batchRows = batchRows
            self.interval = interval
            self.maxBacklogRows = maxBacklogRows
            self.maxBacklogAge = maxBacklogAge
            self.retry = retry
        }

        public init(site: String, central: CentralConfig) {
            self.init(
                site: site,
                batchRows: central.batchRows,
                interval: central.interval,
                maxBacklogRows: central.maxBacklogRows,
                maxBacklogAge: central.maxBacklogAge
            )
        }
    }

    /// What the status line and the tests read.
    public struct Status: Sendable {
        public var backlog = CentralBacklog()
        public var shippedRows = 0
        public var shippedBatches = 0
        public var readingsGivenUp = 0
        /// Shipping lag of every batch shipped: its local commit → its central transaction's
        /// commit (as the shipper sees it return), in microseconds.
        public var lag = LatencyHistogram()
        /// The last failure, until the next success.
        public var lastError: CentralStoreError?
        public var errors = 0
    }

    public let store: SQLiteStore
    public let central: CentralStore
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let metrics: ShipperMetrics
    private let commits = CommitSignal()

    private struct State {
        var status = Status()
        /// Nil until read from the server (again after every failure).
        var mark: CentralMark??
        var migrated = false
        var databaseID: String?
    }

    public init(store: SQLiteStore, central: CentralStore, configuration: Configuration, logger: Logger) {
        self.store = store
        self.central = central
        self.configuration = configuration
        self.logger = logger
        self.metrics = ShipperMetrics()
    }

    public var status: Status { state.withLock { $0.status } }

    /// A batch committed locally (the pipeline's writer calls it): an idle shipper ships it now
    /// rather than at its next look at the outbox.
    public func batchCommitted() {
        commits.signal()
    }

    /// Runs the PostgreSQL client and ships until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info(
            "central shipping started",
            metadata: ["central.server": "\(central.server.serverName)", "central.site": "\(configuration.site)"]
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [central] in await central.runClient() }
            await shipUntilStopped()
            group.cancelAll()
        }
        logger.info("central shipping stopped", metadata: ["central.backlog.batches": "\(status.backlog.batches)"])
    }

    /// Ships everything committed so far and returns the rows shipped (`replay` into PostgreSQL,
    /// tests); the client must be running. Throws the first failure.
    @discardableResult
    public func drain() async throws -> Int {
        var total = 0
        while true {
            let shipped = try await shipOnce()
            if shipped == nil { return total }
            total += shipped ?? 0
        }
    }

    private func shipUntilStopped() async {
        var backoff = Backoff(bounds: configuration.retry)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let pause: Duration
            do {
                // At start and after a failure, a direct attempt says at once why no connection can be had.
                let markUnknown = state.withLock { $0.mark == nil }
                if markUnknown, let problem = await central.connectionProblem() {
                    throw problem
                }
                let shipped = try await shipWithin(configuration.stepTimeout)
                if backoff.consecutiveFailures > 0 {
                    logger.info(
                        "central PostgreSQL \(central.server.serverName) reachable again; shipping the backlog",
                        metadata: ["central.backlog.batches": "\(status.backlog.batches)"]
                    )
                }
                backoff.recordSuccess()
                state.withLock { $0.status.lastError = nil }
                pause = shipped == nil ? configuration.interval : .zero
            } catch {
                if Task.isCancelled { break }
                let failure =
                    (error as? CentralStoreError)
                    ?? CentralStoreError(kind: .connection, server: central.server.serverName, message: "\(error)")
                pause = backoff.recordFailure()
                let backlog = (try? store.centralBacklog(after: state.withLock { ($0.mark ?? nil)?.seq } ?? 0)) ?? status.backlog
                state.withLock {
                    $0.mark = nil
                    $0.status.lastError = failure
                    $0.status.errors += 1
                    $0.status.backlog = backlog
                }
                metrics.error(failure.kind)
                metrics.backlog(backlog)
                logger.error(
                    """
                    \(failure); backlog of \(backlog.batches) batch(es) (\(backlog.rows) rows, oldest \
                    \(backlog.age.components.seconds) s) kept; retrying in \(pause)
                    """,
                    metadata: ["central.error.kind": "\(failure.kind.rawValue)"]
                )
            }
            if pause > .zero {
                // Idle, a commit ends the wait early; after a failure only the backoff does.
                let idle = backoff.consecutiveFailures == 0
                do {
                    try await cancelWhenGracefulShutdown { [commits] in
                        if idle {
                            await commits.wait(upTo: pause)
                        } else {
                            try await Task.sleep(for: pause)
                        }
                    }
                } catch {
                    break
                }
            }
        }
    }

    /// `shipOnce()`, cut short after `limit`: then the connection is checked directly, which says why.
    private func shipWithin(_ limit: Duration) async throws -> Int? {
        let outcome = try await withThrowingTaskGroup(of: Int??.self) { group in
            group.addTask { .some(try await self.shipOnce()) }
            group.addTask {
                try await Task.sleep(for: limit)
                return .none
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        if let shipped = outcome { return shipped }
        throw await central.connectionProblem()
            ?? CentralStoreError(
                kind: .connection,
                server: central.server.serverName,
                message: "a shipping step took longer than \(limit) though a connection can be made"
            )
    }

    /// One step: migrates and reads the mark if needed, bounds the backlog, ships the next cargo.
    /// Returns the rows shipped, or nil when there was nothing to ship.
    private func shipOnce() async throws -> Int? {
        let known = state.withLock { $0 }
        let databaseID = try known.databaseID ?? store.centralDatabaseID()
        if !known.migrated {
            let applied = try await central.migrate()
            if !applied.isEmpty {
                logger.info("central schema migrated: \(applied.joined(separator: ", "))")
            }
        }
        let mark: CentralMark?
        if let known = known.mark {
            mark = known
        } else {
            mark = try await central.mark(site: configuration.site, databaseID: databaseID)
            // Whatever the server has is done: forget it locally (a crash after the commit left it).
            if let mark { try store.pruneCentralOutbox(through: mark.seq) }
        }
        state.withLock {
            $0.databaseID = databaseID
            $0.migrated = true
            $0.mark = .some(mark)
        }
        let givenUp = try store.boundCentralBacklog(
            after: mark?.seq ?? 0,
            maxRows: configuration.maxBacklogRows,
            maxAge: configuration.maxBacklogAge
        )
        if givenUp > 0 {
            metrics.readingsGivenUp(givenUp)
            state.withLock { $0.status.readingsGivenUp += givenUp }
            logger.warning(
                """
                central backlog over max_backlog: \(givenUp) reading(s) of the oldest batches given up \
                (kept locally, never shipped); facts, alerts and journeys are kept
                """
            )
        }
        guard let cargo = try store.centralCargo(after: mark, maxRows: configuration.batchRows) else {
            let backlog = try store.centralBacklog(after: mark?.seq ?? 0)
            state.withLock { $0.status.backlog = backlog }
            metrics.backlog(backlog)
            return nil
        }
        try await central.ship(cargo, site: configuration.site, databaseID: databaseID, expecting: mark)
        let shippedAt = EventTime.wallClockNow()
        state.withLock {
            $0.mark = .some(cargo.mark)
            for committed in cargo.committedAt {
                $0.status.lag.record(microseconds: (shippedAt.nanoseconds - committed.nanoseconds) / 1000)
            }
        }
        metrics.lag(of: cargo.committedAt, shippedAt: shippedAt)
        try store.pruneCentralOutbox(through: cargo.mark.seq)
        let backlog = try store.centralBacklog(after: cargo.mark.seq)
        state.withLock {
            $0.status.backlog = backlog
            $0.status.shippedRows += cargo.rows
            $0.status.shippedBatches += cargo.batches
        }
        metrics.shipped(rows: cargo.rows)
        metrics.backlog(backlog)
        logger.debug(
            "shipped to central",
            metadata: [
                "central.batches": "\(cargo.batches)", "central.rows": "\(cargo.rows)", "central.seq": "\(cargo.mark.seq)",
            ]
        )
        return cargo.rows
    }
}

/// The shipper's swift-metrics instruments.
private struct ShipperMetrics: Sendable {
    let backlogBatches = Gauge(label: "sortgate_central_backlog_batches")
    let backlogRows = Gauge(label: "sortgate_central_backlog_rows")
    let backlogAge = Gauge(label: "sortgate_central_backlog_age_seconds")
    let shippedRows = Counter(label: "sortgate_central_shipped_rows_total")
    let givenUp = Counter(label: "sortgate_central_readings_given_up_total")
    let lag = Metrics.Timer(label: "sortgate_central_ship_lag_seconds")

    func backlog(_ backlog: CentralBacklog) {
        backlogBatches.record(backlog.batches)
        backlogRows.record(backlog.rows)
        let age = backlog.age.components
        backlogAge.record(Double(age.seconds) + Double(age.attoseconds) / 1e18)
    }

    func shipped(rows: Int) { shippedRows.increment(by: rows) }

    func lag(of committedAt: [EventTime], shippedAt: EventTime) {
        for committed in committedAt { lag.recordNanoseconds(shippedAt.nanoseconds - committed.nanoseconds) }
    }

    func readingsGivenUp(_ count: Int) { givenUp.increment(by: count) }

    func error(_ kind: CentralStoreError.Kind) {
        Counter(label: "sortgate_central_ship_errors_total", dimensions: [("kind", kind.rawValue)]).increment()
    }
}
