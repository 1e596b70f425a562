import CoreMetrics
import DequeModule
import Foundation
public import SortgateCore

/// The bounded multi-producer, single-consumer queue of raw device messages between the
/// drivers (network threads) and the pipeline (one consumer thread).
///
/// Bounded twice, by message count and by payload bytes, so memory is set by configuration,
/// not by traffic. A producer pushing into a full queue either blocks until the consumer made
/// room (`block`, the default: the libmosquitto network thread stops reading its socket, and
/// the broker queues for us) or drops its own source's oldest queued message (`drop-oldest`;
/// when none of its messages is queued, the new message is dropped), and the drop is counted.
/// A drop-oldest source never evicts another source's message, so a `block` source's
/// no-loss guarantee holds whatever its neighbours do.
///
/// One `NSCondition` guards the deque: pushes and pops are O(1) and the lock is held only to
/// move a value, never during decoding or I/O. The consumer takes messages in batches.
public final class MessageQueue: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var items = Deque<CaptureRecord>()
    private var queuedBytes = 0
    private var closed = false
    private var dropCounts: [String: UInt64] = [:]
    private var highWater = 0

    /// Most messages held at once.
    public let capacity: Int
    /// Most payload bytes held at once (a single larger message is still admitted when the queue is empty).
    public let byteCapacity: Int

    public init(capacity: Int = 65_536, byteCapacity: Int = 64 << 20) {
        precondition(capacity > 0 && byteCapacity > 0)
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    private func isFull(adding bytes: Int) -> Bool {
        items.count >= capacity || (!items.isEmpty && queuedBytes + bytes > byteCapacity)
    }

    private static func size(_ record: CaptureRecord) -> Int {
        (record.payload?.count ?? 0) + (record.modbus?.registers?.count ?? 0) * 2
    }

    /// Adds a message, applying `policy` when the queue is full. Returns false when the queue
    /// was closed (the gateway is shutting down) or the message itself was dropped.
    @discardableResult
    public func push(_ record: CaptureRecord, policy: FullPolicy) -> Bool {
        let bytes = Self.size(record)
        condition.lock()
        defer { condition.unlock() }
        while !closed && isFull(adding: bytes) {
            switch policy {
            case .block:
                condition.wait()
            case .dropOldest:
                dropCounts[record.source, default: 0] += 1
                Counter(label: "sortgate_source_dropped_total", dimensions: [("source", record.source)]).increment()
                guard let index = items.firstIndex(where: { $0.source == record.source }) else { return false }
                queuedBytes -= Self.size(items.remove(at: index))
            }
        }
        if closed { return false }
        items.append(record)
        queuedBytes += bytes
        highWater = max(highWater, items.count)
        condition.broadcast()
        return true
    }

    /// Moves up to `limit` messages into `batch` (appending), waiting up to `timeout` for the
    /// first one. Returns false once the queue is closed and empty: the consumer is done.
    public func popBatch(into batch: inout [CaptureRecord], limit: Int, timeout: Duration) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty && !closed {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        if items.isEmpty { return !closed }
        let count = min(limit, items.count)
        for _ in 0..<count {
            let record = items.removeFirst()
            queuedBytes -= Self.size(record)
            batch.append(record)
        }
        condition.broadcast()
        return true
    }

    /// Stops accepting messages; blocked producers return. The consumer still drains what is queued.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Messages dropped so far, by source id.
    public var dropped: [String: UInt64] {
        condition.lock()
        defer { condition.unlock() }
        return dropCounts
    }

    /// Messages queued now, and the most ever queued.
    public var depth: (current: Int, highWater: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (items.count, highWater)
    }
}
