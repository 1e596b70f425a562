public import SortgateCore

/// One site's configuration: where its data goes, its MQTT brokers, zones, devices and rules.
///
/// Loaded from YAML by `load(path:shippedProfileFolders:)`, which resolves every relative path
/// against the config file's folder, fills in the documented defaults, loads the device profile of
/// every device, and checks every cross-reference (zones, brokers, temperature classes), reporting
/// all problems at once as `file:line:column: problem`. A value of this type is therefore valid
/// and complete; tests may also build one in code with the memberwise initializers.
public struct SiteConfig: Sendable, Hashable {
    /// The config file's path as given to `load`.
    public var file: String
    /// The site's name, e.g. `demo-sorting-center`; the default MQTT client id is `sortgate-<site>`.
    public var site: String
    public var database: DatabaseLocation
    /// Folders searched for device profiles, resolved; the config key `profiles_path`.
    public var profilesPath: [String]
    /// Largest device message accepted, in bytes (default 65536); larger ones are rejected.
    public var maxPayload: Int
    /// Most rejected events kept in the quarantine (default 10000).
    public var quarantineLimit: Int
    /// How often to log a status line; nil when off (the default).
    public var statusInterval: Duration?
    /// MQTT brokers by name.
    public var brokers: [String: BrokerConfig]
    /// Zones in file order.
    public var zones: [ZoneConfig]
    /// Devices in file order.
    public var devices: [DeviceConfig]
    public var dedup: DedupConfig
    public var coldChain: ColdChainConfig
    public var alerts: AlertsConfig
    /// The HTTP API; nil when not configured, and then it does not start.
    public var http: HTTPConfig?
    /// Container journeys: dwell limits and EPCIS locations.
    public var transport: TransportConfig = TransportConfig()
    /// The event ring between the drivers and the pipeline (config `ring`; default `defaultRing`).
    public var ring: EventRing.Configuration
    /// `ring.path` as configured (resolved); see `ringFilePath` for the file actually used.
    public var ringFile: String?
    /// The central PostgreSQL this gateway ships its facts to; nil when it ships nowhere.
    public var central: CentralConfig?

    public init(
        file: String,
        site: String,
        database: DatabaseLocation,
        profilesPath: [String] = [],
        maxPayload: Int = SiteConfig.defaultMaxPayload,
        quarantineLimit: Int = SiteConfig.defaultQuarantineLimit,
        statusInterval: Duration? = nil,
        brokers: [String: BrokerConfig] = [:],
        zones: [ZoneConfig],
        devices: [DeviceConfig],
        dedup: DedupConfig = DedupConfig(),
        coldChain: ColdChainConfig = ColdChainConfig(),
        alerts: AlertsConfig = AlertsConfig(),
        http: HTTPConfig? = nil,
        transport: TransportConfig = TransportConfig(),
        ring: EventRing.Configuration = SiteConfig.defaultRing,
        ringFile: String? = nil,
        central: CentralConfig? = nil
    ) {
        self.central = central
        self.transport = transport
        self.file = file
        self.site = site
        self.database = database
        self.profilesPath = profilesPath
        self.maxPayload = maxPayload
        self.quarantineLimit = quarantineLimit
        self.statusInterval = statusInterval
        self.brokers = brokers
        self.zones = zones
        self.devices = devices
        self.dedup = dedup
        self.coldChain = coldChain
        self.alerts = alerts
        self.http = http
        self.ring = ring
        self.ringFile = ringFile
    }

    /// 64 KiB: larger than any reader's event batch seen in practice, small enough to bound memory.
    public static let defaultMaxPayload = 65_536
    public static let defaultQuarantineLimit = 10_000
    /// The largest `max_payload`: MQTT's largest packet (268 435 455 bytes, "remaining length").
    public static let maximumMaxPayload = 268_435_455
    /// `profiles_path` when the config does not set it, relative to the config file's folder.
    public static let defaultProfilesPath = ["Devices", "../Devices"]
}

/// Where derived facts are stored.
public enum DatabaseLocation: Sendable, Hashable {
    /// An SQLite file; the path is resolved against the config file's folder.
    case sqlite(path: String)
    /// A hub's PostgreSQL (the central database several gateways ship to): read by the reading
    /// commands and loaded by `replay`; `sortgate run` needs SQLite and ships with `central`.
    case postgres(PostgresConfig)
}

