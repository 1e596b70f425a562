import DequeModule
import HeapModule

/// ALE-style smoothing of raw tag reads into arrivals, moves and departures, one state machine
/// per EPC, on event time.
///
/// Per EPC the states are *unknown → present(zone) → departed(last zone)*:
/// - a read of an unknown or departed EPC is an **arrival** in the read's zone;
/// - a read of a present EPC in another zone, not older than its last read, is a **move**
///   (an older read from another zone is a straggler from a slow reader: it is counted but
///   does not move the tag back);
/// - a present EPC not read for `absentAfter` **departs** as soon as the clock passes
///   `lastSeen + absentAfter`; the departure's time is `lastSeen`, not when it was noticed;
/// - other reads only refresh `lastSeen` and `reads`.
///
/// The clock is the largest event time seen (or given to `advance(to:)`), never the wall clock,
/// so replaying the same reads always gives the same facts.
///
/// **Costs.** The state lives in an ``EPCTable`` (open addressing, dense slots): a read costs
/// one hash of the EPC, about one and a half bucket probes and an in-place update, and no heap
/// allocation once the arrays have grown. Absences are found through a min-heap of deadlines
/// holding at most one entry per present EPC: a popped deadline whose EPC was read since is
/// pushed again with its new deadline, so the heap costs O(log n) per EPC per `absentAfter`,
/// not per read.
///
/// **Changed rows.** A row whose *facts* changed (arrival, move, departure) is queued for the
/// next `drainChanges`; a row whose only change is a newer `lastSeen` / more `reads` (the
/// common case: a tag sitting in reach of a reader) is queued on a second list that is drained
/// only when the caller asks (`includingRefreshes`), which the pipeline does every
/// `lastSeenFlush` of event time. So sink writes scale with facts, not with reads.
///
/// **Bounded memory.** At most `capacity` EPCs are held. When a new EPC arrives at a full
/// tracker, the EPC that departed longest ago (and whose row was written) is forgotten; when
/// every held EPC is present, the new EPC is refused and counted in `refusedReads` (raise
/// `dedup.max_tags`). Memory per EPC is `EPCTable`'s cost per key; the README's benchmark section
/// has the figure measured with 1 M tags.
public struct PresenceTracker: Sendable {
    /// One EPC's state.
    struct Entry: Sendable {
        var firstSeen: EventTime
        var zoneSince: EventTime
        var lastSeen: EventTime
        var reads: UInt64
        var zone: ZoneID
        var flags: Flags
    }

    struct Flags: OptionSet, Sendable {
        var rawValue: UInt8
        static let present = Flags(rawValue: 1)
        /// The row has changes not yet handed to `drainChanges`.
        static let unwritten = Flags(rawValue: 2)
        static let inFactList = Flags(rawValue: 4)
        static let inRefreshList = Flags(rawValue: 8)
        /// The heap holds a deadline for this slot.
        static let deadlineQueued = Flags(rawValue: 16)
    }

    struct Deadline: Comparable, Sendable {
        var due: Int64
        var slot: UInt32
        static func < (a: Deadline, b: Deadline) -> Bool { a.due < b.due }
    }

    /// The default bound on EPCs held (config `dedup.max_tags`).
    public static let defaultCapacity = 2_000_000

    public let absentAfter: Duration
    /// The most EPCs held at once.
    public let capacity: Int
    private let absentNanoseconds: Int64
    private var table = EPCTable<Entry>()
    private var deadlines = Heap<Deadline>()
    private var factChanges: [UInt32] = []
    private var refreshes: [UInt32] = []
    /// Slots in order of departure, with the departure's `lastSeen`, for forgetting the oldest.
    private var departed = Deque<(slot: UInt32, lastSeen: Int64)>()
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast

    /// Reads of new EPCs refused because the tracker was full of present EPCs.
    public private(set) var refusedReads: UInt64 = 0
    /// Departed EPCs forgotten to make room for new ones.
    public private(set) var forgotten: UInt64 = 0

    public init(absentAfter: Duration, capacity: Int = PresenceTracker.defaultCapacity) {
        precondition(capacity > 0, "the tracker must hold at least one EPC")
        self.absentAfter = absentAfter
        self.capacity = capacity
        self.absentNanoseconds = absentAfter.nanosecondsClamped
    }

    /// Number of EPCs held (present or departed).
    public var count: Int { table.count }

    /// Number of EPCs currently present.
    public private(set) var presentCount = 0

