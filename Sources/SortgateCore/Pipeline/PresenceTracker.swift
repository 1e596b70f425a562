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
/// so replaying the same reads always gives the same facts. Absences are found through a
/// min-heap of deadlines holding one entry per present EPC: a popped deadline whose EPC was read
/// since is pushed again with its new deadline, so the heap costs O(log n) per EPC per
/// `absentAfter`, not per read. Entries whose row changed are queued once in a dirty list for
/// the next `drainChanges`, so sink writes scale with changes, not with reads.
public struct PresenceTracker: Sendable {
    /// One EPC's state.
    struct Entry: Sendable {
        var zone: ZoneID
        var present: Bool
        var dirty: Bool
        var firstSeen: EventTime
        var zoneSince: EventTime
        var lastSeen: EventTime
        var reads: UInt64
    }

    struct Deadline: Comparable, Sendable {
        var due: EventTime
        var epc: EPC
        static func < (a: Deadline, b: Deadline) -> Bool { a.due < b.due }
        static func == (a: Deadline, b: Deadline) -> Bool { a.due == b.due && a.epc == b.epc }
    }

    public let absentAfter: Duration
    private var entries: [EPC: Entry] = [:]
    private var deadlines = Heap<Deadline>()
    private var dirty: [EPC] = []
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast

    public init(absentAfter: Duration) {
        self.absentAfter = absentAfter
    }

    /// Number of EPCs ever seen (present or departed).
    public var count: Int { entries.count }

    /// Number of EPCs currently present.
    public private(set) var presentCount = 0

    /// Moves the clock forward to `time` (never backwards) and appends the departures now due.
    public mutating func advance(to time: EventTime, into movements: inout [Movement]) {
        if time > clock { clock = time }
        while let next = deadlines.min, next.due < clock {
            _ = deadlines.popMin()
            guard var entry = entries[next.epc], entry.present else { continue }
            let due = entry.lastSeen + absentAfter
            if due < clock {
                entry.present = false
                presentCount -= 1
                markDirty(&entry, next.epc)
                entries[next.epc] = entry
                movements.append(
                    Movement(epc: next.epc, kind: .departure, from: entry.zone, to: nil, at: entry.lastSeen)
                )
            } else {
                deadlines.insert(Deadline(due: due, epc: next.epc))
            }
        }
    }

    /// Applies one read of `epc` at `time` in `zone`, counting `reads` tag reads, and appends the
    /// movements it causes (departures now due first, then this EPC's arrival or move).
    public mutating func observe(
        epc: EPC,
        zone: ZoneID,
        at time: EventTime,
        reads: UInt32,
        into movements: inout [Movement]
    ) {
        advance(to: time, into: &movements)
        guard var entry = entries[epc] else {
            let entry = Entry(
                zone: zone,
                present: true,
                dirty: true,
                firstSeen: time,
                zoneSince: time,
                lastSeen: time,
                reads: UInt64(reads)
            )
            entries[epc] = entry
            dirty.append(epc)
            presentCount += 1
            deadlines.insert(Deadline(due: time + absentAfter, epc: epc))
            movements.append(Movement(epc: epc, kind: .arrival, from: nil, to: zone, at: time))
            return
        }
        entry.reads &+= UInt64(reads)
        if !entry.present {
            entry.present = true
            presentCount += 1
            entry.zone = zone
            entry.zoneSince = time
            entry.lastSeen = time
            deadlines.insert(Deadline(due: time + absentAfter, epc: epc))
            movements.append(Movement(epc: epc, kind: .arrival, from: nil, to: zone, at: time))
        } else if entry.zone != zone {
            if time >= entry.lastSeen {
                movements.append(Movement(epc: epc, kind: .move, from: entry.zone, to: zone, at: time))
                entry.zone = zone
                entry.zoneSince = time
                entry.lastSeen = time
            }
        } else if time > entry.lastSeen {
            entry.lastSeen = time
        }
        markDirty(&entry, epc)
        entries[epc] = entry
    }

    private mutating func markDirty(_ entry: inout Entry, _ epc: EPC) {
        if !entry.dirty {
            entry.dirty = true
            dirty.append(epc)
        }
    }

    /// Restores one EPC's state (from the database, when a gateway restarts). The entry is not
    /// marked changed; a present EPC gets its absence deadline, and the clock moves to its last
    /// read, so the first event after a long stop makes the EPCs not read since depart, dated
    /// their last read.
    public mutating func restore(_ row: InventoryEntry) {
        let present = row.status == .present
        if let old = entries[row.epc], old.present { presentCount -= 1 }
        entries[row.epc] = Entry(
            zone: row.zone,
            present: present,
            dirty: false,
            firstSeen: row.firstSeen,
            zoneSince: row.zoneSince,
            lastSeen: row.lastSeen,
            reads: row.reads
        )
        if present {
            presentCount += 1
            deadlines.insert(Deadline(due: row.lastSeen + absentAfter, epc: row.epc))
        }
        if row.lastSeen > clock { clock = row.lastSeen }
    }

    /// Hands every entry whose row changed since the last call to `body`, and forgets the changes.
    public mutating func drainChanges(_ body: (InventoryEntry) -> Void) {
        for epc in dirty {
            guard var entry = entries[epc] else { continue }
            entry.dirty = false
            entries[epc] = entry
            body(inventoryEntry(epc, entry))
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// The current row of `epc`, if it was ever seen.
    public func entry(for epc: EPC) -> InventoryEntry? {
        entries[epc].map { inventoryEntry(epc, $0) }
    }

    private func inventoryEntry(_ epc: EPC, _ entry: Entry) -> InventoryEntry {
        InventoryEntry(
            epc: epc,
            zone: entry.zone,
            status: entry.present ? .present : .departed,
            firstSeen: entry.firstSeen,
            zoneSince: entry.zoneSince,
            lastSeen: entry.lastSeen,
            reads: entry.reads
        )
    }
}
