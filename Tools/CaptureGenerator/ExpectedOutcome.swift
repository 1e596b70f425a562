import SortgateCore

/// The outcome the pipeline's contract prescribes for the capture, computed from the
/// generator's own model of the messages: never from sortgate's pipeline, which it checks.
struct ExpectedOutcome {
    struct Movement: Equatable {
        var tag: Int
        var kind: MovementKind
        var from: String?
        var to: String?
        var at: Int64
    }

    struct Entry: Equatable {
        var tag: Int
        var zone: String
        var status: PresenceStatus
        var firstSeen: Int64
        var zoneSince: Int64
        var lastSeen: Int64
        var reads: Int
    }

    var messages = 0
    /// Tag events decoded from accepted messages, one per event, redeliveries excluded.
    var tagReads = 0
    var redelivered = 0
    var ignoredEvents = 0
    var rejected: [RejectReason: Int] = [:]
    /// Sorted by time, then EPC.
    var movements: [Movement] = []
    /// Sorted by EPC.
    var inventory: [Entry] = []
    /// The largest event time of the capture: where replay's clock stops.
    var lastEventTime: Int64 = .min

    /// Computes the outcome, and proves it does not depend on details the contract leaves open.
    ///
    /// The smoothing runs four times: in arrival order and in event-time order, with a clock
    /// advanced by tag reads only and by every timestamped accepted message (heartbeats,
    /// reader status). The scenario is built so that all four agree; if a seed ever produced
    /// an outcome that depended on them, generation stops instead of writing an ambiguous file.
    init(messages: [CaptureMessage], tags: [ScenarioTag], absentAfter: Int64) {
        self.messages = messages.count
        for message in messages {
            switch message.effect {
            case .reads(let reads):
                tagReads += reads.count
                lastEventTime = max(lastEventTime, reads.map(\.time).max() ?? .min)
            case .ignored: ignoredEvents += 1
            case .rejected(let reason): rejected[reason, default: 0] += 1
            case .redelivery: redelivered += 1
            }
        }

        var outcomes: [([Movement], [Entry])] = []
        for inEventTimeOrder in [false, true] {
            for clockFromAllEvents in [false, true] {
                var model = SmoothingModel(tagCount: tags.count, absentAfter: absentAfter)
                model.run(messages, inEventTimeOrder: inEventTimeOrder, clockFromAllEvents: clockFromAllEvents)
                outcomes.append(model.sortedResult(tags: tags))
            }
        }
        precondition(
            outcomes.allSatisfy { $0.0 == outcomes[0].0 && $0.1 == outcomes[0].1 },
            "the outcome depends on processing order or on what advances the clock; choose another seed"
        )
        (movements, inventory) = outcomes[0]

        // No departure deadline may sit near the end of the capture, where a few milliseconds
        // or a `>` read as `≥` would decide whether it is emitted.
        let margin: Int64 = 3_000_000_000
        for entry in inventory {
            let deadline = entry.lastSeen + absentAfter
            switch entry.status {
            case .present:
                precondition(deadline > lastEventTime + margin, "a present tag's deadline is too close to the end")
            case .departed: precondition(deadline < lastEventTime - margin, "a departure is too close to the end")
            }
        }
    }
}

/// The contract's smoothing, written as plainly as possible: one state per EPC, departures
/// swept whenever the clock moves.
private struct SmoothingModel {
    private var entries: [ExpectedOutcome.Entry?]
    private var movements: [ExpectedOutcome.Movement] = []
    private var clock = Int64.min
    private let absentAfter: Int64

    init(tagCount: Int, absentAfter: Int64) {
        entries = Array(repeating: nil, count: tagCount)
        self.absentAfter = absentAfter
    }

    mutating func run(_ messages: [CaptureMessage], inEventTimeOrder: Bool, clockFromAllEvents: Bool) {
        // (time, read or nil for a clock-only event), in the order the pipeline would see them.
        var events: [(time: Int64, read: ReadEvent?)] = []
        for message in messages {
            switch message.effect {
            case .reads(let reads): events += reads.map { ($0.time, $0) }
            case .ignored(let time) where clockFromAllEvents: events.append((time, nil))
            case .ignored, .rejected, .redelivery: break
            }
        }
        if inEventTimeOrder {
            events = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
                .map(\.element)
        }
        for event in events {
            advance(to: event.time)
            if let read = event.read { apply(read) }
        }
    }

    /// The clock is the largest event time seen; a present EPC departs once the clock is
    /// strictly past its last read plus `absent_after`, and the departure is dated at that last read.
    private mutating func advance(to time: Int64) {
        guard time > clock else { return }
        clock = time
        for index in entries.indices {
            guard let entry = entries[index], entry.status == .present, entry.lastSeen + absentAfter < clock else {
                continue
            }
            entries[index]?.status = .departed
            movements.append(.init(tag: index, kind: .departure, from: entry.zone, to: nil, at: entry.lastSeen))
        }
    }

    private mutating func apply(_ read: ReadEvent) {
        guard let zone = DemoSite.readers[read.reader].zone(ofAntenna: read.antenna) else {
            preconditionFailure("antenna \(read.antenna) of \(DemoSite.readers[read.reader].id) has no read point")
        }
        guard var entry = entries[read.tag] else {
            entries[read.tag] = .init(
                tag: read.tag,
                zone: zone,
                status: .present,
                firstSeen: read.time,
                zoneSince: read.time,
                lastSeen: read.time,
                reads: read.count
            )
            movements.append(.init(tag: read.tag, kind: .arrival, from: nil, to: zone, at: read.time))
            return
        }
        switch entry.status {
        case .departed:
            movements.append(.init(tag: read.tag, kind: .arrival, from: nil, to: zone, at: read.time))
            entry.status = .present
            entry.zone = zone
            entry.zoneSince = read.time
            entry.lastSeen = read.time
        case .present:
            // The scenario never lets a tag's reads go back in time, so the contract's
            // "read time ≥ last read time" condition for a move always holds.
            precondition(read.time >= entry.lastSeen, "a tag's reads went back in time")
            if zone != entry.zone {
                movements.append(.init(tag: read.tag, kind: .move, from: entry.zone, to: zone, at: read.time))
                entry.zone = zone
                entry.zoneSince = read.time
            }
            entry.lastSeen = read.time
        }
        entry.reads += read.count
        entries[read.tag] = entry
    }

    func sortedResult(tags: [ScenarioTag]) -> ([ExpectedOutcome.Movement], [ExpectedOutcome.Entry]) {
        let rank: [MovementKind: Int] = [.arrival: 0, .move: 1, .departure: 2]
        let sortedMovements = movements.sorted {
            ($0.at, tags[$0.tag].epc.hex, rank[$0.kind]!) < ($1.at, tags[$1.tag].epc.hex, rank[$1.kind]!)
        }
        let sortedEntries = entries.compactMap { $0 }.sorted { tags[$0.tag].epc.hex < tags[$1.tag].epc.hex }
        return (sortedMovements, sortedEntries)
    }
}
