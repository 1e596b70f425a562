import Foundation
import Glibc
import NIOCore
import NIOPosix
@testable import SortgateHTTP
import Testing

@Suite("APIWorkers")
struct APIWorkersTests {
    /// The nice value of the calling thread (Linux keeps one per thread).
    static func currentNiceness() -> Int32 {
        getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
    }

    @Test("Requests are read and encoded on threads below ingestion's priority; the caller's is untouched")
    func priority() async throws {
        let workers = APIWorkers(threads: 2)
        let before = Self.currentNiceness()
        // More jobs than threads, so that every pool thread runs at least one.
        let seen = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<8 { group.addTask { try await workers.run { Self.currentNiceness() } } }
            return try await group.reduce(into: [Int32]()) { $0.append($1) }
        }
        #expect(seen == Array(repeating: APIWorkers.niceness, count: 8))
        let loop = try await workers.eventLoops.next().submit { Self.currentNiceness() }.get()
        #expect(loop == APIWorkers.niceness)
        #expect(Self.currentNiceness() == before)
        await workers.shutdown()
    }
}
