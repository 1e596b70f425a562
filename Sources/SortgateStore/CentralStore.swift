import Foundation
public import Logging
import NIOSSL
public import PostgresNIO
public import SortgateConfig

/// The central PostgreSQL that many gateways ship to, and that a hub's reading commands read.
///
/// It owns a `PostgresClient`, which must run (`run()`, or as a service in the gateway's group)
/// while the store is used. The schema is created and migrated by `migrate()` (`sortgate central
/// migrate`, and every shipper at start); migrations run under an advisory lock, so gateways that
/// start together do not race. `ship(_:site:databaseID:expecting:)` loads one cargo and moves that
/// database's mark in one transaction: a crash on either side leaves both or neither.
public final class CentralStore: Sendable {
    public let server: PostgresConfig
    public let client: PostgresClient
    let logger: Logger
    /// What a direct connection needs (see `connectionProblem()`).
    private let password: String?
    private let tlsConfiguration: TLSConfiguration?

    /// Builds the client; reads the password file now, so a missing one is reported at start.
    public init(server: PostgresConfig, logger: Logger) throws(CentralStoreError) {
        self.server = server
        self.logger = logger
        var password: String?
        if let file = server.passwordFile {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8)
                    .trimmingCharacters(in: .newlines)
            } catch {
                throw CentralStoreError(
                    kind: .passwordFile,
                    server: server.serverName,
                    message: "cannot read password_file '\(file)': \(error.localizedDescription)"
                )
            }
        }
        self.password = password
        tlsConfiguration = try Self.tlsConfiguration(server)
        var configuration = PostgresClient.Configuration(
            host: server.host,
            port: server.port,
            username: server.user,
            password: password,
            database: server.database,
            tls: tlsConfiguration.map { .require($0) } ?? .disable
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 4
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    private static func tlsConfiguration(_ server: PostgresConfig) throws(CentralStoreError) -> TLSConfiguration? {
        guard let files = server.tls else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(files.ca)
        do {
            if let cert = files.cert, let key = files.key {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch {
            throw CentralStoreError(
                kind: .tls,
                server: server.serverName,
                message: "cannot load the client certificate or key: \(error)"
            )
        }
        return tls
    }

    /// Why no connection can be had now: the error of one direct connection attempt, or nil when
    /// it succeeds.
    ///
    /// The client's pool retries failed connections on its own, with backoff, and keeps the cause
    /// to itself while a query waits for a connection; a refused password or an untrusted
    /// certificate would only show as a query that never starts. A direct attempt says which.
    public func connectionProblem() async -> CentralStoreError? {
        var tls = PostgresConnection.Configuration.TLS.disable
        if let tlsConfiguration {
            do {
                tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
            } catch {
                return CentralStoreError(kind: .tls, server: server.serverName, message: "cannot load tls.ca: \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: server.host,
            port: server.port,
            username: server.user,
            password: password,
            database: server.database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
            return nil
        } catch {
            return CentralStoreError(describing: error, server: server, operation: "connecting")
        }
    }

    /// Runs the client until cancelled: the shipper runs it beside its loop.
    public func runClient() async {
        await client.run()
    }

    /// Runs the client until cancelled (for commands that use the store without a service group).
    public func withRunningClient<T: Sendable>(_ body: @Sendable (CentralStore) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { [client] in
                await client.run()
                return nil
            }
            // Queries wait for the client to run; a moment's head start spares its warning.
            await Task.yield()
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    // MARK: - Schema

    /// Creates or upgrades the central schema; returns the migrations applied now.
    @discardableResult
    public func migrate() async throws(CentralStoreError) -> [String] {
        try await attempt("migrating the schema") {
            try await client.withTransaction(logger: logger) { connection in
                // One migrator at a time, whatever the number of gateways starting.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('sortgate central schema'))",
                    logger: logger
                )
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS central_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: logger
                )
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT name FROM central_migrations", logger: logger)
                    .decode(String.self)
                {
                    applied.insert(name)
                }
                var done: [String] = []
                for migration in CentralSchema.migrations where !applied.contains(migration.name) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO central_migrations (name) VALUES (\(migration.name))",
                        logger: logger
                    )
                    done.append(migration.name)
                }
                return done
            }
        }
    }

    // MARK: - Shipping

    /// What the server has of `databaseID` of `site`; nil when nothing yet.
    public func mark(site: String, databaseID: String) async throws(CentralStoreError) -> CentralMark? {
        try await attempt("reading the shipped mark of site '\(site)'") {
            let rows = try await client.query(
                """
                SELECT seq, movements_through, readings_through, quarantine_through FROM central_sites
                WHERE site = \(site) AND database_id = \(databaseID)
                """,
                logger: logger
            )
            for try await mark in rows.decode((Int64, Int64, Int64, Int64).self) {
                return CentralMark(mark)
            }
            return nil
        }
    }

    /// Loads `cargo` and moves the mark of `databaseID` from `expected` to `cargo.mark`, in one
    /// transaction. Throws `markMoved` (and changes nothing) when the mark is not `expected`.
    public func ship(
        _ cargo: CentralCargo,
        site: String,
        databaseID: String,
        expecting expected: CentralMark?
    ) async throws(CentralStoreError) {
        let server = server.serverName
        try await attempt("shipping \(cargo.rows) rows of \(cargo.batches) batch(es)") {
            try await client.withTransaction(logger: logger) { connection in
                var current: CentralMark?
                for try await mark in try await connection.query(
                    """
                    SELECT seq, movements_through, readings_through, quarantine_through FROM central_sites
                    WHERE site = \(site) AND database_id = \(databaseID) FOR UPDATE
                    """,
                    logger: logger
                ).decode((Int64, Int64, Int64, Int64).self) {
                    current = CentralMark(mark)
                }
                guard current == expected else {
                    throw CentralStoreError(
                        kind: .markMoved,
                        server: server,
                        message: "the shipped mark of site '\(site)' moved under this shipper (another gateway "
                            + "ships the same database?): expected \(expected.map { "\($0.seq)" } ?? "none"), "
                            + "found \(current.map { "\($0.seq)" } ?? "none")"
                    )
                }
                for load in cargo.loads {
                    var binds = PostgresBindings()
                    binds.append(site)
                    binds.append(load.json)
                    if let replacement = load.table.centralReplacement {
                        try await connection.query(PostgresQuery(unsafeSQL: replacement, binds: binds), logger: logger)
                    }
                    try await connection.query(PostgresQuery(unsafeSQL: load.table.centralUpsert, binds: binds), logger: logger)
                }
                let mark = cargo.mark
                try await connection.query(
                    """
                    INSERT INTO central_sites (site, database_id, seq, movements_through, readings_through,
                                               quarantine_through, shipped_at)
                    VALUES (\(site), \(databaseID), \(mark.seq), \(mark.movementsThrough), \(mark.readingsThrough),
                            \(mark.quarantineThrough), now())
                    ON CONFLICT (site, database_id) DO UPDATE SET
                        seq = excluded.seq, movements_through = excluded.movements_through,
                        readings_through = excluded.readings_through, quarantine_through = excluded.quarantine_through,
                        shipped_at = excluded.shipped_at
                    """,
                    logger: logger
                )
            }
        }
    }

    // MARK: - Errors

    /// Runs `body`, turning any failure into a `CentralStoreError` naming the server and the operation.
    func attempt<T>(_ operation: String, _ body: () async throws -> T) async throws(CentralStoreError) -> T {
        do {
            return try await body()
        } catch let error as CentralStoreError {
            throw error
        } catch {
            throw CentralStoreError(describing: error, server: server, operation: operation)
        }
    }
}

extension CentralStoreError {
    /// Classifies a postgres-nio error and words it for an operator: PSQLError hides its details
    /// from `description` (they may hold data), so the server's message and the underlying network
    /// or TLS error are taken out here.
    init(describing error: any Error, server: PostgresConfig, operation: String) {
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            self.init(describing: cause, server: server, operation: operation)
            return
        }
        guard let error = error as? PSQLError else {
            self.init(kind: .connection, server: server.serverName, message: "\(operation) failed: \(error)")
            return
        }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "error \(state)"
            // 28xxx: invalid authorization (28P01 wrong password, 28000 no pg_hba entry).
            let kind: Kind = state.hasPrefix("28") ? .authentication : .server
            let hint =
                kind == .authentication
                ? "; check the user in the URL and password_file" : ""
            self.init(kind: kind, server: server.serverName, message: "\(operation) failed: \(message)\(hint)")
            return
        }
        let underlying = error.underlying.map { "\($0)" } ?? "\(error.code)"
        let tls =
            error.code == .sslUnsupported || error.code == .failedToAddSSLHandler
            || error.underlying is NIOSSLError || underlying.contains("SSL") || underlying.contains("certificate")
        if tls {
            self.init(
                kind: .tls,
                server: server.serverName,
                message: "\(operation) failed: TLS: \(underlying)\(server.tls.map { "; check tls.ca '\($0.ca)'" } ?? "")"
            )
        } else {
            self.init(kind: .connection, server: server.serverName, message: "\(operation) failed: \(underlying)")
        }
    }
}

