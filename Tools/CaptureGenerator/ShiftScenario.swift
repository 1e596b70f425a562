import SortgateCore

/// The kinds of tagged things on the demo shift; each takes its own route through the site.
enum TagKind {
    /// A parcel with an SGTIN-96 item tag: dock-in → induction → chute → dock-out.
    case parcel
    /// A returnable tote (GRAI-96): the parcel route; some come back empty later in the shift.
    case tote
    /// A pallet (SSCC-96): cross-docked dock-in → dock-out, or put away from dock-in.
    case pallet
    /// A roll cage (GIAI-96): wheeled from dock-in to a chute, filled there, then loaded.
    case rollCage
    /// A parcel whose tag still carries its factory-default `E280…` EPC (scheme `raw`).
    case foreignChip
}

/// A stay of one tag in one zone, in nanoseconds since the Unix epoch.
struct Visit {
    var zone: String
    var start: Int64
    var end: Int64
}

/// One tag read as a reader reports it.
struct ReadEvent {
    /// Index into `ShiftScenario.tags`.
    var tag: Int
    /// Index into `DemoSite.readers`.
    var reader: Int
    var antenna: Int
    /// The reader's timestamp in nanoseconds since the Unix epoch (whole milliseconds for Zebra).
    var time: Int64
    /// Zebra's `reads` (reads aggregated into this report); 1 for Impinj.
    var count: Int
}

struct ScenarioTag {
    var epc: GeneratedEPC
    var visits: [Visit]
}

/// What happens on the shift, before any of it is written as device messages.
struct ShiftScenario {
    var start: Int64
    var tags: [ScenarioTag]
    /// Every read, grouped by tag.
    var reads: [ReadEvent]
    /// The largest read time: where replay stops.
    var lastReadTime: Int64
}

private let second: Int64 = 1_000_000_000

/// Plans the shift: who arrives when, which route each tag takes, and the reads that result.
///
/// The plan keeps movements unambiguous under the pipeline's smoothing: within a zone a tag
/// is read every 1–3 s and the walk between zones takes 2–12 s, both far below `absent_after`;
/// a tote that comes back does so more than twice `absent_after` after it left; and no tag's
/// departure deadline falls within a few seconds of the capture's last event.
struct ShiftPlanner {
    /// The simulated shift length: 15 minutes.
    static let length: Int64 = 900 * second

    var random: SplitMix64
    let start: Int64
    let absentAfter: Int64
    var end: Int64 { start + ShiftPlanner.length }

    init(random: SplitMix64, start: Int64, absentAfter: Int64) {
        self.random = random
        self.start = start
        self.absentAfter = absentAfter
    }

    mutating func makeScenario(tagCount: Int) -> ShiftScenario {
        let population = makePopulation(count: tagCount)
        let plans = makePlans(for: population)
        var tags: [ScenarioTag] = []
        var readsByTag: [[ReadEvent]] = []
        for (index, plan) in plans.enumerated() {
            tags.append(ScenarioTag(epc: population[index].epc, visits: plan))
            var reads: [ReadEvent] = []
            for visit in plan {
                reads += makeReads(tag: index, visit: visit)
            }
            readsByTag.append(reads)
        }
        guard let lastReadTime = readsByTag.joined().map(\.time).max() else {
            preconditionFailure("the scenario has no reads")
        }
        keepDeadlinesAwayFromTheEnd(&readsByTag, tags: tags, lastReadTime: lastReadTime)
        let reads = Array(readsByTag.joined())
        precondition(reads.map(\.time).max() == lastReadTime, "moving deadlines must not move the end of the capture")
        return ShiftScenario(start: start, tags: tags, reads: reads, lastReadTime: lastReadTime)
    }

    // MARK: - Population

