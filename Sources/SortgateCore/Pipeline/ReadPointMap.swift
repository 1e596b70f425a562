/// Maps a read point — a (source, antenna) pair — to the zone it watches.
///
/// Built once from the site config; looked up for every read, so the lookup reads two flat
/// arrays of plain integers (no nested arrays, hence no reference counting on the hot path).
/// A source may also have a default zone for antennas that are not listed (the config's `"*"`
/// key, and the single zone of a Modbus sensor).
public struct ReadPointMap: Sendable {
    /// Per source: where its antennas start in `zones`, how many there are, and its default zone.
    struct SourceRange: Sendable {
        var start: Int32
        var count: Int32
        var defaultZone: UInt16
    }

    /// `ZoneID.rawValue` per (source, antenna), or `unmapped`.
    private var zones: [UInt16] = []
    private var ranges: [SourceRange] = []
    private static let unmapped = UInt16.max

    public init() {}

    private mutating func ensure(_ source: SourceID) {
        while ranges.count <= source.index {
            ranges.append(SourceRange(start: Int32(zones.count), count: 0, defaultZone: Self.unmapped))
        }
    }

    /// Declares that `antenna` of `source` reads into `zone`.
    public mutating func map(source: SourceID, antenna: UInt16, to zone: ZoneID) {
        precondition(zone.rawValue != Self.unmapped, "zone id \(zone.rawValue) is reserved")
        ensure(source)
        var range = ranges[source.index]
        let needed = Int(antenna) + 1
        if needed > Int(range.count) {
            // Grow this source's antenna block (setup only): rebuild the flat array.
            var rebuilt: [UInt16] = []
            for index in ranges.indices {
                let old = ranges[index]
                let count = index == source.index ? needed : Int(old.count)
                let start = rebuilt.count
                rebuilt.append(contentsOf: zones[Int(old.start)..<Int(old.start + old.count)])
                rebuilt.append(contentsOf: repeatElement(Self.unmapped, count: count - Int(old.count)))
                ranges[index].start = Int32(start)
                ranges[index].count = Int32(count)
            }
            zones = rebuilt
            range = ranges[source.index]
        }
        zones[Int(range.start) + Int(antenna)] = zone.rawValue
    }

    /// Declares the zone of every antenna of `source` that has no explicit mapping.
    public mutating func setDefault(source: SourceID, zone: ZoneID) {
        precondition(zone.rawValue != Self.unmapped, "zone id \(zone.rawValue) is reserved")
        ensure(source)
        ranges[source.index].defaultZone = zone.rawValue
    }

    /// The zone a read by `antenna` of `source` belongs to, or nil when no read point covers it.
    @inline(__always)
    public func zone(source: SourceID, antenna: UInt16) -> ZoneID? {
        let index = source.index
        guard index < ranges.count else { return nil }
        let range = ranges[index]
        var zone = range.defaultZone
        if Int32(antenna) < range.count {
            let mapped = zones[Int(range.start) + Int(antenna)]
            if mapped != Self.unmapped { zone = mapped }
        }
        return zone == Self.unmapped ? nil : ZoneID(rawValue: zone)
    }
}
