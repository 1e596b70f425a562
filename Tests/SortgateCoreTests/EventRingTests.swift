import Foundation
import Synchronization
import Testing

@testable import SortgateCore

/// The ring's parker as the gateway builds it (an `NSCondition` with an epoch), test-local since
/// SortgateCore itself does not wait in the OS.
final class TestParker: EventRingParker, @unchecked Sendable {
    // @unchecked: `current` is guarded by `condition`.
    private let condition = NSCondition()
    private var current: UInt64 = 0

    var epoch: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return current
    }

    func park(observed: UInt64, timeout: Duration) {
        let deadline = Date(
            timeIntervalSinceNow: Double(timeout.components.attoseconds) / 1e18 + Double(timeout.components.seconds)
        )
        condition.lock()
        while current == observed && condition.wait(until: deadline) {}
        condition.unlock()
    }

    func unparkAll() {
        condition.lock()
        current &+= 1
        condition.broadcast()
        condition.unlock()
    }
}

/// How many producer threads finished.
final class DoneCount: Sendable {
    let value = Atomic<Int>(0)
}

/// A message as the tests see it after consuming.
struct Received: Equatable {
    var source: UInt16
    var kind: EventRing.Kind
    var arrival: Int64
    var topic: String
    var body: [UInt8]
    var originalLength: Int
}

@Suite("EventRing")
struct EventRingTests {
    func makeRing(slots: Int, slotSize: Int = 64, maxMessage: Int? = nil, sources: Int = 4) -> EventRing {
        EventRing(
            configuration: .init(
                slots: slots,
                slotSize: slotSize,
                maxMessageBytes: maxMessage ?? (slots * slotSize - EventRing.headerSize)
            ),
            sources: sources,
            consumerParker: TestParker(),
            producerParker: TestParker()
        )
    }

    @discardableResult
    func push(
        _ ring: EventRing,
        source: UInt16,
        policy: EventRing.Policy = .block,
        topic: String = "t",
        _ body: [UInt8],
        at time: Int64 = 1
    ) -> EventRing.PushResult {
        Array(topic.utf8).withUnsafeBytes { topic in
            body.withUnsafeBytes { body in
                ring.push(
                    source: source,
                    policy: policy,
                    arrival: EventTime(nanoseconds: time),
                    topic: topic,
                    payload: body
                )
            }
        }
    }

    func drain(_ ring: EventRing, limit: Int = 1000) -> [Received] {
        var out: [Received] = []
        _ = ring.consume(limit: limit, timeout: .milliseconds(1)) { message in
            out.append(
                Received(
                    source: message.source,
                    kind: message.kind,
                    arrival: message.arrival.nanoseconds,
                    topic: String(decoding: message.topic, as: UTF8.self),
                    body: Array(message.body),
                    originalLength: message.originalLength
                )
            )
        }
        return out
    }

