/// A read query in the SQL that SQLite and PostgreSQL both speak: `?1`, `?2` … placeholders
/// (sent as `$1`, `$2` … to PostgreSQL), text arguments (`CAST(?1 AS TEXT) IS NULL` where an
/// argument is only tested for NULL, since PostgreSQL must know its type), `NULLS FIRST` where order meets NULL
/// (PostgreSQL would put them last), and the column names of the database contract. Each query
/// the reading commands run is written once, in `FactQueries`, and runs on either store.
///
/// Where the central schema differs from a site's (its `site` column: a hub holds many sites'
/// rows), the text says so in place: `{central|local}` is `central` on the hub's PostgreSQL and
/// `local` on a site's SQLite (`{central}` alone is nothing locally), e.g. `SELECT epc{, site}`
/// or `ORDER BY i.{id|rowid}`. `centralArguments` follow `arguments` on the hub only, for the
/// placeholders that appear in central text alone (a `--site` filter). A query that has nothing to
/// ask a site's database may give its whole central text instead (`centrally`).
public struct FactQuery: Sendable, Hashable {
    public var sql: String
    public var arguments: [String?]
    /// Arguments after `arguments`, on the central PostgreSQL only.
    public var centralArguments: [String?]
    /// What it reads, for error messages ("reading the inventory").
    public var purpose: String
    /// The central variant, when the whole text differs.
    var central: (sql: String, arguments: [String?])?

    public init(_ sql: String, _ arguments: [String?] = [], centralArguments: [String?] = [], purpose: String) {
        self.sql = sql
        self.arguments = arguments
        self.centralArguments = centralArguments
        self.purpose = purpose
    }

    /// This query, but `sql` with `arguments` on the central PostgreSQL.
    func centrally(_ sql: String, _ arguments: [String?]) -> FactQuery {
        var query = self
        query.central = (sql, arguments)
        return query
    }

    public static func == (lhs: FactQuery, rhs: FactQuery) -> Bool {
        lhs.sql == rhs.sql && lhs.arguments == rhs.arguments && lhs.centralArguments == rhs.centralArguments
            && lhs.purpose == rhs.purpose && lhs.central?.sql == rhs.central?.sql
            && lhs.central?.arguments == rhs.central?.arguments
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sql)
        hasher.combine(arguments)
        hasher.combine(centralArguments)
        hasher.combine(central?.sql)
    }

    /// The SQL SQLite runs: the local side of every `{central|local}`.
    public var sqliteSQL: String { Self.resolving(sql, central: false) }

    /// The arguments PostgreSQL gets.
    var postgresArguments: [String?] { central?.arguments ?? arguments + centralArguments }

    /// The SQL PostgreSQL runs, with its `$N` placeholders.
    var postgresSQL: String {
        var result = ""
        var iterator = (central?.sql ?? Self.resolving(sql, central: true)).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            guard character == "?" else {
                result.append(character)
                continue
            }
            result.append("$")
            while let next = iterator.next() {
                guard next.isNumber else {
                    pending = next
                    break
                }
                result.append(next)
            }
        }
        return result
    }

    /// `text` with each `{central|local}` replaced by one side.
    static func resolving(_ text: String, central: Bool) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let inside = rest[rest.index(after: open)..<close]
            let sides = inside.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            result += central ? sides[0] : (sides.count > 1 ? sides[1] : "")
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// One row of a `FactQuery`'s result, by column name, whichever store it came from.
public struct FactRow: Sendable {
    /// Each column's position in `values`; one dictionary shared by every row of a result.
    let columns: [String: Int]
    let values: [CentralValue]

    /// A row of a result whose columns are `columns` (name → position in `values`).
    public init(columns: [String: Int], values: [CentralValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of `column`; nil when the result has no such column.
    subscript(_ column: String) -> CentralValue? {
        columns[column].map { values[$0] }
    }

    public func text(_ column: String) -> String { optionalText(column) ?? "" }

    public func optionalText(_ column: String) -> String? {
        switch self[column] {
        case .text(let text): text
        case .integer(let value): String(value)
        case .real(let value): "\(value)"
        case .null, nil: nil
        }
    }

    public func integer(_ column: String) -> Int {
        switch self[column] {
        case .integer(let value): Int(value)
        case .real(let value): Int(value)
        case .text(let text): Int(text) ?? 0
        case .null, nil: 0
        }
    }

    public func optionalReal(_ column: String) -> Double? {
        switch self[column] {
        case .real(let value): value
        case .integer(let value): Double(value)
        case .text(let text): Double(text)
        case .null, nil: nil
        }
    }

    public func real(_ column: String) -> Double { optionalReal(column) ?? 0 }
}

/// Runs `FactQuery`s: the site's SQLite (`SQLiteFactReader`) or a hub's PostgreSQL (`CentralStore`).
/// The reading commands take one of these and never know which.
public protocol FactReader: Sendable {
    func fetch(_ query: FactQuery) async throws -> [FactRow]
}

/// A site's SQLite as a `FactReader`.
public struct SQLiteFactReader: FactReader {
    public let store: SQLiteStore

    public init(_ store: SQLiteStore) {
        self.store = store
    }

    public func fetch(_ query: FactQuery) async throws -> [FactRow] {
        try store.rows(query)
    }
}