extension CentralStore {
    /// Every central row of `table` in its shipped columns (those of `site` only, when given), in no
    /// particular order (to compare with a site's SQLite).
    public func shippedColumns(of table: CentralTable, site: String? = nil) async throws(CentralStoreError)
        -> [[CentralValue]]
    {
        try await attempt("reading \(table.rawValue)") {
            var binds = PostgresBindings()
            binds.append(site)
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(table.centralSelectList) FROM \(table.rawValue) WHERE $1::text IS NULL OR site = $1",
                    binds: binds
                ),
                logger: logger
            )
            var result: [[CentralValue]] = []
            for try await row in rows {
                let cells = Array(row)
                result.append(
                    try zip(cells, table.columns).map { cell, column in
                        switch column.type {
                        case "double precision": try cell.decode(Double?.self).map(CentralValue.real) ?? .null
                        case "bigint": try cell.decode(Int64?.self).map(CentralValue.integer) ?? .null
                        default: try cell.decode(String?.self).map(CentralValue.text) ?? .null
                        }
                    }
                )
            }
            return result
        }
    }
}

extension CentralStore: FactReader {
    /// Runs `query` (SQL shared with SQLite, see `FactQuery`) on the hub's PostgreSQL.
    public func fetch(_ query: FactQuery) async throws -> [FactRow] {
        try await attempt(query.purpose) {
            var binds = PostgresBindings()
            for argument in query.postgresArguments { binds.append(argument) }
            var rows: [FactRow] = []
            var columns: [String: Int]?
            for try await row in try await client.query(PostgresQuery(unsafeSQL: query.postgresSQL, binds: binds), logger: logger) {
                // The column names once per result; each row is then only its values.
                let names = columns ?? Dictionary(
                    row.enumerated().map { ($1.columnName, $0) },
                    uniquingKeysWith: { first, _ in first }
                )
                columns = names
                rows.append(FactRow(columns: names, values: try row.map { try CentralValue($0) }))
            }
            return rows
        }
    }
}

extension CentralMark {
    /// A mark as `central_sites` holds it: seq, movements, readings and quarantine through.
    init(_ columns: (Int64, Int64, Int64, Int64)) {
        self.init(
            seq: columns.0,
            movementsThrough: columns.1,
            readingsThrough: columns.2,
            quarantineThrough: columns.3
        )
    }
}

extension CentralValue {
    init(_ cell: PostgresCell) throws {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8: self = .integer(try cell.decode(Int64.self))
        case .float4, .float8, .numeric: self = .real(try cell.decode(Double.self))
        default: self = .text(try cell.decode(String.self))
        }
    }
}
