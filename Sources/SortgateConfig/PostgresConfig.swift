/// A PostgreSQL server and how to log in to it: the hub database (`database: {postgres: URL}`) or
/// the central database a gateway ships to (`central: {postgres: URL}`).
///
/// The URL names the user, host, port and database (`postgres://sortgate@db:5432/sortgate`); the
/// password is never in the config, only in `password_file`, which the gateway reads when it starts
/// (a rotated password needs a restart, not a config change). With `tls` the connection must be TLS and the server's
/// certificate must be signed by `tls.ca` (and carry the URL's host name); without it the connection
/// is plain, which is only right on loopback or a private link.
public struct PostgresConfig: Sendable, Hashable {
    /// The URL as written, for messages.
    public var url: String
    public var host: String
    /// Default 5432.
    public var port: Int
    public var user: String
    /// Default: the user's name, as libpq does.
    public var database: String
    public var passwordFile: String?
    public var tls: TLSConfig?

    public init(
        url: String,
        host: String,
        port: Int = 5432,
        user: String,
        database: String,
        passwordFile: String? = nil,
        tls: TLSConfig? = nil
    ) {
        self.url = url
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.passwordFile = passwordFile
        self.tls = tls
    }

    /// `host:port/database`, how log lines and errors name the server.
    public var serverName: String { "\(host):\(port)/\(database)" }

    /// The parts of a `postgres://user@host:port/database` URL, or why it is not one.
    ///
    /// A password in the URL is refused (it belongs in `password_file`), and so are query
    /// parameters: TLS is configured by `tls`, not by `sslmode`.
    public static func parse(url: String) -> Result<PostgresConfig, URLProblem> {
        let schemes = ["postgres://", "postgresql://"]
        guard let scheme = schemes.first(where: { url.hasPrefix($0) }) else {
            return .failure(URLProblem("expected a URL such as postgres://sortgate@db:5432/sortgate"))
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.contains("?") {
            return .failure(URLProblem("query parameters are not read; give TLS files under tls: {ca: FILE}"))
        }
        var database: String?
        if let slash = rest.firstIndex(of: "/") {
            database = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else {
            return .failure(URLProblem("name the user: postgres://USER@HOST:PORT/DATABASE"))
        }
        let user = rest[..<at]
        if user.contains(":") {
            return .failure(URLProblem(ConfigWording.writtenPassword))
        }
        var host = rest[rest.index(after: at)...]
        var port = 5432
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65_535).contains(number) else {
                return .failure(URLProblem("expected a port number from 1 to 65535 after the host"))
            }
            port = number
            host = host[..<colon]
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !user.isEmpty, !host.isEmpty else {
            return .failure(URLProblem("expected postgres://USER@HOST:PORT/DATABASE"))
        }
        let name = database.flatMap { $0.isEmpty ? nil : $0 } ?? String(user)
        return .success(PostgresConfig(url: url, host: String(host), port: port, user: String(user), database: name))
    }

    /// Why a text is not a PostgreSQL URL sortgate takes.
    public struct URLProblem: Error, Sendable, Hashable {
        public var message: String
        init(_ message: String) { self.message = message }
    }
}

/// The central PostgreSQL a gateway ships everything it commits to (config `central`), beside its
/// own SQLite, and how much unshipped data it keeps while that server is away.
public struct CentralConfig: Sendable, Hashable {
    public var server: PostgresConfig
    /// The most unshipped rows (movements, readings, and changed inventory, alert, journey and
    /// minute rows) kept for shipping (`max_backlog.rows`, default 10 000 000). Beyond it the raw
    /// readings of the oldest batches are given up; facts, alerts and journeys never are.
    public var maxBacklogRows: Int
    /// The oldest unshipped batch kept whole (`max_backlog.age`, default 7 days); the readings of
    /// older batches are given up, as above. Nil for no age bound.
    public var maxBacklogAge: Duration?
    /// The most rows sent in one PostgreSQL transaction (`batch_rows`, default 50 000): large enough
    /// for a fast catch-up, small enough that one transaction is quick to redo.
    public var batchRows: Int
    /// How often the shipper looks for newly committed batches when idle (`interval`, default 200 ms):
    /// the floor of the steady-state lag.
    public var interval: Duration

    public init(
        server: PostgresConfig,
        maxBacklogRows: Int = CentralConfig.defaultMaxBacklogRows,
        maxBacklogAge: Duration? = CentralConfig.defaultMaxBacklogAge,
        batchRows: Int = CentralConfig.defaultBatchRows,
        interval: Duration = CentralConfig.defaultInterval
    ) {
        self.server = server
        self.maxBacklogRows = maxBacklogRows
        self.maxBacklogAge = maxBacklogAge
        self.batchRows = batchRows
        self.interval = interval
    }

    public static let defaultMaxBacklogRows = 10_000_000
    public static let defaultMaxBacklogAge: Duration? = .seconds(7 * 24 * 3600)
    public static let defaultBatchRows = 50_000
    public static let defaultInterval: Duration = .milliseconds(200)
}
