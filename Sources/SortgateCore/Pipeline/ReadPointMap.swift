/// Maps a read point — a (source, antenna) pair — to the zone it watches.
///
/// Built once from the site config; looked up for every read, so it is two array indexings
/// instead of a dictionary probe. A source may also have a default zone for antennas that are
/// not listed (the config's `"*"` key, and the single zone of a Modbus sensor).
public struct ReadPointMap: Sendable {
    private var zonesBySource: [[ZoneID?]] = []
    private var defaultZoneBySource: [ZoneID?] = []

    public init() {}

    private mutating func ensure(_ source: SourceID) {
        while zonesBySource.count <= source.index {
            zonesBySource.append([])
            defaultZoneBySource.append(nil)
        }
    }

    /// Declares that `antenna` of `source` reads into `zone`.
    public mutating func map(source: SourceID, antenna: UInt16, to zone: ZoneID) {
        ensure(source)
        var antennas = zonesBySource[source.index]
        while antennas.count <= Int(antenna) { antennas.append(nil) }
        antennas[Int(antenna)] = zone
        zonesBySource[source.index] = antennas
    }

    /// Declares the zone of every antenna of `source` that has no explicit mapping.
    public mutating func setDefault(source: SourceID, zone: ZoneID) {
        ensure(source)
        defaultZoneBySource[source.index] = zone
    }

    /// The zone a read by `antenna` of `source` belongs to, or nil when no read point covers it.
    @inlinable
    public func zone(source: SourceID, antenna: UInt16) -> ZoneID? {
        zoneLookup(source.index, Int(antenna))
    }

    @usableFromInline
    func zoneLookup(_ source: Int, _ antenna: Int) -> ZoneID? {
        guard source < zonesBySource.count else { return nil }
        let antennas = zonesBySource[source]
        if antenna < antennas.count, let zone = antennas[antenna] { return zone }
        return defaultZoneBySource[source]
    }
}
