/// A failure talking to the central PostgreSQL, naming the server and saying what to do.
public struct CentralStoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// No connection: refused, unreachable, timed out, closed.
        case connection
        /// The server refused the user or the password.
        case authentication
        /// The TLS handshake failed: an unknown CA, a wrong host name, no TLS on the server.
        case tls
        /// The server refused a statement (schema, constraint, disk full…).
        case server
        /// The password file could not be read.
        case passwordFile
        /// Another shipper moved this database's mark: two gateways on one SQLite file.
        case markMoved
    }

    public var kind: Kind
    /// `host:port/database`.
    public var server: String
    public var message: String

    public init(kind: Kind, server: String, message: String) {
        self.kind = kind
        self.server = server
        self.message = message
    }

    public var description: String { "central PostgreSQL \(server): \(message)" }
}
