import Testing

@testable import SortgateCore

@Suite("PresenceTracker")
struct PresenceTrackerTests {
    let dock = ZoneID(0)
    let chute = ZoneID(1)
    let epc = try! EPC(hex: "3074257BF7194E4000001A85")
    let other = try! EPC(hex: "E2C451A3A5011FA00F354693")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    @Test("First read is an arrival; repeated reads only refresh last_seen and reads")
    func arrivalThenRefresh() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: dock, at: t(2), reads: 3, into: &out)
        tracker.observe(epc: epc, zone: dock, at: t(1), reads: 1, into: &out)
        #expect(out == [Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: t(0))])
        let entry = tracker.entry(for: epc)
        #expect(
            entry
                == InventoryEntry(
                    epc: epc,
                    zone: dock,
                    status: .present,
                    firstSeen: t(0),
                    zoneSince: t(0),
                    lastSeen: t(2),
                    reads: 5
                )
        )
    }

    @Test("A read in another zone is a move; an older straggler from the old zone does not move it back")
    func moveAndStraggler() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: chute, at: t(10), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: dock, at: t(9), reads: 1, into: &out)
        #expect(
            out == [
                Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: t(0)),
                Movement(epc: epc, kind: .move, from: dock, to: chute, at: t(10)),
            ]
        )
        #expect(tracker.entry(for: epc)?.zone == chute)
        #expect(tracker.entry(for: epc)?.zoneSince == t(10))
        #expect(tracker.entry(for: epc)?.reads == 3)
    }

    @Test("Departure is emitted once the clock passes last_seen + absent_after, dated last_seen")
    func departure() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: dock, at: t(5), reads: 1, into: &out)
        tracker.observe(epc: other, zone: chute, at: t(35), reads: 1, into: &out)
        #expect(out.count == 2, "exactly at last_seen + absent_after it has not departed yet")
        tracker.advance(to: t(35) + .nanoseconds(1), into: &out)
        #expect(out.last == Movement(epc: epc, kind: .departure, from: dock, to: nil, at: t(5)))
        #expect(tracker.entry(for: epc)?.status == .departed)
        #expect(tracker.entry(for: epc)?.zone == dock)
        #expect(tracker.presentCount == 1)
        tracker.advance(to: t(1000), into: &out)
        #expect(out.filter { $0.kind == .departure }.count == 2)
    }

    @Test("A departed EPC read again arrives again, and the clock never goes back")
    func reArrival() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: chute, at: t(100), reads: 1, into: &out)
        tracker.advance(to: t(50), into: &out)
        #expect(tracker.clock == t(100))
        #expect(
            out == [
                Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: t(0)),
                Movement(epc: epc, kind: .departure, from: dock, to: nil, at: t(0)),
                Movement(epc: epc, kind: .arrival, from: nil, to: chute, at: t(100)),
            ]
        )
        let entry = tracker.entry(for: epc)
        #expect(entry?.firstSeen == t(0))
        #expect(entry?.zoneSince == t(100))
        #expect(entry?.reads == 2)
    }

    @Test("A read that keeps an EPC present pushes its deadline back")
    func deadlineRefresh() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        for second in stride(from: Int64(0), through: 300, by: 20) {
            tracker.observe(epc: epc, zone: dock, at: t(second), reads: 1, into: &out)
        }
        #expect(out.count == 1)
        tracker.advance(to: t(331), into: &out)
        #expect(out.last == Movement(epc: epc, kind: .departure, from: dock, to: nil, at: t(300)))
    }

    @Test("drainChanges hands each changed EPC once, then nothing until it changes again")
    func dirtyTracking() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc, zone: dock, at: t(1), reads: 1, into: &out)
        tracker.observe(epc: other, zone: dock, at: t(1), reads: 1, into: &out)
        var changed: [InventoryEntry] = []
        tracker.drainChanges { changed.append($0) }
        #expect(changed.map(\.epc) == [epc, other])
        #expect(changed.map(\.reads) == [2, 1])
        changed = []
        tracker.drainChanges { changed.append($0) }
        #expect(changed.isEmpty)
        tracker.observe(epc: other, zone: chute, at: t(2), reads: 1, into: &out)
        tracker.drainChanges { changed.append($0) }
        #expect(changed.map(\.epc) == [other])
        #expect(changed.first?.zone == chute)
    }
}