/// The MQTT protocol version spoken to a broker.
public enum MQTTProtocolVersion: String, Sendable, Hashable, CaseIterable {
    case mqttv31
    case mqttv311
    case mqttv5
}

/// One MQTT broker and how to connect to it.
///
/// Defaults follow the reliability contract: a fixed client id and a persistent session
/// (`clean_session: false`), so the broker keeps QoS 1 messages while the gateway reconnects.
public struct BrokerConfig: Sendable, Hashable {
    /// The broker's name in the config (the key under `brokers`).
    public var name: String
    public var host: String
    /// Default 1883, or 8883 with TLS.
    public var port: Int
    /// Default `sortgate-<site>`.
    public var clientID: String
    /// Default false.
    public var cleanSession: Bool
    /// Default 30 s; whole seconds from 5 s to 65535 s, as libmosquitto accepts.
    public var keepalive: Duration
    /// Default MQTT 3.1.1.
    public var protocolVersion: MQTTProtocolVersion
    public var username: String?
    /// A file holding the password (never the password itself), resolved against the config file's folder.
    public var passwordFile: String?
    public var tls: TLSConfig?

    public init(
        name: String,
        host: String,
        port: Int = 1883,
        clientID: String,
        cleanSession: Bool = false,
        keepalive: Duration = .seconds(30),
        protocolVersion: MQTTProtocolVersion = .mqttv311,
        username: String? = nil,
        passwordFile: String? = nil,
        tls: TLSConfig? = nil
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepalive = keepalive
        self.protocolVersion = protocolVersion
        self.username = username
        self.passwordFile = passwordFile
        self.tls = tls
    }
}

/// Files for a TLS connection to a broker, resolved against the config file's folder.
public struct TLSConfig: Sendable, Hashable {
    /// The CA certificate(s) that signed the broker's certificate (PEM).
    public var ca: String
    /// Client certificate and key, for brokers that authenticate clients by certificate; both or neither.
    public var cert: String?
    public var key: String?

    public init(ca: String, cert: String? = nil, key: String? = nil) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }
}

/// The kind of place a zone is, in the order goods pass through a sorting center: the type the
/// journey state machine knows zones by, so a config's zone types reach it untranslated.
public typealias ZoneType = TransportZoneRole

/// A named place of the site.
public struct ZoneConfig: Sendable, Hashable {
    public var name: String
    public var type: ZoneType
    /// The cold-chain class whose range applies to readings in this zone, if any.
    public var temperatureClass: String?
    /// The zone's own SGLN for EPCIS `readPoint`/`bizLocation` (config `sgln`), when set.
    public var sgln: SGLNLocation?

    public init(name: String, type: ZoneType, temperatureClass: String? = nil, sgln: SGLNLocation? = nil) {
        self.name = name
        self.type = type
        self.temperatureClass = temperatureClass
        self.sgln = sgln
    }
}

/// One device instance: which profile describes it and how to reach it.
public struct DeviceConfig: Sendable, Hashable {
    /// Unique within the site; the `source` of its events and capture lines.
    public var id: String
    /// The profile's name as written (`impinj-r700` for `impinj-r700.yaml`).
    public var profileName: String
    public var profile: DeviceProfile
    public var connection: DeviceConnection

    public init(id: String, profileName: String, profile: DeviceProfile, connection: DeviceConnection) {
        self.id = id
        self.profileName = profileName
        self.profile = profile
        self.connection = connection
    }
}

/// How a device is reached; always matches its profile's protocol.
public enum DeviceConnection: Sendable, Hashable {
    case mqtt(MQTTDeviceConfig)
    case modbus(ModbusDeviceConfig)
}

/// What the gateway does when the event ring is full and this device has another event.
public enum FullPolicy: String, Sendable, Hashable, CaseIterable {
    /// Wait, so that backpressure reaches the broker or the TCP connection (the default).
    case block
    /// Drop the oldest queued event of this source and count the drop.
    case dropOldest = "drop-oldest"
}

