import HeapModule

/// Turns movements of containers into journeys: the pure state machine behind `transport`.
///
/// Inputs are plain facts, in any order the pipeline produces them: manifests (`load(_:)`),
/// movements of SSCC- or GRAI-tagged EPCs (`observe(_:)`), cold-chain alert transitions of
/// containers (`observe(alert:)`) and event time passing (`advance(to:)`). Outputs are the
/// journeys that changed since the last `drainChanges`, for the sink.
///
/// Semantics:
/// - A container's stage is the furthest its zones' roles reached (`TransportZoneRole.stage`):
///   dock-in → received, induction/sorter → in-sort, chute → sorted, dock-out/vehicle → loaded.
///   Staging and cold rooms leave the stage as it was. Stages never go back, so a repeated or
///   out-of-order movement (an older move delivered after a newer one) changes no stage;
///   the stage times (`receivedAt`, `sortedAt`, `loadedAt`) are the earliest seen.
/// - `receivedAt` is the first sighting wherever it is: a container first read at induction
///   (the dock-in reader missed it) is received then, and in sort.
/// - A departure from a dock-out or vehicle makes it `departed`; from any other zone it is
///   `departed` too (nobody reads it any more) with a `left-without-loading` anomaly. A container
///   that arrives again afterwards continues its journey from the stage it had reached.
/// - Anomalies: `missorted` (first chute ≠ its destination chute, or first loading dock-out ≠
///   its destination dock-out), `unexpected` (no manifest lists it, once any manifest was
///   loaded; dated its first sighting), `missing` (not received by `expectedBy`: raised when the
///   clock passes it; it stays, marked late, if the container turns up afterwards), `dwell`
///   (a stay longer than the zone role's limit, dated when the limit ran out), `temperature`
///   (a raised container excursion, dated its confirmation), `left-without-loading`.
///   Anomalies that depend on the manifest are re-derived when a manifest is (re)loaded, so a
///   manifest imported after its containers were seen gives the same journeys as one imported
///   before.
///
/// Time is event time: the clock is the largest time of any input, so a replay is deterministic
/// and stops where its last event is. Cost: a movement is O(1); `advance` pops due deadlines
/// from a heap (O(log n) each); a manifest load is O(containers).
public struct TransportTracker: Sendable {
    /// What the tracker needs to know about the site.
    public struct Configuration: Sendable {
        /// The role of each zone, indexed by `ZoneID.index` (nil: not a journey zone).
        public var zoneRoles: [TransportZoneRole?]
        /// Longest normal stay per zone role; a longer one is a `dwell` anomaly.
        public var dwellLimits: [TransportZoneRole: Duration]

        public init(zoneRoles: [TransportZoneRole?] = [], dwellLimits: [TransportZoneRole: Duration] = [:]) {
            self.zoneRoles = zoneRoles
            self.dwellLimits = dwellLimits
        }

        func role(of zone: ZoneID?) -> TransportZoneRole? {
            guard let zone, zone.index < zoneRoles.count else { return nil }
            return zoneRoles[zone.index]
        }
    }

    struct Journey: Sendable {
        /// The EPC as read from its tag (nil until seen): the filter value may differ from the manifest's.
        var seenAs: EPC?
        var stage: TransportStage = .expected
        var present = false
        var zone: ZoneID?
        var zoneSince: EventTime?
        var receivedAt: EventTime?
        var sortedAt: EventTime?
        var sortedTo: ZoneID?
        var loadedAt: EventTime?
        var loadedAtZone: ZoneID?
        var departedAt: EventTime?
        /// Anomalies that are facts of the past: finished dwells, temperature, left-without-loading.
        var recorded: [TransportAnomaly] = []
        /// The latest movement time applied, to recognise a repeated movement.
        var lastMovementAt: EventTime?
    }

    /// A time at which a journey's anomalies may change without any input.
    struct Deadline: Comparable, Sendable {
        var time: EventTime
        var container: EPC

