public import SortgateCore

/// One row of `readings`, as stored.
public struct ReadingRecord: Codable, Sendable, Hashable {
    public var sensor: String
    public var zone: String?
    public var at: String
    public var celsius: Double
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    public init(sensor: String, zone: String?, at: String, celsius: Double) {
        self.sensor = sensor
        self.zone = zone
        self.at = at
        self.celsius = celsius
    }
}

extension SQLiteStore {
    /// Readings in time order; only those of `sensor` when given, and only those in `from ..< to` when given.
    public func readings(
        sensor: String? = nil,
        from: EventTime? = nil,
        to: EventTime? = nil
    ) throws(SQLiteStoreError) -> [ReadingRecord] {
        try rows(FactQueries.readings(sensor: sensor, from: from?.rfc3339, to: to?.rfc3339))
            .map(ReadingRecord.init(row:))
    }

    /// The latest reading of every sensor, ordered by sensor.
    public func latestReadings() throws(SQLiteStoreError) -> [ReadingRecord] {
        try rows(FactQueries.latestReadings()).map(ReadingRecord.init(row:))
    }

    /// The per-minute aggregates of `sensor` in time order; only the minutes in `from ..< to` when given.
    public func readingMinutes(
        sensor: String,
        from: EventTime? = nil,
        to: EventTime? = nil
    ) throws(SQLiteStoreError) -> [MinuteRecord] {
        try rows(FactQueries.readingMinutes(sensor: sensor, from: from?.rfc3339, to: to?.rfc3339))
            .map(MinuteRecord.init(row:))
    }
}

/// One reading a container had: a row of the `container_readings` view.
public struct ContainerReadingRecord: Codable, Sendable, Hashable {
    public var container: String
    public var zone: String
    /// When the container's stay in `zone` began.
    public var zoneSince: String
    public var sensor: String
    public var at: String
    public var celsius: Double

    enum CodingKeys: String, CodingKey {
        case container, zone, sensor, at, celsius
        case zoneSince = "zone_since"
    }
}

extension SQLiteStore {
    /// Where a container (SSCC or GRAI, upper-case hex EPC) was and the temperatures it had there,
    /// in time order.
    public func containerReadings(container: String) throws(SQLiteStoreError) -> [ContainerReadingRecord] {
        try rows(FactQueries.containerReadings(container: container)).map(ContainerReadingRecord.init(row:))
    }
}

/// One row of `reading_minutes`: a sensor's readings of one minute.
public struct MinuteRecord: Codable, Sendable, Hashable {
    public var sensor: String
    public var zone: String?
    public var minute: String
    public var count: Int
    public var minCelsius: Double
    public var avgCelsius: Double
    public var maxCelsius: Double

    enum CodingKeys: String, CodingKey {
        case sensor, zone, minute, count
        case minCelsius = "min_celsius"
        case avgCelsius = "avg_celsius"
        case maxCelsius = "max_celsius"
    }
}
