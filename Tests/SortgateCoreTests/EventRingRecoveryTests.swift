import Foundation
import Testing

@testable import SortgateCore

/// A caller-provided region, as the gateway's file mapping is: the ring keeps it alive.
final class TestRegion: @unchecked Sendable {
    // @unchecked: the bytes are shared with the ring, which owns the synchronisation.
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        bytes = .allocate(byteCount: byteCount, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// A copy of every byte as they are now: what a process killed at this instant leaves in its file.
    func snapshot() -> TestRegion {
        let copy = TestRegion(byteCount: bytes.count)
        copy.bytes.copyMemory(from: UnsafeRawBufferPointer(bytes))
        return copy
    }

    deinit { bytes.deallocate() }
}

@Suite("EventRing durability: positions, retention, recovery")
struct EventRingRecoveryTests {
    static let configuration = EventRing.Configuration(slots: 8, slotSize: 64, maxMessageBytes: 200)

    func ring(in region: TestRegion, _ format: EventRing.Format) -> EventRing {
        EventRing(
            configuration: Self.configuration,
            sources: 4,
            region: region.bytes,
            owner: region,
            format: format,
            retention: .untilReleased,
            consumerParker: TestParker(),
            producerParker: TestParker()
        )
    }

    @discardableResult
    func push(_ ring: EventRing, _ text: String, source: UInt16 = 1, policy: EventRing.Policy = .dropOldest,
              during write: () -> Void = {}) -> EventRing.PushResult {
        let bytes = Array(text.utf8)
        return ring.push(
            source: source,
            policy: policy,
            kind: .mqtt,
            arrival: EventTime(nanoseconds: 7),
            topic: UnsafeRawBufferPointer(start: nil, count: 0),
            bodyLength: bytes.count,
            originalLength: bytes.count
        ) { destination in
            write()
            destination.copyBytes(from: bytes)
        }
    }

    func consume(_ ring: EventRing) -> [(position: UInt64, text: String)] {
        var out: [(UInt64, String)] = []
        _ = ring.consume(limit: 100, timeout: .milliseconds(1)) { message in
            out.append((message.position, String(decoding: message.body, as: UTF8.self)))
        }
        return out
    }

    /// What a process leaves when it dies while copying "torn" into its slot, after "whole" and
    /// after another producer, which claimed the next slot later, published "later".
    func killedMidCopy() -> TestRegion {
        let region = TestRegion(byteCount: EventRing.byteCount(for: Self.configuration))
        let live = ring(in: region, .fresh(startingAt: 0))
        push(live, "whole")
        var killed: TestRegion?
        push(live, "torn") {
            push(live, "later")
            killed = region.snapshot()
        }
        return killed!
    }

