public import SortgateConfig
public import SortgateCore

/// The site config compiled for the hot path: device and zone names interned to small ids,
/// one payload decoder per MQTT device, and the read point map.
public struct SiteTopology: Sendable {
    public let zones: NameTable
    public let sources: NameTable
    /// The payload decoder of each source (nil for devices that are not MQTT readers).
    public let decoders: [PayloadDecoder?]
    /// The profile of each Modbus device (nil for MQTT devices).
    public let modbusProfiles: [DeviceProfile?]
    public let readPoints: ReadPointMap
    public let absentAfter: Duration
    /// The smoothing settings (`dedup` of the config).
    public let dedup: DedupConfig
    /// The cold-chain rules: sensors in zones with a temperature class.
    public let coldChain: ColdChainMonitor
    /// Zone roles (from zone types) and dwell limits for container journeys.
    public let transport: TransportTracker.Configuration

    public init(config: SiteConfig) {
        var zones = NameTable()
        for zone in config.zones { zones.intern(zone.name) }
        var sources = NameTable()
        var decoders: [PayloadDecoder?] = []
        var modbusProfiles: [DeviceProfile?] = []
        var readPoints = ReadPointMap()
        for device in config.devices {
            let source = SourceID(sources.intern(device.id))
            switch device.connection {
            case .mqtt(let mqtt):
                modbusProfiles.append(nil)
                decoders.append(
                    device.profile.payload.map { PayloadDecoder(format: $0, maxPayload: config.maxPayload) }
                )
                for (antenna, zone) in mqtt.readPoints {
                    if let id = zones.id(of: zone) { readPoints.map(source: source, antenna: antenna, to: ZoneID(id)) }
                }
                if let zone = mqtt.defaultZone, let id = zones.id(of: zone) {
                    readPoints.setDefault(source: source, zone: ZoneID(id))
                }
            case .modbus(let modbus):
                decoders.append(nil)
                modbusProfiles.append(device.profile)
                if let id = zones.id(of: modbus.zone) { readPoints.setDefault(source: source, zone: ZoneID(id)) }
            }
        }
        self.zones = zones
        self.sources = sources
        self.decoders = decoders
        self.modbusProfiles = modbusProfiles
        self.readPoints = readPoints
        self.absentAfter = config.dedup.absentAfter
        self.dedup = config.dedup
        var sensorZones: [SourceID: ZoneID] = [:]
        for (index, device) in config.devices.enumerated() {
            guard case .modbus(let modbus) = device.connection, device.profile.kind == .temperatureSensor,
                let zone = zones.id(of: modbus.zone)
            else { continue }
            sensorZones[SourceID(index)] = ZoneID(zone)
        }
        var zoneClasses: [ZoneID: ColdChainMonitor.ZoneClass] = [:]
        for zone in config.zones {
            // The config loader has checked the class exists and its limits are consistent.
            guard let name = zone.temperatureClass, let id = zones.id(of: zone.name),
                let limits = config.coldChain.classes[name].flatMap(Self.limits)
            else { continue }
            zoneClasses[ZoneID(id)] = ColdChainMonitor.ZoneClass(name: name, limits: limits)
        }
        self.coldChain = ColdChainMonitor(
            sensors: sensorZones,
            zoneClasses: zoneClasses,
            classes: config.coldChain.classes.compactMapValues(Self.limits)
        )
        self.transport = TransportTracker.Configuration(
            zoneRoles: config.zones.map { $0.type },
            dwellLimits: config.transport.dwell
        )
    }

    /// A class's limits as the cold chain takes them; nil when they are inconsistent (the config
    /// loader has reported that already).
    static func limits(of temperatureClass: TemperatureClass) -> TemperatureLimits? {
        try? TemperatureLimits(
            min: temperatureClass.min,
            max: temperatureClass.max,
            alarmDelay: temperatureClass.alarmDelay,
            clearHysteresis: temperatureClass.clearHysteresis,
            cumulative: temperatureClass.cumulative.flatMap {
                try? CumulativeLimit(
                    limit: $0.limit,
                    side: $0.above ? .above : .below,
                    window: $0.window,
                    allowed: $0.allowed
                )
            },
            offlineAfter: temperatureClass.offlineAfter
        )
    }

    /// The id of the device named `name`, if configured.
    public func source(named name: String) -> SourceID? {
        sources.id(of: name).map { SourceID($0) }
    }

    /// A fresh pipeline for this site.
    public func makePipeline() -> Pipeline {
        Pipeline(
            configuration: .init(
                absentAfter: absentAfter,
                readPoints: readPoints,
                sourceCount: sources.count,
                coldChain: coldChain,
                lastSeenFlush: dedup.lastSeenFlush,
                maxTags: dedup.maxTags,
                transport: transport
            )
        )
    }
}