        static func < (lhs: Deadline, rhs: Deadline) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.container.hex < rhs.container.hex
        }
    }

    public let configuration: Configuration
    var journeys: [EPC: Journey] = [:]
    private var manifest: [EPC: ManifestContainer] = [:]
    private var itemContainers: [EPC: EPC] = [:]
    /// Whether any manifest was loaded: only then is an unlisted container `unexpected`.
    public private(set) var hasManifest = false
    private var changed: Set<EPC> = []
    var deadlines = Heap<Deadline>()
    /// The largest event time seen so far.
    public private(set) var clock: EventTime = .distantPast

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether the EPC is a container (SSCC or GRAI), the only EPCs with journeys.
    public static func isContainer(_ epc: EPC) -> Bool {
        ColdChainMonitor.isContainer(epc)
    }

    /// The container's identity without its filter value (bits 8–10 of every GS1 96- and 170-bit
    /// container scheme): a manifest that names an SSCC (which has no filter) matches the tag
    /// whatever filter it was encoded with. Journeys and the manifest are keyed by it.
    public static func identityKey(_ epc: EPC) -> EPC {
        var key = epc
        key.setBits(at: 8, count: 3, to: 0)
        return key
    }

    /// Replaces the manifest: every container listed gets a journey (`expected` until seen), the
    /// anomalies that depend on the manifest are re-derived for every journey, and every journey
    /// whose row may differ is reported as changed.
    public mutating func load(_ containers: [ManifestContainer]) {
        var byContainer: [EPC: ManifestContainer] = [:]
        var items: [EPC: EPC] = [:]
        for entry in containers {
            byContainer[Self.identityKey(entry.container)] = entry
            for item in entry.items { items[item] = entry.container }
        }
        let touched = Set(manifest.keys).union(byContainer.keys)
        manifest = byContainer
        itemContainers = items
        let hadManifest = hasManifest
        hasManifest = hasManifest || !containers.isEmpty
        for container in touched where byContainer[container] != nil || journeys[container] != nil {
            if journeys[container] == nil { journeys[container] = Journey() }
            changed.insert(container)
            if let expectedBy = byContainer[container]?.expectedBy {
                deadlines.insert(Deadline(time: expectedBy, container: container))
            }
        }
        if hasManifest != hadManifest { changed.formUnion(journeys.keys) }
    }

    /// The manifest entry of a container.
    public func manifestEntry(of container: EPC) -> ManifestContainer? { manifest[Self.identityKey(container)] }

    /// The container an item is packed in, according to the manifest.
    public func container(ofItem item: EPC) -> EPC? { itemContainers[item] }

    /// Applies one movement; movements of EPCs that are not containers are ignored.
    public mutating func observe(_ movement: Movement) {
        guard Self.isContainer(movement.epc) else { return }
        advance(to: movement.at)
        let key = Self.identityKey(movement.epc)
        var journey = journeys[key] ?? Journey()
        journey.seenAs = movement.epc
        if journey.lastMovementAt == movement.at, journey.present == (movement.kind != .departure),
            journey.zone == (movement.to ?? movement.from)
        {
            return  // the same movement again
        }
        journey.lastMovementAt = max(journey.lastMovementAt ?? movement.at, movement.at)
        switch movement.kind {
        case .arrival, .move:
            guard let zone = movement.to else { return }
            if journey.present, journey.zone != zone { finishStay(&journey, container: key, at: movement.at) }
            if !journey.present || journey.zone != zone {
                journey.zone = zone
                journey.zoneSince = movement.at
            }
            journey.present = true
            journey.departedAt = nil
            if journey.receivedAt.map({ movement.at < $0 }) ?? true { journey.receivedAt = movement.at }
            if journey.stage < .received { journey.stage = .received }
            let role = configuration.role(of: zone)
            if let reached = role?.stage, reached > journey.stage { journey.stage = reached }
            if role == .chute, journey.sortedAt.map({ movement.at < $0 }) ?? true {
                journey.sortedAt = movement.at
                journey.sortedTo = zone
            }
            if role?.isLoadingPoint == true, journey.loadedAt.map({ movement.at < $0 }) ?? true {
                journey.loadedAt = movement.at
                journey.loadedAtZone = zone
            }
            if let role, let limit = configuration.dwellLimits[role] {
                deadlines.insert(Deadline(time: movement.at + limit, container: key))
            }
        case .departure:
            guard journey.present else { return }
            finishStay(&journey, container: key, at: movement.at)
            journey.present = false
            journey.departedAt = movement.at
            if let from = movement.from ?? journey.zone, configuration.role(of: from)?.isLoadingPoint != true {
                record(&journey, TransportAnomaly(kind: .leftWithoutLoading, at: movement.at, zone: from))
            }
        }
        journeys[key] = journey
        changed.insert(key)
    }

    /// Applies a cold-chain alert transition: a raised excursion of a container is a
    /// `temperature` anomaly of its journey (once per alert).
    public mutating func observe(alert: AlertFact) {
        guard alert.event.transition == .raised, case .container(let container) = alert.event.subject,
            alert.event.kind != .sensorOffline
        else { return }
        let key = Self.identityKey(container)
        var journey = journeys[key] ?? Journey()
        if journey.seenAs == nil { journey.seenAs = container }
        guard !journey.recorded.contains(where: { $0.alert == alert.event.id }) else { return }
        record(
            &journey,
            TransportAnomaly(kind: .temperature, at: alert.event.confirmedAt, zone: alert.zone, alert: alert.event.id)
        )
        journeys[key] = journey
        changed.insert(key)
    }

    /// Lets event time pass: expected-by times and dwell limits that ran out change journeys.
    public mutating func advance(to time: EventTime) {
        if time > clock { clock = time }
        while let next = deadlines.min, next.time < clock {
            deadlines.removeMin()
            if journeys[next.container] != nil { changed.insert(next.container) }
        }
    }

    /// The journey of one container as of the clock, or nil when it has none.
    public func journey(of container: EPC) -> TransportJourney? {
        let key = Self.identityKey(container)
        guard let journey = journeys[key] else { return nil }
        return describe(key, journey)
    }

    /// Every journey, in EPC order (for tests and status views; O(n log n)).
    public var allJourneys: [TransportJourney] {
        journeys.keys.sorted { $0.hex < $1.hex }.compactMap { key in journeys[key].map { describe(key, $0) } }
    }

    /// Hands every journey that changed since the previous call to `body`, in EPC order.
    public mutating func drainChanges(_ body: (TransportJourney) -> Void) {
        guard !changed.isEmpty else { return }
        for container in changed.sorted(by: { $0.hex < $1.hex }) {
            if let journey = journeys[container] { body(describe(container, journey)) }
        }
        changed.removeAll(keepingCapacity: true)
    }

    /// Containers currently present on site (for refreshing their temperature figures).
    public var presentContainers: [EPC] {
        journeys.values.compactMap { $0.present ? $0.seenAs : nil }
    }

    // MARK: - Derivation

    private mutating func finishStay(_ journey: inout Journey, container: EPC, at time: EventTime) {
        guard let zone = journey.zone, let since = journey.zoneSince, let role = configuration.role(of: zone),
            let limit = configuration.dwellLimits[role], time - since > limit
        else { return }
        record(&journey, TransportAnomaly(kind: .dwell, at: since + limit, zone: zone, limit: limit))
    }

    private func record(_ journey: inout Journey, _ anomaly: TransportAnomaly) {
        guard !journey.recorded.contains(anomaly) else { return }
        journey.recorded.append(anomaly)
    }

    private func describe(_ key: EPC, _ journey: Journey) -> TransportJourney {
        let entry = manifest[key]
        let container = journey.seenAs ?? entry?.container ?? key
        var anomalies = journey.recorded
        if let entry {
            if let destination = entry.destination, let sortedTo = journey.sortedTo, let at = journey.sortedAt,
                configuration.role(of: destination) == .chute, sortedTo != destination
            {
                anomalies.append(TransportAnomaly(kind: .missorted, at: at, zone: sortedTo, expectedZone: destination))
            }
            if let destination = entry.destination, let loadedAt = journey.loadedAt, let zone = journey.loadedAtZone,
                configuration.role(of: destination) == .dockOut, zone != destination
            {
                anomalies.append(
                    TransportAnomaly(kind: .missorted, at: loadedAt, zone: zone, expectedZone: destination)
                )
            }
            if let expectedBy = entry.expectedBy {
                if let received = journey.receivedAt, received > expectedBy {
                    anomalies.append(TransportAnomaly(kind: .missing, at: expectedBy, receivedLateAt: received))
                } else if journey.receivedAt == nil, clock > expectedBy {
                    anomalies.append(TransportAnomaly(kind: .missing, at: expectedBy))
                }
            }
        } else if hasManifest, let received = journey.receivedAt {
            anomalies.append(TransportAnomaly(kind: .unexpected, at: received, zone: nil))
        }
        if journey.present, let zone = journey.zone, let since = journey.zoneSince,
            let role = configuration.role(of: zone), let limit = configuration.dwellLimits[role], clock - since > limit
        {
            anomalies.append(TransportAnomaly(kind: .dwell, at: since + limit, zone: zone, limit: limit))
        }
        anomalies.sort { $0.at != $1.at ? $0.at < $1.at : $0.kind < $1.kind }
        let status: TransportStage = journey.departedAt != nil && !journey.present ? .departed : journey.stage
        return TransportJourney(
            container: container,
            manifest: entry,
            status: status,
            zone: journey.zone,
            zoneSince: journey.zoneSince,
            receivedAt: journey.receivedAt,
            sortedAt: journey.sortedAt,
            sortedTo: journey.sortedTo,
            loadedAt: journey.loadedAt,
            departedAt: journey.departedAt,
            anomalies: anomalies
        )
    }
}

