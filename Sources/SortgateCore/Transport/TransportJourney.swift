/// One container's journey as the sinks write it to `transport`: where it is, how far it got,
/// when it passed each stage, what is wrong with it, and (from the cold chain) the temperatures
/// it had.
public struct TransportJourney: Hashable, Sendable {
    public var container: EPC
    /// Its manifest entry, when a manifest lists it.
    public var manifest: ManifestContainer?
    /// `departed` once it left from anywhere (a departure that was not a loading carries the
    /// `left-without-loading` anomaly); otherwise the furthest stage reached.
    public var status: TransportStage
    /// The zone it is in, or was last in; nil before it was first seen.
    public var zone: ZoneID?
    public var zoneSince: EventTime?
    /// First seen anywhere (normally at a dock-in).
    public var receivedAt: EventTime?
    /// First seen at a chute.
    public var sortedAt: EventTime?
    /// The chute it was first sorted to.
    public var sortedTo: ZoneID?
    /// First seen at a dock-out or in a vehicle.
    public var loadedAt: EventTime?
    /// Its last read before it departed (as the departure movement dates it).
    public var departedAt: EventTime?
    /// Anomalies in time order (then by kind).
    public var anomalies: [TransportAnomaly]
    /// The cold chain's summary of the container, when the container is watched.
    public var temperature: ContainerTemperatureSummary?

    public init(
        container: EPC,
        manifest: ManifestContainer?,
        status: TransportStage,
        zone: ZoneID?,
        zoneSince: EventTime?,
        receivedAt: EventTime?,
        sortedAt: EventTime?,
        sortedTo: ZoneID?,
        loadedAt: EventTime?,
        departedAt: EventTime?,
        anomalies: [TransportAnomaly],
        temperature: ContainerTemperatureSummary? = nil
    ) {
        self.container = container
        self.manifest = manifest
        self.status = status
        self.zone = zone
        self.zoneSince = zoneSince
        self.receivedAt = receivedAt
        self.sortedAt = sortedAt
        self.sortedTo = sortedTo
        self.loadedAt = loadedAt
        self.departedAt = departedAt
        self.anomalies = anomalies
        self.temperature = temperature
    }

    /// Minutes its temperature was outside its class's range (no delay, no hysteresis).
    public var minutesOutOfRange: Double? {
        temperature.map { Double($0.timeOutOfRange.nanosecondsClamped) / 60e9 }
    }
}