@Suite("PresenceTracker restore")
struct PresenceTrackerRestoreTests {
    let dock = ZoneID(0)
    let chute = ZoneID(1)
    let epc = try! EPC(hex: "3074257BF7194E4000001A85")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    @Test("A restored present EPC read again in its zone is no new arrival, and its reads carry on")
    func continues() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        tracker.restore(
            InventoryEntry(
                epc: epc,
                zone: dock,
                status: .present,
                firstSeen: t(0),
                zoneSince: t(0),
                lastSeen: t(10),
                reads: 7
            )
        )
        #expect(tracker.clock == t(10))
        #expect(tracker.presentCount == 1)
        var out: [Movement] = []
        tracker.observe(epc: epc, zone: dock, at: t(20), reads: 1, into: &out)
        #expect(out.isEmpty)
        #expect(tracker.entry(for: epc)?.reads == 8)
        tracker.observe(epc: epc, zone: chute, at: t(25), reads: 1, into: &out)
        #expect(out == [Movement(epc: epc, kind: .move, from: dock, to: chute, at: t(25))])
    }

    @Test("After a long stop, the first event departs what was not read since, dated its last read")
    func departsAfterLongStop() {
        var tracker = PresenceTracker(absentAfter: .seconds(30))
        tracker.restore(
            InventoryEntry(
                epc: epc,
                zone: dock,
                status: .present,
                firstSeen: t(0),
                zoneSince: t(0),
                lastSeen: t(10),
                reads: 7
            )
        )
        var out: [Movement] = []
        tracker.advance(to: t(3600), into: &out)
        #expect(out == [Movement(epc: epc, kind: .departure, from: dock, to: nil, at: t(10))])
        #expect(tracker.presentCount == 0)
    }
}

@Suite("PresenceTracker capacity")
struct PresenceTrackerCapacityTests {
    let dock = ZoneID(0)

    func epc(_ serial: Int) -> EPC { EPC(w0: 0x3034_257B_F719_4E40, w1: UInt64(serial) << 32, bitCount: 96) }
    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    @Test("A full tracker forgets the EPC that departed longest ago (once its row was written)")
    func forgetsOldestDeparted() {
        var tracker = PresenceTracker(absentAfter: .seconds(10), capacity: 3)
        var out: [Movement] = []
        tracker.observe(epc: epc(1), zone: dock, at: t(0), reads: 1, into: &out)
        tracker.observe(epc: epc(2), zone: dock, at: t(1), reads: 1, into: &out)
        tracker.observe(epc: epc(3), zone: dock, at: t(30), reads: 1, into: &out)  // 1 and 2 depart
        #expect(out.filter { $0.kind == .departure }.map(\.epc) == [epc(1), epc(2)])
        // Their departure rows are not written yet: nothing may be forgotten, the new EPC is refused.
        tracker.observe(epc: epc(4), zone: dock, at: t(31), reads: 1, into: &out)
        #expect(tracker.refusedReads == 1)
        #expect(tracker.entry(for: epc(4)) == nil)
        var written: [EPC] = []
        tracker.drainChanges { written.append($0.epc) }
        #expect(Set(written) == [epc(1), epc(2), epc(3)])
        // Now EPC 1 (departed first) is forgotten for EPC 4; EPC 2 stays.
        tracker.observe(epc: epc(4), zone: dock, at: t(32), reads: 1, into: &out)
        #expect(tracker.forgotten == 1)
        #expect(tracker.count == 3)
        #expect(tracker.entry(for: epc(1)) == nil)
        #expect(tracker.entry(for: epc(2))?.status == .departed)
        #expect(tracker.entry(for: epc(4))?.status == .present)
        // A forgotten EPC read again is a new arrival (EPC 2 makes room for it).
        tracker.observe(epc: epc(1), zone: dock, at: t(33), reads: 1, into: &out)
        #expect(out.last == Movement(epc: epc(1), kind: .arrival, from: nil, to: dock, at: t(33)))
        #expect(tracker.entry(for: epc(1))?.firstSeen == t(33))
        #expect(tracker.entry(for: epc(2)) == nil)
        #expect(tracker.forgotten == 2)
    }

    @Test("A tracker full of present EPCs refuses new ones and counts the refused reads")
    func refusesWhenAllPresent() {
        var tracker = PresenceTracker(absentAfter: .seconds(60), capacity: 2)
        var out: [Movement] = []
        for serial in 0..<5 {
            tracker.observe(epc: epc(serial), zone: dock, at: t(Int64(serial)), reads: 1, into: &out)
        }
        #expect(tracker.count == 2)
        #expect(tracker.presentCount == 2)
        #expect(tracker.refusedReads == 3)
        #expect(out.map(\.epc) == [epc(0), epc(1)])
        // Reads of held EPCs go on as usual.
        tracker.observe(epc: epc(1), zone: dock, at: t(9), reads: 2, into: &out)
        #expect(tracker.entry(for: epc(1))?.reads == 3)
    }
}
