/// An alert transition with the names the sinks store it under: which sensor, zone, class and
/// container it concerns.
public struct AlertFact: Hashable, Sendable {
    public var event: AlertEvent
    public var sensor: SourceID?
    public var zone: ZoneID?
    /// The temperature class whose limits were crossed.
    public var className: String?
    public var container: EPC?

    public init(event: AlertEvent, sensor: SourceID?, zone: ZoneID?, className: String?, container: EPC?) {
        self.event = event
        self.sensor = sensor
        self.zone = zone
        self.className = className
        self.container = container
    }
}

/// The cold-chain rules of a site, applied by the pipeline: every temperature sensor of a zone
/// with a class is watched against the class's limits (excursions and going silent), so is the
/// zone itself (any of its sensors), and containers (SSCC- or GRAI-tagged EPCs) inherit the
/// readings of whatever zone they are in, so each has its own excursions as it moves.
///
/// A container starts being watched when it enters a zone with a class (it takes that class's
/// limits); from then on it is watched in every zone that has a sensor, so a chilled pallet
/// taken from a cold room to a warm dock gets the excursion, and the cold room does not.
/// Pure, on event time, like the rest of the pipeline.
public struct ColdChainMonitor: Sendable {
    /// One zone's class.
    public struct ZoneClass: Sendable {
        public var name: String
        public var limits: TemperatureLimits

        public init(name: String, limits: TemperatureLimits) {
            self.name = name
            self.limits = limits
        }
    }

    private var detector = ExcursionDetector()
    private var containers: ContainerTemperatureTracker?
    private let sensorZones: [SourceID: ZoneID]
    private let zoneClasses: [ZoneID: ZoneClass]
    private var containerClasses: [EPC: String] = [:]
    /// Every class by name (those of zones and those only manifests name), for `assignClass`.
    private let classLimits: [String: TemperatureLimits]
    private var scratch: [AlertEvent] = []

    /// - Parameters:
    ///   - sensors: each temperature sensor and the zone it is in.
    ///   - zoneClasses: the class of every zone that has one.
    ///   - classes: the limits of every class of the site by name, for containers a manifest
    ///     classes (`assignClass`); the zones' classes are added to it.
    public init(
        sensors: [SourceID: ZoneID],
        zoneClasses: [ZoneID: ZoneClass],
        classes: [String: TemperatureLimits] = [:]
    ) {
        self.sensorZones = sensors
        self.zoneClasses = zoneClasses
        var limits = classes
        for zoneClass in zoneClasses.values where limits[zoneClass.name] == nil {
            limits[zoneClass.name] = zoneClass.limits
        }
        self.classLimits = limits
        for (sensor, zone) in sensors.sorted(by: { $0.key < $1.key }) {
            guard let zoneClass = zoneClasses[zone] else { continue }
            detector.monitor(.sensor(sensor), limits: zoneClass.limits)
        }
        for (zone, zoneClass) in zoneClasses.sorted(by: { $0.key < $1.key }) where sensors.values.contains(zone) {
            detector.monitor(.zone(zone), limits: zoneClass.limits, raisesOfflineAlerts: false)
        }
        if let any = zoneClasses.values.first {
            containers = ContainerTemperatureTracker(defaultLimits: any.limits)
        }
    }

    /// Whether anything is watched at all (a site without classes has no cold chain).
    public var isActive: Bool { containers != nil }

    /// Applies one reading of a sensor.
    public mutating func observe(_ reading: SensorReading, into facts: inout [AlertFact]) {
        guard isActive, let zone = sensorZones[reading.source] else { return }
        scratch.removeAll(keepingCapacity: true)
        detector.observe(.sensor(reading.source), at: reading.time, celsius: reading.celsius, into: &scratch)
        if zoneClasses[zone] != nil {
            detector.observe(.zone(zone), at: reading.time, celsius: reading.celsius, into: &scratch)
        }
        containers?.observe(zone: zone, at: reading.time, celsius: reading.celsius, into: &scratch)
        describe(into: &facts)
    }

    /// Gives `container` a class before it enters a classed zone (its manifest says what it
    /// carries), so it is watched from its first zone with readings on. A container that already
    /// has a class keeps it; an unknown class name is ignored.
    public mutating func assignClass(_ name: String, to container: EPC) {
        guard isActive, containerClasses[container] == nil, let limits = classLimits[name] else { return }
        containerClasses[container] = name
        containers?.setLimits(limits, for: container)
    }

    /// The class a container is watched by, if any.
    public func containerClass(of container: EPC) -> String? {
        containerClasses[container]
    }

    /// Applies a movement: containers entering or leaving zones.
    public mutating func observe(_ movement: Movement, into facts: inout [AlertFact]) {
        guard isActive, Self.isContainer(movement.epc) else { return }
        scratch.removeAll(keepingCapacity: true)
        switch movement.kind {
        case .arrival, .move:
            guard let zone = movement.to else { break }
            if let zoneClass = zoneClasses[zone], containerClasses[movement.epc] == nil {
                containerClasses[movement.epc] = zoneClass.name
                containers?.setLimits(zoneClass.limits, for: movement.epc)
            }
            if containerClasses[movement.epc] != nil {
                containers?.enter(movement.epc, zone: zone, at: movement.at, into: &scratch)
            }
        case .departure:
            if containerClasses[movement.epc] != nil {
                containers?.leave(movement.epc, at: movement.at, into: &scratch)
            }
        }
        describe(into: &facts)
    }

    /// Lets event time pass: confirmations and silent sensors are due by time alone.
    public mutating func advance(to time: EventTime, into facts: inout [AlertFact]) {
        guard isActive else { return }
        scratch.removeAll(keepingCapacity: true)
        detector.advance(to: time, into: &scratch)
        containers?.advance(to: time, into: &scratch)
        describe(into: &facts)
    }

    /// A temperature summary of one container, when it is watched.
    public func summary(of container: EPC) -> ContainerTemperatureSummary? {
        containers?.summary(of: container)
    }

    /// SSCC (pallets, roll cages) and GRAI (totes, returnable assets) identify containers.
    public static func isContainer(_ epc: EPC) -> Bool {
        switch EPCScheme(header: epc.header) {
        case .sscc96, .grai96, .grai170: true
        default: false
        }
    }

    private func describe(into facts: inout [AlertFact]) {
        for event in scratch {
            switch event.subject {
            case .sensor(let sensor):
                let zone = sensorZones[sensor]
                facts.append(
                    AlertFact(
                        event: event,
                        sensor: sensor,
                        zone: zone,
                        className: zone.flatMap { zoneClasses[$0]?.name },
                        container: nil
                    )
                )
            case .zone(let zone):
                facts.append(
                    AlertFact(event: event, sensor: nil, zone: zone, className: zoneClasses[zone]?.name, container: nil)
                )
            case .container(let epc):
                let zone = containers?.summary(of: epc)?.zone
                facts.append(
                    AlertFact(event: event, sensor: nil, zone: zone, className: containerClasses[epc], container: epc)
                )
            }
        }
    }
}
