/// Why the SQLite store could not open, read or write its database, naming the file and what to do.
public struct SQLiteStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of failure, so that callers (the CLI) can pick an exit status or a hint.
    public enum Kind: String, Hashable, Sendable {
        /// A read-only open found no database file.
        case databaseMissing = "database-missing"
        /// The file exists but this sortgate's schema migrations have not all been applied to it.
        case schemaOutdated = "schema-outdated"
        /// A write was attempted on a store opened with `openReadOnly(path:)`.
        case readOnly = "read-only"
        /// A fact names a zone id that the store was not given a name for (a wiring bug).
        case unknownZone = "unknown-zone"
        /// A constructor argument is out of range.
        case invalidArgument = "invalid-argument"
        /// SQLite (or the file system) reported an error.
        case databaseError = "database-error"
    }

    public var kind: Kind
    /// The database file concerned.
    public var path: String
    /// What happened, and what to do about it where there is something to do.
    public var message: String

    public init(kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "database '\(path)': \(message)" }
}