    private mutating func makePopulation(count: Int) -> [(kind: TagKind, epc: GeneratedEPC)] {
        let pallets = max(2, count * 8 / 100)
        let totes = max(3, count * 15 / 100)
        let cages = max(2, count * 4 / 100)
        let foreign = max(2, count * 4 / 100)
        let parcels = count - pallets - totes - cages - foreign
        precondition(parcels >= 5, "too few tags for the scenario")

        var seen = Set<EPC>()
        var result: [(kind: TagKind, epc: GeneratedEPC)] = []
        func add(_ kind: TagKind, _ epc: GeneratedEPC) -> Bool {
            guard seen.insert(epc.epc).inserted else { return false }
            result.append((kind, epc))
            return true
        }
        // GS1's documentation prefixes (0614141 from the Tag Data Standard's examples, 4012345 and
        // 5412345 from GS1 Germany and Belgium samples), all 7 digits: partition 5 everywhere.
        let products = [
            ("0614141", "812345"), ("0614141", "100734"), ("4012345", "012345"),
            ("4012345", "054321"), ("5412345", "077889"),
        ]
        var made = 0
        while made < parcels {
            let (prefix, item) = random.element(of: products)
            let serial = 10_000_000 + random.below(990_000_000)
            let epc = GS1Encoder.sgtin96(filter: 1, companyPrefix: prefix, itemReference: item, serial: serial)
            if add(.parcel, epc) { made += 1 }
        }
        made = 0
        while made < totes {
            let serial = 1_000 + random.below(99_000)
            let epc = GS1Encoder.grai96(filter: 0, companyPrefix: "4012345", assetType: "00042", serial: serial)
            if add(.tote, epc) { made += 1 }
        }
        made = 0
        while made < pallets {
            let prefix = random.element(of: ["0614141", "4012345"])
            // Extension digit 0, then a 9-digit serial reference.
            let serialReference = "0" + padded(random.below(1_000_000_000), width: 9)
            let epc = GS1Encoder.sscc96(filter: 0, companyPrefix: prefix, serialReference: serialReference)
            if add(.pallet, epc) { made += 1 }
        }
        made = 0
        while made < cages {
            let epc = GS1Encoder.giai96(
                filter: 0,
                companyPrefix: "0614141",
                assetReference: 770_000 + random.below(10_000)
            )
            if add(.rollCage, epc) { made += 1 }
        }
        made = 0
        while made < foreign {
            var hex = "E2801160600002"
            for _ in 0..<10 { hex += String(random.below(16), radix: 16, uppercase: true) }
            if add(.foreignChip, GS1Encoder.raw(hex: hex)) { made += 1 }
        }
        return result
    }

    // MARK: - Routes

    private typealias Leg = (zone: String, dwell: ClosedRange<Double>)

    private mutating func parcelRoute() -> [Leg] {
        [
            ("dock-in-1", 4...12), ("induction-1", 3...7), (random.element(of: DemoSite.chutes), 8...24),
            ("dock-out-1", 4...10),
        ]
    }

    private mutating func makePlans(for population: [(kind: TagKind, epc: GeneratedEPC)]) -> [[Visit]] {
        let count = population.count
        // Trucks dock at these minutes of the shift and are unloaded over about a minute.
        let trucks: [Double] = [5, 140, 290, 450, 610, 740]
        // Late arrivals are spread over the last minute, one per slot, so that the last ones
        // are still on the dock when the shift ends.
        let lateWindow = 850.0...895.0
        var candidates = population.indices.filter { [.parcel, .foreignChip].contains(population[$0].kind) }
        random.shuffle(&candidates)
        let late = Array(candidates.prefix(max(2, count * 4 / 100)))
        let lateSlot = (lateWindow.upperBound - lateWindow.lowerBound) / Double(late.count)
        var lateArrivals: [Int: Double] = [:]
        for (slot, index) in late.enumerated() {
            lateArrivals[index] = lateWindow.lowerBound + lateSlot * (Double(slot) + Double(random.below(1000)) / 1000)
        }

        var arrivals: [Int64] = []
        for index in population.indices {
            let seconds: Double
            if let late = lateArrivals[index] {
                seconds = late
            } else {
                // Pallets come off the truck first.
                let window = population[index].kind == .pallet ? 20.0 : 70.0
                seconds = random.element(of: trucks) + Double(random.below(UInt64(window * 1000))) / 1000
            }
            arrivals.append(start + Int64(seconds * 1e9))
        }

        // Tags that stay behind until the end of the shift: parcels left in a chute, and
        // parcels stuck on the induction belt. Taken from the last trucks, so that they are read
        // for minutes, not for the whole shift.
        var stayers = population.indices.filter {
            [.parcel, .tote].contains(population[$0].kind) && lateArrivals[$0] == nil
                && arrivals[$0] >= start + 600 * second && arrivals[$0] <= start + 790 * second
        }
        random.shuffle(&stayers)
        let chuteStayers = Set(stayers.prefix(max(2, count / 40)))
        let inductionStayers = Set(stayers.dropFirst(chuteStayers.count).prefix(max(1, count / 100)))

        var plans: [[Visit]] = []
        for (index, member) in population.enumerated() {
            let arrival = arrivals[index]
            var visits: [Visit]
            switch member.kind {
            case .parcel, .foreignChip, .tote:
                let stay: Int? = chuteStayers.contains(index) ? 2 : inductionStayers.contains(index) ? 1 : nil
                visits = trip(parcelRoute(), gap: 2...8, from: arrival, stayingAt: stay)
                // About a third of the totes are emptied downstream and come back to dock 1.
                if member.kind == .tote, stay == nil, visits.count == 4, let last = visits.last, last.end < end,
                    random.chance(0.35)
                {
                    let back = last.end + 2 * absentAfter + random.nanoseconds(seconds: 10...90)
                    if back < end - 40 * second {
                        visits += trip(parcelRoute(), gap: 2...8, from: back, stayingAt: nil)
                    }
                }
            case .pallet:
                if random.chance(0.3) {
                    // Put away into storage, where no reader sees it: departs from dock-in.
                    visits = trip([("dock-in-1", 10...40)], gap: 4...12, from: arrival, stayingAt: nil)
                } else {
                    visits = trip(
                        [("dock-in-1", 10...40), ("dock-out-1", 5...15)],
                        gap: 4...12,
                        from: arrival,
                        stayingAt: nil
                    )
                }
            case .rollCage:
                let legs: [Leg] = [
                    ("dock-in-1", 4...10), (random.element(of: DemoSite.chutes), 60...150), ("dock-out-1", 5...12),
                ]
                visits = trip(legs, gap: 3...10, from: arrival, stayingAt: nil)
            }
            plans.append(visits)
        }
        return plans
    }

