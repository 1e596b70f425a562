import Foundation
import Glibc
import Hummingbird
import NIOCore
import NIOPosix

/// The threads the HTTP API works on, all of them at a lower scheduling priority than ingestion.
///
/// The gateway's own threads (the MQTT network loops, the pipeline, the SQLite writer) keep the
/// priority they started with; the API's connections (one event loop), its database reads and its
/// JSON encoding (a thread pool) run `niceness` steps lower. On a small edge box a wall of
/// dashboards then takes the CPU ingestion leaves, instead of delaying commits: measured with
/// `make bench-http` (README, "HTTP API under load").
///
/// Lowering a thread's own priority needs no privilege (`setpriority` on the thread's id); a
/// thread cannot raise it again without `CAP_SYS_NICE`, which is why the API gets its own threads
/// rather than lowering NIO's or Swift's shared ones.
final class APIWorkers: Sendable {
    /// How much lower than the process the API's threads run (`nice` steps, 0 to 19).
    static let niceness: Int32 = 10

    /// Hummingbird's event loop: accepts connections, parses requests, writes responses.
    let eventLoops: MultiThreadedEventLoopGroup
    /// Where requests block (SQLite reads) and spend their CPU (encoding).
    private let pool: NIOThreadPool

    init(threads: Int) {
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        for loop in eventLoops.makeIterator() { loop.execute { Self.lowerCurrentThreadPriority() } }
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `body` on one of the API's pool threads.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive {
            // Two system calls, against tracking which of the pool's threads already runs lowered.
            Self.lowerCurrentThreadPriority()
            return try body()
        }
    }

    /// `value` as the JSON body of a 200 response, encoded on the API's threads.
    func json<Value: Encodable & Sendable>(_ value: Value) async throws -> Response {
        let data = try await run { try APIRequestContext.makeResponseEncoder().encode(value) }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
        try? await eventLoops.shutdownGracefully()
    }

    /// Lowers the calling thread's scheduling priority to `niceness` (never raises it). On Linux
    /// the nice value belongs to each thread, and `PRIO_PROCESS` with id 0 means the calling one.
    static func lowerCurrentThreadPriority() {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0, current < niceness else { return }
        _ = setpriority(which, 0, niceness)
    }
}
