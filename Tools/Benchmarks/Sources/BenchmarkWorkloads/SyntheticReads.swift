public import SortgateCore

/// SortgateCore's SplitMix64, so every benchmark run sees the same stream.
extension SplitMix64 {
    /// A value in `0..<bound` (multiply-shift; the bias is irrelevant for a workload).
    @inlinable
    public mutating func next(below bound: Int) -> Int {
        // Parenthesised: in Swift `>>` binds tighter than `&*`.
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(bound)) >> 32)
    }
}

/// Distinct SGTIN-96 EPCs: company prefix 0614141, item reference 812345, serial = index + 1.
public enum SyntheticEPCs {
    /// The SGTIN-96 of serial 0, whose serial bits are then or-ed in.
    public static let base: EPC = {
        // Built through the codec once, so the population is valid by construction.
        try! EPCIdentity(scheme: .sgtin96, filter: 1, companyPrefix: "0614141", reference: "812345", serial: "0").epc
    }()

    /// The EPC of tag `index` (serial `index + 1`, below 2³², in the top half of the second word).
    public static func epc(_ index: Int) -> EPC {
        var epc = base
        epc.w1 |= UInt64(index + 1) << 32
        return epc
    }
}

/// A site for the core pipeline: `readers` sources with 4 antennas each, every antenna its own zone.
public struct SyntheticSite: Sendable {
    public let readers: Int
    public let antennas = 4
    public var zones: Int { readers * antennas }
    public let readPoints: ReadPointMap

    public init(readers: Int) {
        self.readers = readers
        var map = ReadPointMap()
        for reader in 0..<readers {
            for antenna in 1...4 {
                map.map(source: SourceID(reader), antenna: UInt16(antenna), to: ZoneID(reader * 4 + antenna - 1))
            }
        }
        readPoints = map
    }

    /// The read point watching `zone`.
    public func readPoint(of zone: Int) -> (source: SourceID, antenna: UInt16) {
        (SourceID(zone / antennas), UInt16(zone % antennas + 1))
    }
}

/// An endless stream of tag reads over a population of tags, as a sorting center produces them.
///
/// Each read picks a tag uniformly at random; event time advances `step` per read. Time is cut
/// into phases of `phaseReads` reads: in each phase every tag sits in one zone (so most reads
/// only refresh `lastSeen`), one tag in ten is out of reach (and departs after `absent_after`),
/// and at each phase change every tag moves to the next zone. So the stream exercises arrivals,
/// refreshes, moves and departures in the proportions of a busy shift.
public struct SyntheticReadStream: Sendable {
    public let site: SyntheticSite
    public let tags: Int
    public let phaseReads: Int
    public let step: Duration
    public private(set) var produced = 0
    private var random: SplitMix64
    private var time: EventTime
    private let stepNanoseconds: Int64

    public init(
        site: SyntheticSite,
        tags: Int,
        phaseReads: Int = 2_000_000,
        step: Duration = .microseconds(1),
        start: EventTime = EventTime(seconds: 1_795_000_000),
        seed: UInt64 = 42
    ) {
        self.site = site
        self.tags = tags
        self.phaseReads = phaseReads
        self.step = step
        self.stepNanoseconds = step.nanosecondsClamped
        self.random = SplitMix64(seed: seed)
        self.time = start
    }

    /// The event time of the latest read.
    public var lastTime: EventTime { time }

    public mutating func next() -> TagRead {
        let phase = produced / phaseReads
        var tag = random.next(below: tags)
        // One tag in ten is out of reach during a phase: take its neighbour instead.
        if (tag &+ phase) % 10 == 0 { tag = tag + 1 == tags ? 0 : tag + 1 }
        let zone = (tag &+ phase) % site.zones
        let point = site.readPoint(of: zone)
        produced += 1
        time = EventTime(nanoseconds: time.nanoseconds &+ stepNanoseconds)
        return TagRead(
            source: point.source,
            seq: UInt64(produced),
            time: time,
            epc: SyntheticEPCs.epc(tag),
            antenna: point.antenna,
            rssiCentiDbm: -5500,
            readCount: 1
        )
    }
}