extension TransportTracker {
    /// Restores a journey saved by a previous run (see `SQLiteStore.transportJourneys`): its stage,
    /// zone, stage times and recorded anomalies. A journey saved as `departed` is restored as
    /// departed, with the stage its times show. Restoring reports nothing as changed.
    public mutating func restore(_ saved: TransportJourney) {
        let key = Self.identityKey(saved.container)
        var journey = Journey()
        journey.seenAs = saved.container
        journey.present = saved.status != .departed
        journey.zone = saved.zone
        journey.zoneSince = saved.zoneSince
        journey.receivedAt = saved.receivedAt
        journey.sortedAt = saved.sortedAt
        journey.sortedTo = saved.sortedTo
        journey.loadedAt = saved.loadedAt
        journey.loadedAtZone =
            saved.loadedAt != nil && configuration.role(of: saved.zone)?.isLoadingPoint == true
            ? saved.zone : nil
        journey.departedAt = saved.departedAt
        journey.recorded = saved.anomalies
        if saved.status != .departed {
            journey.stage = saved.status
        } else {
            journey.stage = saved.loadedAt != nil ? .loaded : saved.sortedAt != nil ? .sorted : .received
        }
        journey.lastMovementAt = saved.departedAt ?? saved.zoneSince
        journeys[key] = journey
        if journey.present, let zone = saved.zone, let since = saved.zoneSince,
            let role = configuration.role(of: zone), let limit = configuration.dwellLimits[role]
        {
            deadlines.insert(Deadline(time: since + limit, container: key))
        }
    }
}
