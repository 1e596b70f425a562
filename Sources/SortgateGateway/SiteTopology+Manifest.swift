public import SortgateCore
public import SortgateStore
import SortgateConfig
public import SortgateIngest

extension SiteTopology {
    /// The stored manifest rows as the pipeline takes them: EPCs decoded, destinations as zone ids.
    /// A row whose EPC does not parse (the table was edited by hand) is skipped; a destination
    /// that is no longer a zone of the site keeps its name and gets no missort check.
    public func manifest(from records: [ManifestContainerRecord]) -> [ManifestContainer] {
        records.compactMap { record in
            guard let container = try? EPC(hex: record.container) else { return nil }
            return ManifestContainer(
                container: container,
                shipment: record.shipment,
                destination: zones.id(of: record.destination).map { ZoneID($0) },
                destinationName: record.destination,
                temperatureClass: record.temperatureClass,
                expectedBy: record.expectedBy.flatMap { try? EventTime(rfc3339: $0) },
                items: record.items.compactMap { try? EPC(hex: $0) }
            )
        }
    }
}

/// Watches the database's manifest generation so that a manifest imported while the gateway
/// runs takes effect: `poll()` reads the one-row counter at most once per `interval` (wall
/// time) and returns the whole manifest when it changed since the last load.
public final class ManifestReloader {
    private let store: SQLiteStore
    private let topology: SiteTopology
    private let interval: Duration
    private let clock = ContinuousClock()
    private var nextCheck: ContinuousClock.Instant
    /// The generation of the manifest last handed out (-1 before the first).
    public private(set) var generation: Int64 = -1

    public init(store: SQLiteStore, topology: SiteTopology, interval: Duration = .seconds(1)) {
        self.store = store
        self.topology = topology
        self.interval = interval
        self.nextCheck = clock.now
    }

    /// The manifest, when its generation changed since the last call that returned one (always on
    /// the first call); nil otherwise, or when it is not time to look yet, or the read failed (it is
    /// tried again at the next interval).
    public func poll() -> [ManifestContainer]? {
        let now = clock.now
        guard now >= nextCheck else { return nil }
        nextCheck = now + interval
        guard let current = try? store.manifestGeneration(), current != generation,
            let records = try? store.manifestContainers()
        else { return nil }
        generation = current
        return topology.manifest(from: records)
    }
}

extension ManifestRow {
    /// The row as `manifest_containers` stores it.
    public var record: ManifestContainerRecord {
        ManifestContainerRecord(
            container: container.hex,
            uri: container.schemeAndURI.uri,
            shipment: shipment,
            destination: destination,
            temperatureClass: temperatureClass,
            expectedBy: expectedBy?.rfc3339,
            items: items.map(\.hex),
            source: source
        )
    }
}
