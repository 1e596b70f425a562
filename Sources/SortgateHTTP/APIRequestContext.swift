import Foundation
import Hummingbird
import NIOCore

/// The context of one API request: Hummingbird's core storage, plus the client's address (an
/// acknowledgement is logged with it) and the JSON coding every endpoint shares.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// `ip:port` of the client, or `unknown`.
    let clientAddress: String
    /// The client's connection (the live stream closes it to drop a client that stopped reading).
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        if let address = source.channel.remoteAddress, let ip = address.ipAddress {
            clientAddress = "\(ip):\(address.port ?? 0)"
        } else {
            clientAddress = "unknown"
        }
    }

    /// Keys as the types spell them: the database's rows with their column names, the API's own
    /// objects with snake_case `CodingKeys`. (`convertToSnakeCase` would convert every key of every
    /// row again, on every request; README, "HTTP API under load".) Keys sorted, so that a response is
    /// byte-for-byte repeatable.
    var responseEncoder: JSONEncoder { Self.makeResponseEncoder() }

    static func makeResponseEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
