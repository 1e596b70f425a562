import Glibc
import SortgateCore

extension SiteConfig {
    /// Loads and validates the site config at `path` and every device profile it names.
    ///
    /// Relative paths in the config are resolved against the config file's folder. A profile
    /// `NAME` is `NAME.yaml` in the first folder of `profiles_path` that has it, else in the first
    /// of `shippedProfileFolders` (the profiles that ship with sortgate) that has it. Every problem
    /// of the config and of its profiles is reported in one `ConfigError`.
    public static func load(path: String, shippedProfileFolders: [String] = []) throws(ConfigError) -> SiteConfig {
        let loader = SiteConfigLoader(file: path, shippedProfileFolders: shippedProfileFolders)
        let config = loader.load()
        if let config, loader.isClean { return config }
        throw ConfigError(collectedFrom: loader.logs)
    }

    /// Loads and validates one device profile file (see `DeviceProfile.load(path:)`).
    public static func loadProfile(path: String) throws(ConfigError) -> DeviceProfile {
        try DeviceProfile.load(path: path)
    }
}

/// Reads one site config, section by section, checking cross-references as it goes.
///
/// Sections that others refer to (brokers, cold-chain classes, zones) are read before the ones
/// that refer to them, whatever their order in the file; the diagnostics are sorted into file
/// order at the end. A name section that cannot be read at all (`zones: 3`) is reported once and
/// references to it are not checked, rather than reporting every reference as undeclared.
final class SiteConfigLoader {
    let file: String
    let folder: String
    let shippedProfileFolders: [String]
    let log: ConfigDiagnosticLog
    /// One log per profile file, in the order devices first name them.
    private(set) var profileLogs: [ConfigDiagnosticLog] = []
    /// Loaded profiles by resolved path; nil for a profile file with problems (reported once).
    var profileCache: [String: DeviceProfile?] = [:]

    /// The site's name, for default client ids.
    var site: String?
    /// `profiles_path` as written (for messages) and resolved; nil when it could not be read.
    var profileFoldersWritten: [String]? = SiteConfig.defaultProfilesPath
    var profileFolders: [String]?
    /// Declared names, in file order; nil when the section could not be read.
    var brokerNames: [String]? = []
    var classNames: [String]? = []
    var zoneNames: [String]?
    /// Line of each device id's first use, for duplicate ids.
    var deviceIDLines: [String: Int] = [:]
    /// `ring.path`, resolved; nil when not given.
    var ringFile: String?

    static let topLevelKeys = [
        "site", "database", "profiles_path", "max_payload", "status_interval", "quarantine_limit", "brokers", "zones",
        "devices", "dedup", "cold_chain", "alerts", "http", "transport", "ring", "central",
    ]

    init(file: String, shippedProfileFolders: [String]) {
        self.file = file
        self.folder = ConfigSyntax.folder(of: file)
        self.shippedProfileFolders = shippedProfileFolders
        self.log = ConfigDiagnosticLog(file: file)
        self.profileFolders = SiteConfig.defaultProfilesPath.map { ConfigSyntax.resolve($0, against: folder) }
    }

    var logs: [ConfigDiagnosticLog] { [log] + profileLogs }

    var isClean: Bool { logs.allSatisfy(\.isEmpty) }

    /// Adds the log of a profile file, so its diagnostics follow the config's.
    func addProfileLog(_ profileLog: ConfigDiagnosticLog) {
        profileLogs.append(profileLog)
    }

    func resolve(_ path: String) -> String { ConfigSyntax.resolve(path, against: folder) }

    // MARK: - Top level

