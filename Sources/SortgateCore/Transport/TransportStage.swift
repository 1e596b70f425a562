/// Where a container is in its journey through the sorting center, in the order it passes them.
///
/// Stages only move forward (`Comparable` follows the declaration order): a container seen again
/// at an earlier kind of zone (a pallet taken back to induction after a chute) keeps the furthest
/// stage it reached. The raw values are the `transport.status` strings of DESIGN.md.
public enum TransportStage: String, Hashable, Sendable, CaseIterable, Comparable {
    /// In a manifest, not seen yet.
    case expected
    /// First seen (normally at a dock-in).
    case received
    /// Seen at an induction or a sorter.
    case inSort = "in-sort"
    /// Seen at a chute.
    case sorted
    /// Seen at a dock-out or in a vehicle.
    case loaded
    /// Departed (not read for `absent_after`) from a dock-out or a vehicle.
    case departed

    public static func < (lhs: TransportStage, rhs: TransportStage) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int {
        switch self {
        case .expected: 0
        case .received: 1
        case .inSort: 2
        case .sorted: 3
        case .loaded: 4
        case .departed: 5
        }
    }
}

/// What a zone is for, as far as journeys are concerned; the site config's `ZoneType`.
public enum TransportZoneRole: String, Hashable, Sendable, CaseIterable {
    case dockIn = "dock-in"
    case induction
    case sorter
    case chute
    case staging
    case coldRoom = "cold-room"
    case dockOut = "dock-out"
    case vehicle

    /// The stage a container reaches when it is seen in a zone of this role; nil for zones that
    /// hold containers between stages (staging, cold rooms).
    public var stage: TransportStage? {
        switch self {
        case .dockIn: .received
        case .induction, .sorter: .inSort
        case .chute: .sorted
        case .staging, .coldRoom: nil
        case .dockOut, .vehicle: .loaded
        }
    }

    /// Whether leaving a zone of this role is a regular departure (onto a truck).
    public var isLoadingPoint: Bool { self == .dockOut || self == .vehicle }
}

/// The kinds of things that can be wrong with a journey; raw values are what `transport` shows.
public enum TransportAnomalyKind: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Seen at a chute other than its destination (or loaded at a dock-out other than it).
    case missorted
    /// A container seen on site that no manifest lists (only once any manifest was imported).
    case unexpected
    /// Expected by a time and not received by then.
    case missing
    /// Stayed in a zone longer than its zone type's configured dwell limit.
    case dwell
    /// A confirmed cold-chain excursion of the container (its class's range or cumulative limit).
    case temperature
    /// Departed (no longer read) from a zone that is not a dock-out or vehicle.
    case leftWithoutLoading = "left-without-loading"

    public static func < (lhs: TransportAnomalyKind, rhs: TransportAnomalyKind) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// One anomaly of a journey, with its time and what it concerns.
///
/// `at` is when the anomaly became true: the missorting read, the first sighting (unexpected),
/// the expected-by time (missing), the moment the dwell limit ran out, the excursion's
/// confirmation, the departure's last read.
public struct TransportAnomaly: Hashable, Sendable {
    public var kind: TransportAnomalyKind
    public var at: EventTime
    /// The zone it happened in (the wrong chute, the zone dwelt in, the zone left).
    public var zone: ZoneID?
    /// Missorted: the destination it should have gone to.
    public var expectedZone: ZoneID?
    /// Dwell: the limit that was exceeded.
    public var limit: Duration?
    /// Temperature: the alert kind and its fingerprint (`alerts.id`).
    public var alert: AlertID?
    /// Missing: whether it was received after all (late), and when.
    public var receivedLateAt: EventTime?

    public init(
        kind: TransportAnomalyKind,
        at: EventTime,
        zone: ZoneID? = nil,
        expectedZone: ZoneID? = nil,
        limit: Duration? = nil,
        alert: AlertID? = nil,
        receivedLateAt: EventTime? = nil
    ) {
        self.kind = kind
        self.at = at
        self.zone = zone
        self.expectedZone = expectedZone
        self.limit = limit
        self.alert = alert
        self.receivedLateAt = receivedLateAt
    }
}
