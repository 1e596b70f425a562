public import SortgateCore

/// What the central PostgreSQL holds of one local database: the last batch shipped (its local
/// sequence number) and the last movement, reading and quarantine ids it covered. It is stored
/// centrally, in the same transaction as the rows it covers, so it is exactly what arrived.
public struct CentralMark: Sendable, Hashable {
    public var seq: Int64
    public var movementsThrough: Int64
    public var readingsThrough: Int64
    public var quarantineThrough: Int64

    public init(seq: Int64, movementsThrough: Int64, readingsThrough: Int64, quarantineThrough: Int64 = 0) {
        self.seq = seq
        self.movementsThrough = movementsThrough
        self.readingsThrough = readingsThrough
        self.quarantineThrough = quarantineThrough
    }
}

/// The rows of consecutive committed batches, read in one snapshot, ready to load centrally in one
/// transaction: each table's rows as a JSON array of objects (what `json_to_recordset` reads).
public struct CentralCargo: Sendable {
    /// One table's rows.
    public struct Load: Sendable {
        public var table: CentralTable
        public var json: String
        public var rows: Int
    }

    /// The mark once this cargo is in.
    public var mark: CentralMark
    /// How many local batches it covers (0 for the first contact's history alone).
    public var batches: Int
    /// When each of those batches committed locally (wall clock), in order: the start of its
    /// shipping lag.
    public var committedAt: [EventTime]
    public var loads: [Load]
    public var rows: Int { loads.reduce(0) { $0 + $1.rows } }
}

/// The unshipped part of the outbox, for the status line and the gauges.
public struct CentralBacklog: Sendable, Hashable {
    public var batches: Int
    /// Rows still to ship (movements, readings, changed rows of the keyed tables).
    public var rows: Int
    /// How long ago the oldest unshipped batch committed; zero when there is none.
    public var age: Duration

    public init(batches: Int = 0, rows: Int = 0, age: Duration = .zero) {
        self.batches = batches
        self.rows = rows
        self.age = age
    }
}
