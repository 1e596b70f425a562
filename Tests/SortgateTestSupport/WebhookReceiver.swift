import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on a free 127.0.0.1 port that plays an alert webhook: it records every
/// request (method, path, headers, body) in arrival order and answers 500 while `failing` is true,
/// 200 otherwise, keeping connections alive as HTTP clients expect.
///
/// Blocking sockets on plain threads (one accepting, one per connection): a test receives a handful
/// of requests, and this keeps the helper free of any event-loop dependency.
///
/// `@unchecked Sendable`: every mutable field is guarded by `lock`; the listener is immutable.
public final class WebhookReceiver: @unchecked Sendable {
    /// One request as received.
    public struct Request: Sendable, Hashable {
        public var method: String
        public var path: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: String
        /// The status this request was answered with.
        public var answeredStatus: Int
    }

    private let listener: LoopbackListener
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var failingNow: Bool

    /// Starts listening; `failing` sets the first answers to 500.
    public init(failing: Bool = false) throws {
        failingNow = failing
        listener = try LoopbackListener(backlog: 16)
        let thread = Thread { [self] in
            acceptLoop()
        }
        thread.start()
    }

    deinit {
        close()
    }

    public var port: Int {
        listener.port
    }

    /// `http://127.0.0.1:PORT/alerts`.
    public var url: String {
        "http://127.0.0.1:\(port)/alerts"
    }

    /// While true, requests are answered 500; otherwise 200.
    public var failing: Bool {
        get { lock.withLock { failingNow } }
        set { lock.withLock { failingNow = newValue } }
    }

    /// Every request so far, in arrival order.
    public var requests: [Request] {
        lock.withLock { recorded }
    }

    /// Stops accepting; connection threads end when their clients close or after 30 s idle.
    public func close() {
        listener.close()
    }

    private func acceptLoop() {
        while let connection = listener.accept() {
            let thread = Thread { [self] in
                serve(connection)
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { Glibc.close(connection) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            // Read until a whole head, then until the whole body (Content-Length) is there.
            var headEnd: Int?
            var request: Request?
            var bodyLength = 0
            while true {
                if headEnd == nil, let range = firstRange(of: separator, in: pending) {
                    headEnd = range
                    let head = String(decoding: pending[..<range], as: UTF8.self)
                    request = parseHead(head)
                    bodyLength = Int(request?.headers["content-length"] ?? "0") ?? 0
                }
                if let headEnd, pending.count >= headEnd + 4 + bodyLength {
                    break
                }
                let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                guard count > 0 else {
                    return
                }
                pending += buffer[0..<count]
            }
            guard let headEnd, var request else {
                return
            }
            let bodyStart = headEnd + 4
            request.body = String(decoding: pending[bodyStart..<bodyStart + bodyLength], as: UTF8.self)
            pending.removeFirst(bodyStart + bodyLength)
            let status = lock.withLock {
                let status = failingNow ? 500 : 200
                request.answeredStatus = status
                recorded.append(request)
                return status
            }
            let body = status == 200 ? "ok" : "receiver told to fail"
            let reason = status == 200 ? "OK" : "Internal Server Error"
            let head =
                "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n"
            let response = Array((head + body).utf8)
            let written = response.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            guard written == response.count else {
                return
            }
        }
    }

    private func parseHead(_ head: String) -> Request? {
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else {
            return nil
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(
            method: String(requestLine[0]),
            path: String(requestLine[1]),
            headers: headers,
            body: "",
            answeredStatus: 0
        )
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else {
            return nil
        }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