    @Test("positions count slots from the base and never repeat; consumed slots stay taken until released")
    func retention() {
        let region = TestRegion(byteCount: EventRing.byteCount(for: Self.configuration))
        let ring = ring(in: region, .fresh(startingAt: 1000))
        #expect(push(ring, "a") == .accepted)
        // 24 + 100 bytes: two slots.
        #expect(push(ring, String(repeating: "b", count: 100)) == .accepted)
        #expect(push(ring, "c") == .accepted)
        #expect(consume(ring).map(\.position) == [1000, 1001, 1003])
        #expect(ring.retainedSlots == 4)
        for text in ["d", "e", "f", "g"] { #expect(push(ring, text) == .accepted) }
        // Eight slots taken, four of them consumed but not released: a new message finds no room.
        #expect(push(ring, "h") == .dropped)
        #expect(consume(ring).map(\.text) == ["d", "e", "f", "g"])
        ring.release(upTo: 1003)
        #expect(ring.releasedPosition == 1003)
        #expect(ring.retainedSlots == 5)
        #expect(push(ring, "i") == .accepted)
        #expect(push(ring, "j") == .accepted)
        #expect(push(ring, "k") == .accepted)
        #expect(push(ring, "l") == .dropped)
        #expect(consume(ring).map(\.position) == [1008, 1009, 1010])
    }

    @Test("recovery hands over every message from the stored position to the tail, consumed or not")
    func recovery() {
        let region = TestRegion(byteCount: EventRing.byteCount(for: Self.configuration))
        let first = ring(in: region, .fresh(startingAt: 40, sourceTag: 99))
        for text in ["m1", "m2", "m3", "m4"] { push(first, text) }
        #expect(consume(first).count == 4)
        first.release(upTo: 41)
        push(first, "m5")
        // A new process finds the file as the killed one left it; the database says 42.
        let stored = EventRing.storedConfiguration(in: UnsafeRawBufferPointer(region.bytes))
        #expect(stored == Self.configuration)
        let second = ring(in: region, .existing)
        #expect(second.sourceTag == 99)
        var recovered: [(UInt64, String, UInt16)] = []
        let recovery = second.recover(from: 42) { message in
            recovered.append((message.position, String(decoding: message.body, as: UTF8.self), message.source))
        }
        #expect(recovered.map(\.0) == [42, 43, 44])
        #expect(recovered.map(\.1) == ["m3", "m4", "m5"])
        #expect(recovered.map(\.2) == [1, 1, 1])
        #expect(recovery == EventRing.Recovery(start: 42, end: 45, messages: 3, tornMessages: 0))
        // Positions go on after the old tail, so a stored position never goes back.
        second.reset(startingAt: recovery.end, sourceTag: 99)
        push(second, "n1")
        #expect(consume(second).map(\.position) == [45])
        #expect(second.recover(from: 0) { _ in }.messages == 1)
    }

    @Test("a message whose copy was cut short is skipped and counted; one published after it is recovered")
    func tornMessage() {
        let after = ring(in: killedMidCopy(), .existing)
        var texts: [String] = []
        let recovery = after.recover(from: 0) { texts.append(String(decoding: $0.body, as: UTF8.self)) }
        #expect(texts == ["whole", "later"])
        #expect(recovery == EventRing.Recovery(start: 0, end: 3, messages: 2, tornMessages: 1))
    }

    @Test("resume frees the recovered slots and goes on at the tail; what was committed stays as history")
    func resumeKeepsHistory() {
        let region = TestRegion(byteCount: EventRing.byteCount(for: Self.configuration))
        let first = ring(in: region, .fresh(startingAt: 0))
        for text in ["a", "b", "c"] { push(first, text) }
        #expect(consume(first).count == 3)
        first.release(upTo: 1)
        let second = ring(in: region.snapshot(), .existing)
        var history: [String] = []
        var recovered: [String] = []
        _ = second.recover(from: 2) { history.append(String(decoding: $0.body, as: UTF8.self)) } _: {
            recovered.append(String(decoding: $0.body, as: UTF8.self))
        }
        // "a" was released, "b" committed but not yet released: both are history; "c" is re-processed.
        #expect(history == ["a", "b"])
        #expect(recovered == ["c"])
        second.resume()
        #expect(second.retainedSlots == 0)
        #expect(push(second, "d") == .accepted)
        #expect(consume(second).map(\.position) == [3])
        history = []
        recovered = []
        let third = second.recover(from: 3) { history.append(String(decoding: $0.body, as: UTF8.self)) } _: {
            recovered.append(String(decoding: $0.body, as: UTF8.self))
        }
        #expect(history == ["a", "b", "c"])
        #expect(recovered == ["d"])
        #expect(third == EventRing.Recovery(start: 3, end: 4, messages: 1, tornMessages: 0))
    }

    @Test("after resume, the history steps over a torn run instead of stopping at it")
    func historyStepsOverTornRun() {
        let after = ring(in: killedMidCopy(), .existing)
        #expect(after.recover(from: 0) { _ in }.tornMessages == 1)
        after.resume()
        push(after, "next")
        var history: [String] = []
        var recovered: [String] = []
        _ = after.recover(from: 3) { history.append(String(decoding: $0.body, as: UTF8.self)) } _: {
            recovered.append(String(decoding: $0.body, as: UTF8.self))
        }
        #expect(history == ["whole", "later"])
        #expect(recovered == ["next"])
    }

    @Test("a region that was never formatted, or whose formatting was cut short, holds no ring")
    func unformatted() {
        let region = TestRegion(byteCount: EventRing.byteCount(for: Self.configuration))
        #expect(EventRing.storedConfiguration(in: UnsafeRawBufferPointer(region.bytes)) == nil)
        _ = ring(in: region, .fresh(startingAt: 5))
        #expect(EventRing.storedConfiguration(in: UnsafeRawBufferPointer(region.bytes)) == Self.configuration)
        region.bytes.storeBytes(of: 0, as: UInt64.self)
        #expect(EventRing.storedConfiguration(in: UnsafeRawBufferPointer(region.bytes)) == nil)
        #expect(EventRing.byteCount(for: Self.configuration) == 256 + 8 * 16 + (8 + 4 - 1) * 64)
    }
}