    func load() -> SiteConfig? {
        guard let root = YAMLDocument.load(path: file, what: "config file", log: log) else { return nil }
        guard
            var top = YAMLMapping(
                root,
                path: "",
                expected: "a site config: a mapping with site, database, zones and devices",
                log: log
            )
        else { return nil }
        top.reportUnknownKeys(known: Self.topLevelKeys)

        site = top.required("site", "the site's name, e.g. demo-sorting-center") {
            $0.text($1, expected: "the site's name", log: log)
        }
        let database = top.required("database", "sqlite: PATH or postgres: URL") { readDatabase($0, $1) }
        if let node = top["profiles_path"], !node.isNull {
            readProfilesPath(node, top.path("profiles_path"))
        }
        let maxPayload = top.optional("max_payload") {
            $0.byteSize($1, in: 1...SiteConfig.maximumMaxPayload, log: log)
        }
        let statusInterval = top.optional("status_interval") { $0.duration($1, log: log, allowBareZero: true) }
        let quarantineLimit = top.optional("quarantine_limit") {
            $0.integer($1, expected: "a number of events from 0 to 10000000", in: 0...10_000_000, log: log)
        }

        var ring: EventRing.Configuration? = SiteConfig.defaultRing
        if let node = top["ring"], !node.isNull {
            ring = readRing(node, top.path("ring"), maxPayload: maxPayload ?? SiteConfig.defaultMaxPayload)
        } else if let maxPayload, maxPayload + 1024 > SiteConfig.defaultRing.maxMessageBytes {
            ring!.maxMessageBytes = maxPayload + 1024
            if let problem = ring!.problem, let node = top["max_payload"] {
                log.error(
                    at: node,
                    path: "max_payload",
                    "\(problem); add a ring section with more slots or larger slot_size"
                )
                ring = nil
            }
        }
        let brokers = readBrokers(top)
        let coldChain = top.optional("cold_chain") { readColdChain($0, $1) }
        if top.contains("cold_chain"), coldChain == nil, top["cold_chain"]?.isNull == false { classNames = nil }
        let zones = top.required("zones", "the zones of the site, e.g. dock-in-1: {type: dock-in}") {
            readZones($0, $1)
        }
        let dedup = top.optional("dedup") { readDedup($0, $1) }
        let transport = top.optional("transport") { readTransport($0, $1) }
        if let transport, transport.epcisLocation != nil, let zones, let zonesNode = top["zones"] {
            checkZoneLocations(zones, zonesNode, top.path("zones"))
        }
        let alerts = top.optional("alerts") { readAlerts($0, $1) }
        var http: HTTPConfig?
        if let node = top["http"] {
            http = node.isNull ? HTTPConfig() : readHTTP(node, top.path("http"))
        }
        let central = top.optional("central") { readCentral($0, $1) }
        let devices = top.required("devices", "the devices to read, or [] for none") { node, path -> [DeviceConfig]? in
            node.isNull ? [] : node.list(path, expected: "a list of devices", log: log) { readDevice($0, $1) }
        }

        if case .postgres = database, let node = top.pair("central")?.keyNode {
            log.error(
                at: node,
                path: "central",
                "central ships a gateway's SQLite facts to PostgreSQL; this config's database is already "
                    + "PostgreSQL (a hub config): remove central, or give database: {sqlite: PATH}"
            )
        }
        guard let site, let database, let zones, let devices, let ring, isClean else { return nil }
        return SiteConfig(
            file: file,
            site: site,
            database: database,
            profilesPath: profileFolders ?? [],
            maxPayload: maxPayload ?? SiteConfig.defaultMaxPayload,
            quarantineLimit: quarantineLimit ?? SiteConfig.defaultQuarantineLimit,
            statusInterval: statusInterval == .zero ? nil : statusInterval,
            brokers: brokers ?? [:],
            zones: zones,
            devices: devices,
            dedup: dedup ?? DedupConfig(),
            coldChain: coldChain ?? ColdChainConfig(),
            alerts: alerts ?? AlertsConfig(),
            http: http,
            transport: transport ?? TransportConfig(),
            ring: ring,
            ringFile: ringFile,
            central: central
        )
    }

    // MARK: - Database and paths

