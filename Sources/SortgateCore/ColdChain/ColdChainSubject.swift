/// What a cold-chain rule watches: one sensor, one zone, or one container.
///
/// A zone's temperature is its sensors' readings, a container's is the readings of the zone it
/// is in while it is there (see `ContainerTemperatureTracker`); the caller decides which sensors
/// feed which zone and which EPCs are containers. The subject is part of an alert's identity, so
/// the same reading history always yields the same alert ids. Sensors and zones are the small
/// interned ids of the site config: an id is only stable as long as the config names them in
/// the same order, which is why `AlertID` keeps the subject itself and not only a hash.
public enum ColdChainSubject: Hashable, Sendable, CustomStringConvertible {
    /// One temperature sensor (a device instance).
    case sensor(SourceID)
    /// One zone of the site, whatever sensors feed it.
    case zone(ZoneID)
    /// One SSCC or GRAI-tagged container, by its EPC.
    case container(EPC)

    public var description: String {
        switch self {
        case .sensor(let source): "sensor \(source)"
        case .zone(let zone): "zone \(zone)"
        case .container(let epc): "container \(epc)"
        }
    }
}