/// A device that publishes to an MQTT broker.
public struct MQTTDeviceConfig: Sendable, Hashable {
    /// The broker's name under `brokers`.
    public var broker: String
    /// The topic filter to subscribe to; may hold `+` and `#`.
    public var topic: String
    /// Subscription QoS, 0, 1 or 2 (default 1).
    public var qos: Int
    public var onFull: FullPolicy
    /// Zone of each antenna port listed under `read_points`.
    public var readPoints: [UInt16: String]
    /// Zone of every antenna not listed (the `"*"` read point), if any.
    public var defaultZone: String?

    public init(
        broker: String,
        topic: String,
        qos: Int = 1,
        onFull: FullPolicy = .block,
        readPoints: [UInt16: String],
        defaultZone: String? = nil
    ) {
        self.broker = broker
        self.topic = topic
        self.qos = qos
        self.onFull = onFull
        self.readPoints = readPoints
        self.defaultZone = defaultZone
    }
}

/// Serial line parity, as libmodbus takes it (`N`, `E`, `O`).
public enum ModbusParity: String, Sendable, Hashable, CaseIterable {
    case none = "N"
    case even = "E"
    case odd = "O"
}

/// Where a Modbus device is: a TCP address or a serial line (RTU).
public enum ModbusEndpoint: Sendable, Hashable {
    case tcp(host: String, port: Int)
    case serial(path: String, baud: Int, parity: ModbusParity, dataBits: Int, stopBits: Int)
}

/// A device the gateway polls over Modbus.
public struct ModbusDeviceConfig: Sendable, Hashable {
    public var endpoint: ModbusEndpoint
    /// The unit (slave) id: 1…247 on a serial line, 0…255 over TCP (default 1 over TCP).
    public var unit: Int
    /// Time between polls (default 10 s).
    public var poll: Duration
    /// Response timeout of one request (default 500 ms); never longer than `poll`.
    public var timeout: Duration
    /// The zone the device measures.
    public var zone: String

    public init(
        endpoint: ModbusEndpoint,
        unit: Int = 1,
        poll: Duration = .seconds(10),
        timeout: Duration = .milliseconds(500),
        zone: String
    ) {
        self.endpoint = endpoint
        self.unit = unit
        self.poll = poll
        self.timeout = timeout
        self.zone = zone
    }
}

/// Smoothing of raw reads into arrivals and departures.
public struct DedupConfig: Sendable, Hashable {
    /// An EPC not read for this long has departed its zone (default 30 s).
    public var absentAfter: Duration
    /// How often rows whose only change is a newer `last_seen` / more `reads` are written
    /// (event time, default 10 s); arrivals, moves and departures are written at once.
    public var lastSeenFlush: Duration
    /// The most EPCs held in memory (default 2 000 000; the memory an EPC costs is measured in the
    /// README's benchmark section); beyond it the EPC that departed longest ago is forgotten, and
    /// new EPCs are refused when all are present.
    public var maxTags: Int

    public init(
        absentAfter: Duration = .seconds(30),
        lastSeenFlush: Duration = Pipeline.Configuration.defaultLastSeenFlush,
        maxTags: Int = PresenceTracker.defaultCapacity
    ) {
        self.absentAfter = absentAfter
        self.lastSeenFlush = lastSeenFlush
        self.maxTags = maxTags
    }
}

/// The cold-chain rules of the site.
public struct ColdChainConfig: Sendable, Hashable {
    /// Temperature classes by name (`chilled`, `frozen`, …).
    public var classes: [String: TemperatureClass]

    public init(classes: [String: TemperatureClass] = [:]) {
        self.classes = classes
    }
}

/// A temperature range in °C with its alarm rules; at least one bound is set.
public struct TemperatureClass: Sendable, Hashable {
    public var min: Double?
    public var max: Double?
    /// How long a reading must stay out of range before the excursion is confirmed (default 5 min).
    public var alarmDelay: Duration
    /// How far back inside the range (°C) a reading must come to clear an excursion (default 0.5),
    /// so that a sensor hovering at the limit does not raise and clear alarms over and over.
    public var clearHysteresis: Double
    /// A sensor of a zone of this class that sends no reading for this long raises a
    /// `sensor-offline` alert (default 10 min; config `offline_after`).
    public var offlineAfter: Duration
    /// A WHO-style cumulative limit (config `cumulative: {limit, side, window, allowed}`): total
    /// time beyond `limit` within any rolling `window` must stay under `allowed`.
    public var cumulative: CumulativeExposureLimit?
    /// The rolling window of the class's mean kinetic temperature (config `mkt_window`, default
    /// 24 h; 30 d suits room-temperature goods).
    public var mktWindow: Duration

