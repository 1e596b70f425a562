import Foundation
import Hummingbird
import Logging
import NIOCore
import SortgateStore

/// `GET /api/stream`: Server-Sent Events of what the pipeline commits.
///
/// Events: `fact` (an arrival, move or departure), `reading`, and `alert` (the alert as stored,
/// on raise, clear and acknowledgement), each `data:` one JSON object; a `: keepalive` comment
/// when nothing happened for a while. A client that falls `LiveFeed.clientBuffer` batches behind
/// is disconnected (the browser's `EventSource` reconnects), so it never holds up the pipeline.
struct StreamEndpoint: Sendable {
    static let path = "/api/stream"
    let feed: LiveFeed
    let database: SQLiteStore
    let workers: APIWorkers
    let logger: Logger

    func addRoute(to router: Router<APIRequestContext>) {
        router.get("api/stream") { _, context in try stream(context) }
    }

    func stream(_ context: APIRequestContext) throws -> Response {
        guard let deliveries = feed.subscribe(onDrop: { [channel = context.channel] in channel.close(promise: nil) })
        else {
            throw APIError(status: .serviceUnavailable, message: "the server is stopping")
        }
        let encoder = context.responseEncoder
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-store",
            ],
            body: ResponseBody { [database, workers] writer in
                // The first bytes tell the client the stream is open before any event.
                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                for await delivery in deliveries {
                    switch delivery {
                    case .keepalive:
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                    case .events(let events):
                        let text = try await Self.render(events, encoder: encoder, database: database, workers: workers)
                        try await writer.write(ByteBuffer(string: text))
                    }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// The events of one delivery in the SSE wire format. Alerts are read from the database
    /// (committed, so present) to send the same object as `/api/alerts`, on the API's workers as
    /// every other read.
    static func render(
        _ events: [LiveEvent],
        encoder: JSONEncoder,
        database: SQLiteStore,
        workers: APIWorkers
    ) async throws -> String {
        var text = ""
        for event in events {
            let name: String
            let data: Data
            switch event {
            case .fact(let kind, let epc, let zone, let fromZone, let time):
                name = "fact"
                data = try encoder.encode(FactEvent(kind: kind, epc: epc, zone: zone, fromZone: fromZone, time: time))
            case .reading(let sensor, let zone, let celsius, let time):
                name = "reading"
                data = try encoder.encode(ReadingRecord(sensor: sensor, zone: zone, at: time, celsius: celsius))
            case .alert(let id):
                guard let alert = try await workers.run({ try database.alert(id: id) })
                else { continue }
                name = "alert"
                data = try encoder.encode(alert)
            }
            text += "event: \(name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
        }
        return text
    }
}

/// The `data` of a `fact` event.
struct FactEvent: Encodable {
    var kind: String
    var epc: String
    var zone: String?
    var fromZone: String?
    var time: String

    enum CodingKeys: String, CodingKey {
        case kind, epc, zone, time
        case fromZone = "from_zone"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(epc, forKey: .epc)
        try c.encode(zone, forKey: .zone)
        try c.encode(fromZone, forKey: .fromZone)
        try c.encode(time, forKey: .time)
    }
}