    @Test("Messages come out in order with their source, kind, arrival, topic and bytes; batches respect the limit")
    func singleThread() {
        let ring = makeRing(slots: 16)
        #expect(push(ring, source: 0, topic: "readers/a", [1, 2, 3], at: 10) == .accepted)
        #expect(push(ring, source: 2, topic: "", [], at: 11) == .accepted)
        #expect(push(ring, source: 1, topic: "readers/b", Array(repeating: 7, count: 100), at: 12) == .accepted)
        #expect(ring.depth.current == 1 + 1 + 3)
        let first = drain(ring, limit: 2)
        #expect(
            first == [
                Received(source: 0, kind: .mqtt, arrival: 10, topic: "readers/a", body: [1, 2, 3], originalLength: 3),
                Received(source: 2, kind: .mqtt, arrival: 11, topic: "", body: [], originalLength: 0),
            ]
        )
        let second = drain(ring)
        #expect(second.map(\.body) == [Array(repeating: 7, count: 100)])
        #expect(second.first?.source == 1)
        #expect(drain(ring).isEmpty)
        #expect(ring.depth.current == 0)
        #expect(ring.depth.highWater == 5)
    }

    @Test("Messages that start near the end run on into the mirror area and come out whole, lap after lap")
    func wrapAndMirror() {
        let ring = makeRing(slots: 8, slotSize: 64)
        var expected: [[UInt8]] = []
        var received: [[UInt8]] = []
        // Sizes 1…3 slots; 8 slots hold only a few, so every lap wraps at a different offset.
        for index in 0..<200 {
            let length = [10, 60, 100, 150][index % 4]
            let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            expected.append(body)
            #expect(push(ring, source: 0, body) == .accepted)
            if index % 2 == 1 { received += drain(ring).map(\.body) }
        }
        received += drain(ring).map(\.body)
        #expect(received == expected)
        #expect(ring.maxSlotsPerMessage == 8)
    }

    @Test("A message larger than maxMessageBytes is refused with .oversize and counted for its source")
    func oversize() {
        let ring = makeRing(slots: 16, slotSize: 64, maxMessage: 200)
        #expect(push(ring, source: 3, topic: "abc", Array(repeating: 1, count: 198)) == .oversize)
        #expect(push(ring, source: 3, topic: "a", Array(repeating: 1, count: 199)) == .accepted)
        #expect(ring.oversize(source: 3) == 1)
        #expect(ring.oversize(source: 0) == 0)
        #expect(drain(ring).map(\.body.count) == [199])
    }

    @Test("drop-oldest evicts the oldest drop-oldest message, never a block source's; then drops its own new one")
    func dropOldestSingleThread() {
        let ring = makeRing(slots: 4, slotSize: 64)
        for value in 0..<4 { #expect(push(ring, source: 1, policy: .dropOldest, [UInt8(value)]) == .accepted) }
        #expect(push(ring, source: 2, policy: .dropOldest, [9]) == .accepted)
        #expect(ring.dropped(source: 1) == 1)
        #expect(drain(ring).map(\.body) == [[1], [2], [3], [9]])

        for value in 0..<4 { #expect(push(ring, source: 0, policy: .block, [UInt8(value)]) == .accepted) }
        #expect(push(ring, source: 2, policy: .dropOldest, [9]) == .dropped)
        #expect(ring.dropped(source: 2) == 1)
        #expect(ring.dropped(source: 0) == 0)
        #expect(drain(ring).map(\.body) == [[0], [1], [2], [3]])
        #expect(ring.droppedTotal == 2)
    }

    @Test("Close: later pushes return .closed, the consumer drains what was published, then reports the end")
    func closeAndDrain() async {
        let ring = makeRing(slots: 4, slotSize: 64)
        for value in 0..<4 { push(ring, source: 0, [UInt8(value)]) }
        // A fifth block push waits for room; close wakes it and it returns .closed.
        let blocked = Task.detached { push(ring, source: 0, policy: .block, [4]) }
        try? await Task.sleep(for: .milliseconds(50))
        ring.close()
        #expect(await blocked.value == .closed)
        #expect(push(ring, source: 1, [5]) == .closed)
        var bodies: [[UInt8]] = []
        var open = true
        var rounds = 0
        while open && rounds < 100 {
            open = ring.consume(limit: 2, timeout: .milliseconds(1)) { bodies.append(Array($0.body)) }
            rounds += 1
        }
        #expect(!open)
        #expect(bodies == [[0], [1], [2], [3]])
    }

    /// Producers each send `count` messages holding (producer, n); the consumer checks them.
    func stress(policies: [EventRing.Policy], count: Int, slots: Int, consumerDelayEvery: Int) async -> (
        received: [[UInt32]], ring: EventRing
    ) {
        let ring = makeRing(slots: slots, slotSize: 64, sources: policies.count)
        let done = DoneCount()
        let producers = policies.enumerated().map { producer, policy in
            Thread {
                var body = [UInt8](repeating: 0, count: 8 + producer * 20)
                for n in 0..<count {
                    body.withUnsafeMutableBytes {
                        $0.storeBytes(of: UInt32(producer), as: UInt32.self)
                        $0.storeBytes(of: UInt32(n), toByteOffset: 4, as: UInt32.self)
                    }
                    let result = body.withUnsafeBytes {
                        ring.push(
                            source: UInt16(producer),
                            policy: policy,
                            arrival: EventTime(nanoseconds: Int64(n)),
                            topic: UnsafeRawBufferPointer(start: nil, count: 0),
                            payload: $0
                        )
                    }
                    precondition(result == .accepted || (policy == .dropOldest && result == .dropped))
                }
                done.value.add(1, ordering: .sequentiallyConsistent)
            }
        }
        for thread in producers { thread.start() }
        var received = Array(repeating: [UInt32](), count: policies.count)
        var consumed = 0
        while true {
            let finished = done.value.load(ordering: .sequentiallyConsistent) == policies.count
            _ = ring.consume(limit: 64, timeout: .milliseconds(5)) { message in
                let producer = message.body.load(as: UInt32.self)
                let n = message.body.load(fromByteOffset: 4, as: UInt32.self)
                precondition(Int(message.source) == Int(producer) && message.body.count == 8 + Int(producer) * 20)
                received[Int(producer)].append(n)
                consumed += 1
                if consumed % consumerDelayEvery == 0 { usleep(50) }
            }
            if finished && ring.depth.current == 0 {
                _ = ring.consume(limit: 1_000_000, timeout: .milliseconds(1)) { message in
                    received[Int(message.source)].append(message.body.load(fromByteOffset: 4, as: UInt32.self))
                }
                break
            }
        }
        return (received, ring)
    }

    @Test("block: four producers on a small ring never lose a message, and each one's order is kept")
    func blockStress() async {
        let count = 20_000
        let (received, ring) = await stress(
            policies: [.block, .block, .block, .block],
            count: count,
            slots: 32,
            consumerDelayEvery: 500
        )
        for producer in 0..<4 {
            #expect(received[producer] == (0..<count).map(UInt32.init), "producer \(producer)")
            #expect(ring.dropped(source: UInt16(producer)) == 0)
        }
    }

    @Test("drop-oldest: received + dropped == sent per source, order kept, and the block source loses nothing")
    func dropOldestStress() async {
        let count = 20_000
        let (received, ring) = await stress(
            policies: [.dropOldest, .dropOldest, .dropOldest, .block],
            count: count,
            slots: 16,
            consumerDelayEvery: 50
        )
        var totalDropped: UInt64 = 0
        for producer in 0..<3 {
            let dropped = ring.dropped(source: UInt16(producer))
            totalDropped += dropped
            #expect(UInt64(received[producer].count) + dropped == UInt64(count), "producer \(producer)")
            #expect(zip(received[producer], received[producer].dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(totalDropped > 0)
        #expect(received[3] == (0..<count).map(UInt32.init))
        #expect(ring.dropped(source: 3) == 0)
    }
}