    /// Moves the clock forward to `time` (never backwards) and appends the departures now due.
    public mutating func advance(to time: EventTime, into movements: inout [Movement]) {
        if time > clock { clock = time }
        let now = clock.nanoseconds
        while let next = deadlines.min, next.due < now {
            _ = deadlines.popMin()
            let slot = Int(next.slot)
            table[slot: slot].flags.remove(.deadlineQueued)
            let entry = table[slot: slot]
            guard entry.flags.contains(.present) else { continue }
            let due = entry.lastSeen.nanoseconds &+ absentNanoseconds
            if due < now {
                table[slot: slot].flags.remove(.present)
                presentCount -= 1
                markFactChange(slot)
                departed.append((next.slot, entry.lastSeen.nanoseconds))
                movements.append(
                    Movement(epc: table.key(at: slot), kind: .departure, from: entry.zone, to: nil, at: entry.lastSeen)
                )
            } else {
                queueDeadline(slot, due: due)
            }
        }
    }

    /// Applies one read of `epc` at `time` in `zone`, counting `reads` tag reads, and appends the
    /// movements it causes (departures now due first, then this EPC's arrival or move).
    ///
    /// `admit` is asked about an EPC the tracker does not hold, before it arrives (the pipeline
    /// validates EPCs there, once per EPC rather than once per read); an EPC it refuses changes
    /// nothing. Returns false when the read was refused (by `admit`, or because the tracker is
    /// full).
    @discardableResult
    public mutating func observe(
        epc: EPC,
        zone: ZoneID,
        at time: EventTime,
        reads: UInt32,
        into movements: inout [Movement],
        admit: (EPC) -> Bool = { _ in true }
    ) -> Bool {
        // A refused EPC must not move the clock: look it up first (departures never free slots).
        let held = table.slot(of: epc)
        if held == nil, !admit(epc) { return false }
        // As `advance(to:)`, without its call when no deadline is due (almost every read).
        if time > clock { clock = time }
        if let next = deadlines.min, next.due < clock.nanoseconds { advance(to: time, into: &movements) }
        guard let slot = held else {
            return arrive(epc, zone: zone, at: time, reads: reads, into: &movements)
        }
        // The common case first: a present EPC read again in its zone.
        let flags = table[slot: slot].flags
        if flags.contains(.present), table[slot: slot].zone == zone {
            table[slot: slot].reads &+= UInt64(reads)
            if time > table[slot: slot].lastSeen { table[slot: slot].lastSeen = time }
            markRefresh(slot, flags)
            return true
        }
        table[slot: slot].reads &+= UInt64(reads)
        if !flags.contains(.present) {
            table[slot: slot].flags.insert(.present)
            presentCount += 1
            table[slot: slot].zone = zone
            table[slot: slot].zoneSince = time
            table[slot: slot].lastSeen = time
            if !flags.contains(.deadlineQueued) { queueDeadline(slot, due: time.nanoseconds &+ absentNanoseconds) }
            markFactChange(slot)
            movements.append(Movement(epc: epc, kind: .arrival, from: nil, to: zone, at: time))
        } else if time >= table[slot: slot].lastSeen {
            movements.append(Movement(epc: epc, kind: .move, from: table[slot: slot].zone, to: zone, at: time))
            table[slot: slot].zone = zone
            table[slot: slot].zoneSince = time
            table[slot: slot].lastSeen = time
            markFactChange(slot)
        } else {
            // A straggler from another zone: counted, does not move the tag back.
            markRefresh(slot, flags)
        }
        return true
    }

    private mutating func arrive(
        _ epc: EPC,
        zone: ZoneID,
        at time: EventTime,
        reads: UInt32,
        into movements: inout [Movement]
    ) -> Bool {
        guard makeRoom() else {
            refusedReads &+= 1
            return false
        }
        let slot = table.insert(
            epc,
            Entry(firstSeen: time, zoneSince: time, lastSeen: time, reads: UInt64(reads), zone: zone, flags: .present)
        )
        presentCount += 1
        queueDeadline(slot, due: time.nanoseconds &+ absentNanoseconds)
        markFactChange(slot)
        movements.append(Movement(epc: epc, kind: .arrival, from: nil, to: zone, at: time))
        return true
    }

    /// Frees a slot when the tracker is full by forgetting the EPC that departed longest ago.
    /// False when every held EPC is present (or departed with its row not written yet).
    private mutating func makeRoom() -> Bool {
        while table.count >= capacity {
            guard let (slot, lastSeen) = departed.first else { return false }
            let entry = table[slot: Int(slot)]
            let stillThatDeparture = !entry.flags.contains(.present) && entry.lastSeen.nanoseconds == lastSeen
            if stillThatDeparture && entry.flags.contains(.unwritten) { return false }
            departed.removeFirst()
            if stillThatDeparture {
                table.remove(slot: Int(slot))
                forgotten &+= 1
            }
        }
        return true
    }