    public init(
        min: Double? = nil,
        max: Double? = nil,
        alarmDelay: Duration = .seconds(300),
        clearHysteresis: Double = 0.5,
        offlineAfter: Duration = .seconds(600),
        cumulative: CumulativeExposureLimit? = nil,
        mktWindow: Duration = .seconds(86_400)
    ) {
        self.min = min
        self.max = max
        self.alarmDelay = alarmDelay
        self.clearHysteresis = clearHysteresis
        self.offlineAfter = offlineAfter
        self.cumulative = cumulative
        self.mktWindow = mktWindow
    }
}

/// A cumulative temperature-exposure limit of a class, as configured.
public struct CumulativeExposureLimit: Sendable, Hashable {
    /// °C.
    public var limit: Double
    /// `above` (default) or `below` the limit counts as exposure.
    public var above: Bool
    public var window: Duration
    public var allowed: Duration

    public init(limit: Double, above: Bool = true, window: Duration, allowed: Duration) {
        self.limit = limit
        self.above = above
        self.window = window
        self.allowed = allowed
    }
}

/// Where cold-chain alerts are sent, besides the log and the database.
public struct AlertsConfig: Sendable, Hashable {
    public var mqtt: AlertMQTTRoute?
    public var webhook: AlertWebhookRoute?

    public init(mqtt: AlertMQTTRoute? = nil, webhook: AlertWebhookRoute? = nil) {
        self.mqtt = mqtt
        self.webhook = webhook
    }
}

/// Alerts published to an MQTT topic.
public struct AlertMQTTRoute: Sendable, Hashable {
    /// The broker's name under `brokers`.
    public var broker: String
    /// A topic name (no wildcards).
    public var topic: String
    /// Default 1.
    public var qos: Int

    public init(broker: String, topic: String, qos: Int = 1) {
        self.broker = broker
        self.topic = topic
        self.qos = qos
    }
}

/// Alerts POSTed to a URL.
public struct AlertWebhookRoute: Sendable, Hashable {
    public var url: String
    /// Default 5 s.
    public var timeout: Duration

    public init(url: String, timeout: Duration = .seconds(5)) {
        self.url = url
        self.timeout = timeout
    }
}

/// The HTTP API. Any bind address other than loopback requires a token file.
public struct HTTPConfig: Sendable, Hashable {
    /// Default `127.0.0.1`.
    public var bind: String
    /// Default 8080.
    public var port: Int
    /// A file holding the API token, resolved against the config file's folder.
    public var tokenFile: String?

    public init(bind: String = "127.0.0.1", port: Int = 8080, tokenFile: String? = nil) {
        self.bind = bind
        self.port = port
        self.tokenFile = tokenFile
    }
}

/// Config `transport`: how container journeys are judged and published.
public struct TransportConfig: Sendable, Hashable {
    /// The longest normal stay per zone type (`dwell: {staging: 2h}`); a longer one is a `dwell`
    /// anomaly. A type without a limit never dwells.
    public var dwell: [ZoneType: Duration]
    /// The site's SGLN (`epcis.location`): EPCIS names each zone by this GLN with the zone's name
    /// as extension, unless the zone has its own `sgln`. Nil when not configured.
    public var epcisLocation: SGLNLocation?

    public init(dwell: [ZoneType: Duration] = [:], epcisLocation: SGLNLocation? = nil) {
        self.dwell = dwell
        self.epcisLocation = epcisLocation
    }
}

extension SiteConfig {
    /// The SGLN of every zone, by name: its own `sgln`, else the site's `transport.epcis.location`
    /// with the zone name as extension; nil for a zone that has neither (the loader has checked
    /// that a zone name usable as an extension).
    public var zoneLocations: [String: SGLNLocation] {
        var result: [String: SGLNLocation] = [:]
        for zone in zones {
            if let own = zone.sgln {
                result[zone.name] = own
            } else if let site = transport.epcisLocation, case .success(let location) = site.withExtension(zone.name) {
                result[zone.name] = location
            }
        }
        return result
    }
}
