import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Requests to a sortgate HTTP API on 127.0.0.1, with or without a bearer token.
struct HTTPTestClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw HTTPTestClientError("not a JSON object: \(text.prefix(200))")
            }
            return object
        }
    }

    struct HTTPTestClientError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let port: Int
    var token: String?

    func request(_ path: String, method: HTTPMethod = .GET, token: String?? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
    }

    func get(_ path: String) async throws -> Reply { try await request(path) }

    /// Waits until `/health` answers 200 (the server binds after the gateway starts its services).
    func waitUntilListening(timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await get("/health").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTPTestClientError("the HTTP API on 127.0.0.1:\(port) did not answer /health within \(timeout)")
    }

    /// The Server-Sent Events of `path` until `stop` says so (or `timeout`): each `(event, data)`.
    func events(
        _ path: String,
        timeout: Duration = .seconds(30),
        until stop: @Sendable ([(event: String, data: String)]) -> Bool
    ) async throws -> [(event: String, data: String)] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        guard response.status == .ok else { throw HTTPTestClientError("stream answered \(response.status)") }
        var buffer = ""
        var events: [(event: String, data: String)] = []
        for try await chunk in response.body {
            buffer += String(buffer: chunk)
            while let end = buffer.range(of: "\n\n") {
                let block = buffer[..<end.lowerBound]
                buffer.removeSubrange(..<end.upperBound)
                var name = "message"
                var data: [Substring] = []
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(line.dropFirst(6)) }
                }
                if !data.isEmpty { events.append((name, data.joined(separator: "\n"))) }
            }
            if stop(events) { return events }
        }
        return events
    }
}
