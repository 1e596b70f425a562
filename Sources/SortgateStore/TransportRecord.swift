/// One row of `transport`: a container's journey as stored. Coding keys are the column names.
public struct TransportRecord: Codable, Sendable, Hashable {
    /// Upper-case hex of the container's EPC.
    public var container: String
    public var uri: String?
    public var shipment: String?
    /// expected, received, in-sort, sorted, loaded or departed.
    public var status: String
    public var zone: String?
    public var zoneSince: String?
    public var destination: String?
    public var receivedAt: String?
    public var sortedAt: String?
    public var sortedTo: String?
    public var loadedAt: String?
    public var departedAt: String?
    /// Comma-separated anomaly kinds, in the order they first happened; empty when all is well.
    public var anomalies: String
    public var minCelsius: Double?
    public var maxCelsius: Double?
    public var minutesOutOfRange: Double?
    /// Items packed in it, per the manifest.
    public var items: Int
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    enum CodingKeys: String, CodingKey {
        case container, uri, shipment, status, zone
        case zoneSince = "zone_since"
        case destination
        case receivedAt = "received_at"
        case sortedAt = "sorted_at"
        case sortedTo = "sorted_to"
        case loadedAt = "loaded_at"
        case departedAt = "departed_at"
        case anomalies
        case minCelsius = "min_celsius"
        case maxCelsius = "max_celsius"
        case minutesOutOfRange = "minutes_out_of_range"
        case items, site
    }

    /// Writes absent values as explicit nulls, so every JSON object has the same keys as the table.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(container, forKey: .container)
        try c.encode(uri, forKey: .uri)
        try c.encode(shipment, forKey: .shipment)
        try c.encode(status, forKey: .status)
        try c.encode(zone, forKey: .zone)
        try c.encode(zoneSince, forKey: .zoneSince)
        try c.encode(destination, forKey: .destination)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(sortedAt, forKey: .sortedAt)
        try c.encode(sortedTo, forKey: .sortedTo)
        try c.encode(loadedAt, forKey: .loadedAt)
        try c.encode(departedAt, forKey: .departedAt)
        try c.encode(anomalies, forKey: .anomalies)
        try c.encode(minCelsius, forKey: .minCelsius)
        try c.encode(maxCelsius, forKey: .maxCelsius)
        try c.encode(minutesOutOfRange, forKey: .minutesOutOfRange)
        try c.encode(items, forKey: .items)
        try c.encodeIfPresent(site, forKey: .site)
    }
}

/// One row of `transport_anomalies`.
public struct TransportAnomalyRecord: Codable, Sendable, Hashable {
    public var container: String
    public var kind: String
    public var at: String
    public var zone: String?
    public var detail: String
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?
}

/// One row of `shipments`.
public struct ShipmentRecord: Codable, Sendable, Hashable {
    public var shipment: String
    public var destination: String?
    public var temperatureClass: String?
    public var expectedBy: String?
    public var containersExpected: Int
    public var containersReceived: Int
    public var containersSorted: Int
    public var containersLoaded: Int
    public var containersDeparted: Int
    public var anomalies: Int
    /// expected, receiving, received, sorted, loaded or departed.
    public var status: String
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    enum CodingKeys: String, CodingKey {
        case shipment, destination
        case temperatureClass = "class"
        case expectedBy = "expected_by"
        case containersExpected = "containers_expected"
        case containersReceived = "containers_received"
        case containersSorted = "containers_sorted"
        case containersLoaded = "containers_loaded"
        case containersDeparted = "containers_departed"
        case anomalies, status, site
    }
}
