import Synchronization
public import SortgateCore

/// Facts committed to the database since start, by kind (`arrival`, `move`, `departure`,
/// `reading`, `alert`): counted per batch on the writer's thread once its transaction committed,
/// for `sortgate_facts_written_total`.
public final class CommittedFactCounts: Sendable {
    private let counts = Mutex<[String: UInt64]>([:])

    public init() {}

    /// Counts what `batch` held.
    public func add(_ batch: FactBatch) {
        var arrivals: UInt64 = 0
        var moves: UInt64 = 0
        var departures: UInt64 = 0
        for movement in batch.movements {
            switch movement.kind {
            case .arrival: arrivals += 1
            case .move: moves += 1
            case .departure: departures += 1
            }
        }
        counts.withLock { counts in
            counts["arrival", default: 0] += arrivals
            counts["move", default: 0] += moves
            counts["departure", default: 0] += departures
            counts["reading", default: 0] += UInt64(batch.readings.count)
            counts["alert", default: 0] += UInt64(batch.alerts.count)
        }
    }

    /// The counts so far.
    public var byKind: [String: UInt64] { counts.withLock { $0 } }
}
