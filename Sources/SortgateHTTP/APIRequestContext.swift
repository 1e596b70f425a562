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

    /// snake_case keys (the database's own column names pass through unchanged), keys sorted so
    /// that a response is byte-for-byte repeatable.
    var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
