/// Why the HTTP API could not start; `description` says what to do about it.
public struct HTTPServiceError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Hashable {
        /// The token file is missing, empty, unreadable or readable by others.
        case token
        /// The address could not be listened on (port in use, address not on this machine).
        case listen
        /// The database could not be opened for reading.
        case database
    }

    public var kind: Kind
    public var description: String

    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }
}