    func readDatabase(_ node: YAMLNode, _ path: String) -> DatabaseLocation? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a mapping with sqlite: PATH or postgres: URL",
                log: log
            )
        else { return nil }
        map.reportUnknownKeys(known: ["sqlite"] + Self.postgresKeys)
        if map.contains("sqlite"), let postgres = map.pair("postgres") {
            log.error(at: postgres.keyNode, path: path, "give sqlite or postgres, not both")
            return nil
        }
        if map.contains("postgres") {
            // A hub's database: the reading commands and `replay` work on it; `sortgate run` keeps
            // its facts in SQLite and ships them with `central` (the gateway refuses to run on it).
            return readPostgres(map).map { .postgres($0) }
        }
        if map.contains("sqlite") {
            return map.optional("sqlite") { node, path in
                node.text(path, expected: "the path of the SQLite file", log: log).map { .sqlite(path: resolve($0)) }
            } ?? nullValue(map, "sqlite", "the path of the SQLite file")
        }
        map.reportMissing("sqlite", "the path of the SQLite file; or postgres: URL")
        return nil
    }

    /// `path` when this process can read it; otherwise reports why (`sortgate run` would stop there,
    /// so check-config refuses it first) and returns nil.
    func readableFile(_ path: String, _ node: YAMLNode, _ keyPath: String) -> String? {
        guard access(path, R_OK) != 0 else { return path }
        let reason = String(cString: strerror(errno))
        log.error(at: node, path: keyPath, "cannot read '\(path)': \(reason)")
        return nil
    }

    /// Reports `key: expected …, got nothing` for a key given without a value; returns nil.
    func nullValue<T>(_ map: YAMLMapping, _ key: String, _ expected: String) -> T? {
        if let node = map[key], node.isNull {
            log.error(at: node, path: map.path(key), "expected \(expected), got nothing")
        }
        return nil
    }

    func readProfilesPath(_ node: YAMLNode, _ path: String) {
        let expected = "a list of folders, e.g. [Devices, ../Devices]"
        var written: [String]?
        if case .sequence = node.content {
            written = node.list(path, expected: expected, log: log) { $0.text($1, expected: "a folder", log: log) }
        } else {
            // A single folder is accepted as a list of one.
            written = node.text(path, expected: expected, log: log).map { [$0] }
        }
        profileFoldersWritten = written
        profileFolders = written?.map(resolve)
    }

    // MARK: - Brokers

    func readBrokers(_ top: YAMLMapping) -> [String: BrokerConfig]? {
        guard let node = top["brokers"], !node.isNull else { return nil }
        guard let map = YAMLMapping(node, path: "brokers", expected: "a mapping of broker names to brokers", log: log)
        else {
            brokerNames = nil
            return nil
        }
        brokerNames = map.pairs.map(\.key)
        var brokers: [String: BrokerConfig] = [:]
        for pair in map.pairs {
            if let broker = readBroker(name: pair.key, pair.value, map.path(pair.key)) { brokers[pair.key] = broker }
        }
        return brokers
    }

    static let brokerKeys = [
        "host", "port", "client_id", "clean_session", "keepalive", "protocol", "username", "password_file", "tls",
    ]

    func readBroker(name: String, _ node: YAMLNode, _ path: String) -> BrokerConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a broker mapping with host and port", log: log)
        else { return nil }
        map.reportUnknownKeys(known: Self.brokerKeys, ignoring: ["password"])
        refuseWrittenPassword(map)
        let host = map.required("host", "the broker's host name or IP address") {
            $0.text($1, expected: "a host name or IP address", log: log)
        }
        let tls = map.optional("tls") { readTLS($0, $1) }
        let port = map.optional("port") {
            $0.integer($1, expected: "a port number from 1 to 65535", in: 1...65_535, log: log)
        }
        let clientID = map.optional("client_id") { $0.text($1, expected: "an MQTT client id", log: log) }
        let cleanSession = map.optional("clean_session") { $0.boolean($1, log: log) }
        let keepalive = map.optional("keepalive") { node, path -> Duration? in
            guard let value = node.duration(path, log: log) else { return nil }
            // libmosquitto refuses other keepalives (mosquitto_connect: MOSQ_ERR_INVAL).
            let (seconds, attoseconds) = value.components
            guard attoseconds == 0, (5...65_535).contains(seconds) else {
                log.error(
                    at: node,
                    path: path,
                    "expected whole seconds from 5s to 65535s (what MQTT and libmosquitto accept), "
                        + "got \(node.shortDescription)"
                )
                return nil
            }
            return value
        }
        let version = map.optional("protocol") { $0.choice($1, MQTTProtocolVersion.allCases, log: log) }
        let username = map.optional("username") { $0.text($1, expected: "a user name", log: log) }
        let passwordFile = map.optional("password_file") { node, path -> String? in
            node.text(path, expected: "the path of a file holding the password", log: log).map(resolve)
                .flatMap { readableFile($0, node, path) }
        }
        if passwordFile != nil, !map.contains("username"), let node = map["password_file"] {
            log.error(
                at: node,
                path: map.path("password_file"),
                "MQTT sends a password only with a user name; add username"
            )
        }
        guard let host else { return nil }
        return BrokerConfig(
            name: name,
            host: host,
            port: port ?? (tls == nil ? 1883 : 8883),
            clientID: clientID ?? "sortgate-\(site ?? "")",
            cleanSession: cleanSession ?? false,
            keepalive: keepalive ?? .seconds(30),
            protocolVersion: version ?? .mqttv311,
            username: username,
            passwordFile: passwordFile,
            tls: tls
        )
    }

    func readTLS(_ node: YAMLNode, _ path: String) -> TLSConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with ca, and cert and key", log: log)
        else { return nil }
        map.reportUnknownKeys(known: ["ca", "cert", "key"])
        let file: (YAMLNode, String) -> String? = { node, path in
            node.text(path, expected: "the path of a PEM file", log: self.log).map(self.resolve)
                .flatMap { self.readableFile($0, node, path) }
        }
        let ca = map.required("ca", "the CA certificate that signed the broker's certificate") { file($0, $1) }
        let cert = map.optional("cert", file)
        let key = map.optional("key", file)
        if map.contains("cert") != map.contains("key") {
            let missing = map.contains("cert") ? "key" : "cert"
            log.error(at: node, path: path, "cert and key go together; add \(missing)")
            return nil
        }
        guard let ca else { return nil }
        return TLSConfig(ca: ca, cert: cert, key: key)
    }

    // MARK: - Zones and cold chain

    func readZones(_ node: YAMLNode, _ path: String) -> [ZoneConfig]? {
        guard let map = YAMLMapping(node, path: path, expected: "a mapping of zone names to zones", log: log) else {
            return nil
        }
        zoneNames = map.pairs.map(\.key)
        if map.pairs.isEmpty {
            log.error(at: node, path: path, "declare at least one zone, e.g. dock-in-1: {type: dock-in}")
            return nil
        }
        var zones: [ZoneConfig] = []
        for pair in map.pairs {
            if let zone = readZone(name: pair.key, pair.value, map.path(pair.key)) { zones.append(zone) }
        }
        return zones.count == map.pairs.count ? zones : nil
    }

    func readZone(name: String, _ node: YAMLNode, _ path: String) -> ZoneConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a zone mapping such as {type: dock-in}", log: log)
        else { return nil }
        map.reportUnknownKeys(known: ["type", "class", "sgln"])
        let type = map.required("type", ConfigWording.alternatives(ZoneType.allCases.map(\.rawValue))) {
            $0.choice($1, ZoneType.allCases, log: log)
        }
        let temperatureClass = map.optional("class") { node, path -> String? in
            guard let name = node.text(path, expected: "the name of a class under cold_chain.classes", log: log)
            else { return nil }
            checkReference(
                name,
                at: node,
                path: path,
                declared: classNames,
                kind: "class",
                section: "cold_chain.classes"
            )
            return name
        }
        let sgln = map.optional("sgln") { node, path -> SGLNLocation? in
            guard let text = node.text(path, expected: "an SGLN URI such as urn:epc:id:sgln:4012345.00001.7", log: log)
            else { return nil }
            switch SGLNLocation.parse(text) {
            case .success(let location): return location
            case .failure(let problem):
                log.error(at: node, path: path, problem.reason)
                return nil
            }
        }
        guard let type else { return nil }
        return ZoneConfig(name: name, type: type, temperatureClass: temperatureClass, sgln: sgln)
    }

    func readColdChain(_ node: YAMLNode, _ path: String) -> ColdChainConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with classes", log: log) else { return nil }
        map.reportUnknownKeys(known: ["classes"])
        guard let classesNode = map["classes"], !classesNode.isNull else { return ColdChainConfig() }
        guard
            let classes = YAMLMapping(
                classesNode,
                path: map.path("classes"),
                expected: "a mapping of class names to ranges, e.g. chilled: {min: 2, max: 8}",
                log: log
            )
        else { return nil }
        classNames = classes.pairs.map(\.key)
        var result: [String: TemperatureClass] = [:]
        for pair in classes.pairs {
            if let value = readTemperatureClass(pair.value, classes.path(pair.key)) { result[pair.key] = value }
        }
        return ColdChainConfig(classes: result)
    }

    func readTemperatureClass(_ node: YAMLNode, _ path: String) -> TemperatureClass? {
        guard var map = YAMLMapping(node, path: path, expected: "a range such as {min: 2, max: 8}", log: log)
        else { return nil }
        map.reportUnknownKeys(known: [
            "min", "max", "alarm_delay", "clear_hysteresis", "offline_after", "cumulative", "mkt_window",
        ])
        let min = map.optional("min") { $0.number($1, expected: "a temperature in °C", log: log) }
        let max = map.optional("max") { $0.number($1, expected: "a temperature in °C", log: log) }
        if !map.contains("min"), !map.contains("max") {
            log.error(at: node, path: path, "give min, max or both, in °C")
        }
        if let min, let max, min >= max, let node = map["max"] {
            log.error(at: node, path: map.path("max"), "max (\(max)) must be above min (\(min))")
        }
        let alarmDelay = map.optional("alarm_delay") { $0.duration($1, log: log) }
        let offlineAfter = map.optional("offline_after") { $0.duration($1, log: log) }
        let cumulative = map.optional("cumulative") { readCumulativeLimit($0, $1) }
        let mktWindow = map.optional("mkt_window") { $0.duration($1, log: log, allowZero: false) }
        let hysteresis = map.optional("clear_hysteresis") { node, path -> Double? in
            guard let value = node.number(path, expected: "a temperature difference in °C", log: log) else {
                return nil
            }
            guard value >= 0 else {
                log.error(
                    at: node,
                    path: path,
                    "expected a temperature difference of 0 or more, got \(node.shortDescription)"
                )
                return nil
            }
            if let min, let max, min < max, value >= max - min {
                log.error(
                    at: node,
                    path: path,
                    "must be smaller than the range it applies to (max - min = \(max - min))"
                )
                return nil
            }
            return value
        }
        guard map.contains("min") || map.contains("max") else { return nil }
        return TemperatureClass(
            min: min,
            max: max,
            alarmDelay: alarmDelay ?? .seconds(300),
            clearHysteresis: hysteresis ?? 0.5,
            offlineAfter: offlineAfter ?? .seconds(600),
            cumulative: cumulative,
            mktWindow: mktWindow ?? .seconds(86_400)
        )
    }

    func readCumulativeLimit(_ node: YAMLNode, _ path: String) -> CumulativeExposureLimit? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a limit such as {limit: 8, window: 24h, allowed: 60m}",
                log: log
            )
        else { return nil }
        map.reportUnknownKeys(known: ["limit", "side", "window", "allowed"])
        let limit = map.required("limit", "a temperature in °C") {
            $0.number($1, expected: "a temperature in °C", log: log)
        }
        let side = map.optional("side") { node, path -> Bool? in
            switch node.scalar?.text {
            case "above": return true
            case "below": return false
            default:
                log.error(at: node, path: path, "expected above or below, got \(node.shortDescription)")
                return nil
            }
        }
        let window = map.required("window", "a duration such as 24h") { $0.duration($1, log: log) }
        let allowed = map.required("allowed", "a duration such as 60m") { $0.duration($1, log: log) }
        guard let limit, let window, let allowed else { return nil }
        guard (allowed < window) && (allowed > Duration.zero) else {
            log.error(
                at: node,
                path: path,
                "allowed (\(allowed)) must be more than 0 and shorter than window (\(window))"
            )
            return nil
        }
        return CumulativeExposureLimit(limit: limit, above: side ?? true, window: window, allowed: allowed)
    }

    // MARK: - Dedup, alerts, HTTP

    func readDedup(_ node: YAMLNode, _ path: String) -> DedupConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with absent_after", log: log) else {
            return nil
        }
        map.reportUnknownKeys(known: ["absent_after", "last_seen_flush", "max_tags"])
        let absentAfter = map.optional("absent_after") { $0.duration($1, log: log, allowZero: false) }
        let lastSeenFlush = map.optional("last_seen_flush") { $0.duration($1, log: log, allowZero: false) }
        let maxTags = map.optional("max_tags") {
            $0.integer($1, expected: "a number of tags from 1000 to 100000000", in: 1000...100_000_000, log: log)
        }
        return DedupConfig(
            absentAfter: absentAfter ?? .seconds(30),
            lastSeenFlush: lastSeenFlush ?? DedupConfig().lastSeenFlush,
            maxTags: maxTags ?? DedupConfig().maxTags
        )
    }

    func readAlerts(_ node: YAMLNode, _ path: String) -> AlertsConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with mqtt and/or webhook", log: log) else {
            return nil
        }
        map.reportUnknownKeys(known: ["mqtt", "webhook"])
        let mqtt = map.optional("mqtt") { node, path -> AlertMQTTRoute? in
            guard var route = YAMLMapping(node, path: path, expected: "a mapping with broker and topic", log: log)
            else { return nil }
            route.reportUnknownKeys(known: ["broker", "topic", "qos"])
            let broker = route.required("broker", "the name of a broker under brokers", brokerReference)
            let topic = route.required("topic", "the topic to publish alerts to, e.g. sortgate/alerts") {
                node,
                path -> String? in
                guard let topic = node.text(path, expected: "an MQTT topic", log: log) else { return nil }
                if let problem = ConfigSyntax.topicNameProblem(topic) {
                    log.error(at: node, path: path, problem)
                    return nil
                }
                return topic
            }
            let qos = route.optional("qos") { $0.integer($1, expected: "0, 1 or 2", in: 0...2, log: log) }
            guard let broker, let topic else { return nil }
            return AlertMQTTRoute(broker: broker, topic: topic, qos: qos ?? 1)
        }
        let webhook = map.optional("webhook") { node, path -> AlertWebhookRoute? in
            guard var route = YAMLMapping(node, path: path, expected: "a mapping with url", log: log) else {
                return nil
            }
            route.reportUnknownKeys(known: ["url", "timeout"])
            let url = route.required("url", "the URL to POST alerts to") { node, path -> String? in
                guard let url = node.text(path, expected: "a URL", log: log) else { return nil }
                if let problem = ConfigSyntax.webURLProblem(url) {
                    log.error(at: node, path: path, "\(problem), got \(node.shortDescription)")
                    return nil
                }
                return url
            }
            let timeout = route.optional("timeout") { $0.duration($1, log: log, allowZero: false) }
            guard let url else { return nil }
            return AlertWebhookRoute(url: url, timeout: timeout ?? .seconds(5))
        }
        return AlertsConfig(mqtt: mqtt, webhook: webhook)
    }

    func readHTTP(_ node: YAMLNode, _ path: String) -> HTTPConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with bind, port and token_file", log: log)
        else { return nil }
        map.reportUnknownKeys(known: ["bind", "port", "token_file"])
        let bind = map.optional("bind") { $0.text($1, expected: "an IP address to listen on", log: log) }
        let port = map.optional("port") {
            $0.integer($1, expected: "a port number from 1 to 65535", in: 1...65_535, log: log)
        }
        let tokenFile = map.optional("token_file") { node, path in
            node.text(path, expected: "the path of a file holding the API token", log: log).map(resolve)
        }
        if let bind, !ConfigSyntax.isLoopback(bind), !map.contains("token_file"), let node = map["bind"] {
            log.error(
                at: node,
                path: map.path("bind"),
                "binding \(bind) opens the API beyond this machine, which requires a token; "
                    + "add token_file, or bind 127.0.0.1"
            )
        }
        return HTTPConfig(bind: bind ?? "127.0.0.1", port: port ?? 8080, tokenFile: tokenFile)
    }

    // MARK: - References

    /// A `broker:` value: the name of a broker declared under `brokers`.
    func brokerReference(_ node: YAMLNode, _ path: String) -> String? {
        guard let name = node.text(path, expected: "a broker name", log: log) else { return nil }
        checkReference(name, at: node, path: path, declared: brokerNames, kind: "broker", section: "brokers")
        return name
    }

    /// Reports `name` when the section it refers to is known and does not declare it.
    func checkReference(
        _ name: String,
        at node: YAMLNode,
        path: String,
        declared: [String]?,
        kind: String,
        section: String
    ) {
        guard let declared, !declared.contains(name) else { return }
        if declared.isEmpty {
            log.error(at: node, path: path, "no \(kind) '\(name)': \(section) declares none; add it there")
            return
        }
        var message = "no \(kind) '\(name)' in \(section)"
        if let suggestion = ConfigWording.suggestion(for: name, among: declared) {
            message += "; did you mean '\(suggestion)'?"
        } else {
            message += " (declared: \(declared.joined(separator: ", ")))"
        }
        log.error(at: node, path: path, message)
    }
}
