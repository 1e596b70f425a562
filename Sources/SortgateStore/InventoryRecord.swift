/// One row of the `inventory` table as stored: where a tagged object is, since when.
///
/// Fields are the stored text (times are UTC RFC 3339 with nine fraction digits), so tools that
/// print them show exactly what another tool reading the database would see. The coding keys
/// are the column names, so JSON output uses the database's vocabulary.
public struct InventoryRecord: Codable, Sendable, Hashable {
    /// Upper-case hex of the EPC.
    public var epc: String
    /// `sgtin-96`, `sscc-96`, …, or `raw` for an undecodable EPC.
    public var scheme: String
    /// The GS1 pure-identity URI; nil when the EPC is not decodable.
    public var uri: String?
    public var zone: String
    /// `present` or `departed`; a departed EPC keeps its last zone.
    public var status: String
    public var firstSeen: String
    public var zoneSince: String
    public var lastSeen: String
    public var reads: Int
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    public init(
        epc: String,
        scheme: String,
        uri: String?,
        zone: String,
        status: String,
        firstSeen: String,
        zoneSince: String,
        lastSeen: String,
        reads: Int
    ) {
        self.epc = epc
        self.scheme = scheme
        self.uri = uri
        self.zone = zone
        self.status = status
        self.firstSeen = firstSeen
        self.zoneSince = zoneSince
        self.lastSeen = lastSeen
        self.reads = reads
    }

    enum CodingKeys: String, CodingKey {
        case epc, scheme, uri, zone, status
        case firstSeen = "first_seen"
        case zoneSince = "zone_since"
        case lastSeen = "last_seen"
        case reads, site
    }

    /// Writes `uri` as an explicit null when absent, so every JSON object has the same keys as the table.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epc, forKey: .epc)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(uri, forKey: .uri)
        try container.encode(zone, forKey: .zone)
        try container.encode(status, forKey: .status)
        try container.encode(firstSeen, forKey: .firstSeen)
        try container.encode(zoneSince, forKey: .zoneSince)
        try container.encode(lastSeen, forKey: .lastSeen)
        try container.encode(reads, forKey: .reads)
        try container.encodeIfPresent(site, forKey: .site)
    }
}

/// Which inventory rows to read: filters, and a page of them in (zone, EPC) order.
public struct InventoryQuery: Sendable, Hashable {
    /// Where a page ends: the (zone, EPC) of its last row; the next page starts after it.
    public struct Position: Sendable, Hashable {
        public var zone: String
        public var epc: String

        public init(zone: String, epc: String) {
            self.zone = zone
            self.epc = epc
        }
    }

    public var zone: String?
    /// `present` or `departed`.
    public var status: String?
    /// `sgtin-96`, `sscc-96`, …, `raw`.
    public var scheme: String?
    /// Only the rows of this site (on a hub).
    public var site: String?
    /// Only rows after this one.
    public var after: Position?
    /// At most this many rows; nil for all.
    public var limit: Int?

    public init(
        zone: String? = nil,
        status: String? = nil,
        scheme: String? = nil,
        after: Position? = nil,
        limit: Int? = nil,
        site: String? = nil
    ) {
        self.site = site
        self.zone = zone
        self.status = status
        self.scheme = scheme
        self.after = after
        self.limit = limit
    }
}
