import GRDB

/// One row of `readings`, as stored.
public struct ReadingRecord: Codable, Sendable, Hashable {
    public var sensor: String
    public var zone: String?
    public var at: String
    public var celsius: Double

    public init(sensor: String, zone: String?, at: String, celsius: Double) {
        self.sensor = sensor
        self.zone = zone
        self.at = at
        self.celsius = celsius
    }
}

extension SQLiteStore {
    /// Readings in time order; only those of `sensor` when given.
    public func readings(sensor: String? = nil) throws(SQLiteStoreError) -> [ReadingRecord] {
        try rows(FactQueries.readings(sensor: sensor)).map(ReadingRecord.init(row:))
    }

    /// The latest reading of every sensor, ordered by sensor.
    public func latestReadings() throws(SQLiteStoreError) -> [ReadingRecord] {
        try rows(FactQueries.latestReadings).map(ReadingRecord.init(row:))
    }

    /// The per-minute aggregates of `sensor` as "minute count min avg max" rows, in time order.
    public func readingMinutes(sensor: String) throws(SQLiteStoreError) -> [MinuteRecord] {
        try attempt("reading the per-minute aggregates") {
            try reader.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT sensor, zone, minute, count, min_celsius, avg_celsius, max_celsius
                        FROM reading_minutes WHERE sensor = ? ORDER BY minute
                        """,
                    arguments: [sensor]
                ).map {
                    MinuteRecord(
                        sensor: $0["sensor"],
                        zone: $0["zone"],
                        minute: $0["minute"],
                        count: $0["count"],
                        minCelsius: $0["min_celsius"],
                        avgCelsius: $0["avg_celsius"],
                        maxCelsius: $0["max_celsius"]
                    )
                }
            }
        }
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
}

extension SQLiteStore {
    /// Where a container (SSCC or GRAI, upper-case hex EPC) was and the temperatures it had there,
    /// in time order.
    public func containerReadings(container: String) throws(SQLiteStoreError) -> [ContainerReadingRecord] {
        try attempt("reading a container's temperatures") {
            try reader.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT container, zone, zone_since, sensor, at, celsius FROM container_readings
                        WHERE container = ? ORDER BY at, sensor
                        """,
                    arguments: [container]
                ).map {
                    ContainerReadingRecord(
                        container: $0["container"],
                        zone: $0["zone"],
                        zoneSince: $0["zone_since"],
                        sensor: $0["sensor"],
                        at: $0["at"],
                        celsius: $0["celsius"]
                    )
                }
            }
        }
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
}