    /// The visits of one trip along `legs`; `stay` is the leg where the tag remains until the
    /// end of the shift. Everything after the end of the shift is cut off.
    private mutating func trip(_ legs: [Leg], gap: ClosedRange<Double>, from arrival: Int64, stayingAt stay: Int?)
        -> [Visit]
    {
        var visits: [Visit] = []
        var t = arrival
        for (index, leg) in legs.enumerated() {
            guard t < end - second else { break }
            if index == stay {
                visits.append(Visit(zone: leg.zone, start: t, end: end))
                break
            }
            let leave = t + random.nanoseconds(seconds: leg.dwell)
            visits.append(Visit(zone: leg.zone, start: t, end: min(leave, end)))
            t = leave + random.nanoseconds(seconds: gap)
        }
        return visits
    }

    // MARK: - Reads

    /// Reads of one tag during one visit: every 1–3 s, sometimes also by the zone's other
    /// antenna a fraction of a second later. At least two reads per visit, so that a visit's
    /// first and last read never coincide (an arrival and its departure never share `at`).
    private mutating func makeReads(tag: Int, visit: Visit) -> [ReadEvent] {
        let (reader, antennas) = DemoSite.coverage(of: visit.zone)
        var times: [Int64] = []
        var t = visit.start + random.nanoseconds(seconds: 0...0.3)
        while t <= visit.end {
            times.append(t)
            t += random.nanoseconds(seconds: 1...3)
        }
        if times.count == 1, visit.end - times[0] >= second {
            times.append(visit.end)
        }
        var reads: [ReadEvent] = []
        for time in times {
            let antenna = random.element(of: antennas)
            reads.append(makeRead(tag: tag, reader: reader, antenna: antenna, time: time))
            if antennas.count > 1, random.chance(0.15) {
                let other = random.element(of: antennas.filter { $0 != antenna })
                let later = time + random.nanoseconds(seconds: 0.02...0.4)
                if later <= end {
                    reads.append(makeRead(tag: tag, reader: reader, antenna: other, time: later))
                }
            }
        }
        return reads
    }

    private mutating func makeRead(tag: Int, reader: Int, antenna: Int, time: Int64) -> ReadEvent {
        if DemoSite.readers[reader].vendor == .zebra {
            // Zebra timestamps have millisecond resolution; the reader also aggregates reads of
            // the same tag between two reports into `reads`.
            let count = random.element(of: [1, 1, 1, 2, 2, 3, 4, 5])
            return ReadEvent(tag: tag, reader: reader, antenna: antenna, time: time - time % 1_000_000, count: count)
        }
        return ReadEvent(tag: tag, reader: reader, antenna: antenna, time: time, count: 1)
    }

    /// A tag whose departure deadline (last read + `absent_after`) lands near the capture's last
    /// event would depart or not depending on a few milliseconds: such tags stay in their last
    /// zone a little longer, so that the deadline passes the end of the capture by ≥ 5 s.
    private mutating func keepDeadlinesAwayFromTheEnd(
        _ readsByTag: inout [[ReadEvent]],
        tags: [ScenarioTag],
        lastReadTime: Int64
    ) {
        for index in readsByTag.indices {
            guard var last = readsByTag[index].last else { continue }
            let deadline = last.time + absentAfter
            guard deadline > lastReadTime - 5 * second, deadline < lastReadTime + 5 * second else { continue }
            let (reader, antennas) = DemoSite.coverage(of: tags[index].visits.last!.zone)
            while last.time + absentAfter < lastReadTime + 5 * second {
                let time = last.time + random.nanoseconds(seconds: 1...3)
                last = makeRead(tag: index, reader: reader, antenna: random.element(of: antennas), time: time)
                readsByTag[index].append(last)
            }
        }
    }
}

/// `value` in decimal, zero-padded on the left to `width` digits.
func padded(_ value: some BinaryInteger, width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
