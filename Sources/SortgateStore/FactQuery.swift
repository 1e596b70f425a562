/// A read query in the SQL that SQLite and PostgreSQL both speak: `?1`, `?2` … placeholders
/// (sent as `$1`, `$2` … to PostgreSQL), text arguments (`CAST(?1 AS TEXT) IS NULL` where an
/// argument is only tested for NULL, since PostgreSQL must know its type), `NULLS FIRST` where order meets NULL
/// (PostgreSQL would put them last), and the column names of the database contract. Each query
/// the reading commands run is written once, in `FactQueries`, and runs on either store.
public struct FactQuery: Sendable, Hashable {
    public var sql: String
    public var arguments: [String?]
    /// What it reads, for error messages ("reading the inventory").
    public var purpose: String

    public init(_ sql: String, _ arguments: [String?] = [], purpose: String) {
        self.sql = sql
        self.arguments = arguments
        self.purpose = purpose
    }

    /// The SQL with PostgreSQL's `$N` placeholders.
    var postgresSQL: String {
        var result = ""
        var iterator = sql.makeIterator()
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
}

/// One row of a `FactQuery`'s result, by column name, whichever store it came from.
public struct FactRow: Sendable {
    var values: [String: CentralValue]

    public init(_ values: [String: CentralValue]) {
        self.values = values
    }

    public func text(_ column: String) -> String { optionalText(column) ?? "" }

    public func optionalText(_ column: String) -> String? {
        switch values[column] {
        case .text(let text): text
        case .integer(let value): String(value)
        case .real(let value): "\(value)"
        case .null, nil: nil
        }
    }

    public func integer(_ column: String) -> Int {
        switch values[column] {
        case .integer(let value): Int(value)
        case .real(let value): Int(value)
        case .text(let text): Int(text) ?? 0
        case .null, nil: 0
        }
    }

    public func optionalReal(_ column: String) -> Double? {
        switch values[column] {
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