    private mutating func queueDeadline(_ slot: Int, due: Int64) {
        table[slot: slot].flags.insert(.deadlineQueued)
        deadlines.insert(Deadline(due: due, slot: UInt32(truncatingIfNeeded: slot)))
    }

    @inline(__always)
    private mutating func markFactChange(_ slot: Int) {
        let flags = table[slot: slot].flags
        if !flags.contains(.inFactList) {
            factChanges.append(UInt32(truncatingIfNeeded: slot))
            table[slot: slot].flags = flags.union([.inFactList, .unwritten])
        } else {
            table[slot: slot].flags.insert(.unwritten)
        }
    }

    @inline(__always)
    private mutating func markRefresh(_ slot: Int, _ flags: Flags) {
        if flags.contains(.unwritten) { return }
        var updated = flags
        updated.insert(.unwritten)
        if !flags.contains(.inFactList) && !flags.contains(.inRefreshList) {
            refreshes.append(UInt32(truncatingIfNeeded: slot))
            updated.insert(.inRefreshList)
        }
        table[slot: slot].flags = updated
    }

    /// Restores one EPC's state (from the database, when a gateway restarts). The entry is not
    /// marked changed; a present EPC gets its absence deadline, and the clock moves to its last
    /// read, so the first event after a long stop makes the EPCs not read since depart, dated
    /// their last read. Rows beyond `capacity` are skipped (departed ones are restored first to
    /// be forgotten first, so pass present rows last).
    public mutating func restore(_ row: InventoryEntry) {
        let present = row.status == .present
        var entry = Entry(
            firstSeen: row.firstSeen,
            zoneSince: row.zoneSince,
            lastSeen: row.lastSeen,
            reads: row.reads,
            zone: row.zone,
            flags: present ? .present : []
        )
        let slot: Int
        if let existing = table.slot(of: row.epc) {
            let old = table[slot: existing]
            if old.flags.contains(.present) { presentCount -= 1 }
            entry.flags.formUnion(old.flags.intersection([.inFactList, .inRefreshList, .deadlineQueued]))
            table[slot: existing] = entry
            slot = existing
        } else {
            guard makeRoom() else { return }
            slot = table.insert(row.epc, entry)
        }
        if present {
            presentCount += 1
            if !entry.flags.contains(.deadlineQueued) {
                queueDeadline(slot, due: row.lastSeen.nanoseconds &+ absentNanoseconds)
            }
        } else {
            departed.append((UInt32(truncatingIfNeeded: slot), row.lastSeen.nanoseconds))
        }
        if row.lastSeen > clock { clock = row.lastSeen }
    }

    /// Hands every row whose facts changed since the last call to `body` — and, when
    /// `includingRefreshes`, every row whose `lastSeen` or `reads` changed too — and forgets
    /// those changes.
    public mutating func drainChanges(includingRefreshes: Bool = true, _ body: (InventoryEntry) -> Void) {
        for slot in factChanges {
            let index = Int(slot)
            let entry = table[slot: index]
            table[slot: index].flags.subtract([.inFactList, .unwritten])
            if entry.flags.contains(.unwritten) { body(inventoryEntry(table.key(at: index), entry)) }
        }
        factChanges.removeAll(keepingCapacity: true)
        guard includingRefreshes else { return }
        for slot in refreshes {
            let index = Int(slot)
            let entry = table[slot: index]
            table[slot: index].flags.subtract([.inRefreshList, .unwritten])
            if entry.flags.contains(.unwritten) { body(inventoryEntry(table.key(at: index), entry)) }
        }
        refreshes.removeAll(keepingCapacity: true)
    }

    /// The current row of `epc`, if it is held.
    public func entry(for epc: EPC) -> InventoryEntry? {
        table.slot(of: epc).map { inventoryEntry(epc, table[slot: $0]) }
    }

    private func inventoryEntry(_ epc: EPC, _ entry: Entry) -> InventoryEntry {
        InventoryEntry(
            epc: epc,
            zone: entry.zone,
            status: entry.flags.contains(.present) ? .present : .departed,
            firstSeen: entry.firstSeen,
            zoneSince: entry.zoneSince,
            lastSeen: entry.lastSeen,
            reads: entry.reads
        )
    }
}
