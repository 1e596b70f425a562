/// One row of the `movements` table as stored: an arrival, a move or a departure of an EPC.
///
/// An arrival has no `fromZone`; a departure has no `toZone`. Coding keys are the column names.
public struct MovementRecord: Codable, Sendable, Hashable {
    /// The row id: insertion order, which breaks ties between movements at the same time.
    public var id: Int64
    /// Upper-case hex of the EPC.
    public var epc: String
    /// `arrival`, `move` or `departure`.
    public var kind: String
    public var fromZone: String?
    public var toZone: String?
    /// Event time of the movement (for a departure, the last read time).
    public var at: String
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    public init(id: Int64, epc: String, kind: String, fromZone: String?, toZone: String?, at: String) {
        self.id = id
        self.epc = epc
        self.kind = kind
        self.fromZone = fromZone
        self.toZone = toZone
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case id, epc, kind
        case fromZone = "from_zone"
        case toZone = "to_zone"
        case at, site
    }

    /// Writes absent zones as explicit nulls, so every JSON object has the same keys as the table.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(epc, forKey: .epc)
        try container.encode(kind, forKey: .kind)
        try container.encode(fromZone, forKey: .fromZone)
        try container.encode(toZone, forKey: .toZone)
        try container.encode(at, forKey: .at)
        try container.encodeIfPresent(site, forKey: .site)
    }
}
