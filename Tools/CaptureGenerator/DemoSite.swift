/// One antenna of a reader and the zone it watches (a `read_points` entry of the config).
struct ReadPoint: Sendable {
    var antenna: Int
    var zone: String
    /// What Impinj readers report as `antennaName`.
    var name: String
}

/// One RFID reader of the demo site. `Config/demo.yaml` declares exactly these devices.
struct ReaderSpec: Sendable {
    enum Vendor: Sendable {
        /// Impinj IoT Device Interface: nanosecond UTC timestamps, `tagInventoryEvent`.
        case impinj
        /// Zebra IoT Connector: millisecond local timestamps with a `+hhmm` offset, `eventNum`, `reads`.
        case zebra
    }

    /// The config's device `id`, and the capture's `source`.
    var id: String
    var topic: String
    var model: String
    var vendor: Vendor
    /// What Impinj readers put in `hostname`.
    var hostname: String
    /// The offset Zebra readers print in their timestamps; the instant stays the same.
    var utcOffsetMinutes: Int
    var readPoints: [ReadPoint]
    /// The zone of every antenna not listed (`"*"` in the config's `read_points`).
    var otherAntennasZone: String?
    /// The antennas the scenario reads with when only `"*"` covers a zone.
    var otherAntennas: [Int] = []

    /// The zone a read on `antenna` maps to, as the pipeline resolves read points.
    func zone(ofAntenna antenna: Int) -> String? {
        if let point = readPoints.first(where: { $0.antenna == antenna }) { return point.zone }
        return otherAntennasZone
    }
}

/// The demo sorting center: its readers and their read points.
///
/// A shift moves tags dock-in → induction → chute → dock-out. Both vendor formats appear on
/// every leg of that path so that a decoder bug shows up as a wrong movement, not only as a
/// wrong counter.
enum DemoSite {
    static let chutes = ["chute-01", "chute-02", "chute-03", "chute-04"]

    static let readers: [ReaderSpec] = [
        ReaderSpec(
            id: "dock1-reader",
            topic: "readers/dock1/events",
            model: "Impinj R700",
            vendor: .impinj,
            hostname: "impinj-14-2f-a1",
            utcOffsetMinutes: 0,
            readPoints: [
                ReadPoint(antenna: 1, zone: "dock-in-1", name: "Dock 1 left"),
                ReadPoint(antenna: 2, zone: "dock-in-1", name: "Dock 1 right"),
            ]
        ),
        ReaderSpec(
            id: "induction-reader",
            topic: "readers/induction/events",
            model: "Zebra FX9600",
            vendor: .zebra,
            hostname: "FX96007A3B21",
            // Central European Time, the site's local time in November.
            utcOffsetMinutes: 60,
            readPoints: [
                ReadPoint(antenna: 1, zone: "induction-1", name: "Induction belt upper"),
                ReadPoint(antenna: 2, zone: "induction-1", name: "Induction belt lower"),
            ]
        ),
        ReaderSpec(
            id: "chutes-a-reader",
            topic: "readers/chutes-a/events",
            model: "Zebra FX7500",
            vendor: .zebra,
            hostname: "FX75004C11D0",
            // Set to Eastern European Time by mistake: the printed offset differs, the instant does not.
            utcOffsetMinutes: 120,
            readPoints: [
                ReadPoint(antenna: 1, zone: "chute-01", name: "Chute 01 A"),
                ReadPoint(antenna: 2, zone: "chute-01", name: "Chute 01 B"),
                ReadPoint(antenna: 3, zone: "chute-02", name: "Chute 02 A"),
                ReadPoint(antenna: 4, zone: "chute-02", name: "Chute 02 B"),
            ]
        ),
        ReaderSpec(
            id: "chutes-b-reader",
            topic: "readers/chutes-b/events",
            model: "Impinj R720",
            vendor: .impinj,
            hostname: "impinj-14-30-7c",
            utcOffsetMinutes: 0,
            readPoints: [
                ReadPoint(antenna: 1, zone: "chute-03", name: "Chute 03 A"),
                ReadPoint(antenna: 2, zone: "chute-03", name: "Chute 03 B"),
                ReadPoint(antenna: 3, zone: "chute-04", name: "Chute 04 A"),
                ReadPoint(antenna: 4, zone: "chute-04", name: "Chute 04 B"),
            ]
        ),
        ReaderSpec(
            id: "dock-out-reader",
            topic: "readers/dock-out/events",
            model: "Zebra ATR7000",
            vendor: .zebra,
            hostname: "ATR7000D2E4F1",
            utcOffsetMinutes: 60,
            // The overhead array covers the whole outbound dock, so every antenna it reports
            // maps to the one zone (`"*"` in the config).
            readPoints: [],
            otherAntennasZone: "dock-out-1",
            otherAntennas: [1]
        ),
    ]

    /// The reader watching `zone` and the antennas it reads that zone with.
    static func coverage(of zone: String) -> (reader: Int, antennas: [Int]) {
        for (index, reader) in readers.enumerated() {
            let antennas = reader.readPoints.filter { $0.zone == zone }.map(\.antenna)
            if !antennas.isEmpty { return (index, antennas) }
            if reader.otherAntennasZone == zone { return (index, reader.otherAntennas) }
        }
        preconditionFailure("no reader covers zone '\(zone)'")
    }
}
