/// One container a manifest announces: which shipment it belongs to, where it must be sorted to,
/// its temperature class, when it must have arrived, and the items packed in it.
public struct ManifestContainer: Hashable, Sendable {
    /// An SSCC- or GRAI-tagged EPC.
    public var container: EPC
    public var shipment: String
    /// The chute (or dock-out) it must be sorted to, when the manifest names a zone of the site.
    public var destination: ZoneID?
    /// The destination as written (a zone name, or a route the site does not model).
    public var destinationName: String
    public var temperatureClass: String?
    /// Not received by then: `missing`.
    public var expectedBy: EventTime?
    /// SGTIN-tagged items packed in it: they follow the container.
    public var items: [EPC]

    public init(
        container: EPC,
        shipment: String,
        destination: ZoneID?,
        destinationName: String,
        temperatureClass: String? = nil,
        expectedBy: EventTime? = nil,
        items: [EPC] = []
    ) {
        self.container = container
        self.shipment = shipment
        self.destination = destination
        self.destinationName = destinationName
        self.temperatureClass = temperatureClass
        self.expectedBy = expectedBy
        self.items = items
    }
}
