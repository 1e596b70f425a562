import Foundation

/// Reading `devices`: each device's profile, connection, read points and zone.
///
/// Which keys a device takes depends on its profile's protocol. When the profile is missing or
/// broken, the protocol is guessed from the keys present (`topic` means MQTT, `modbus` means
/// Modbus), so that the rest of the device is still checked and reported in the same run.
extension SiteConfigLoader {
    static let deviceKeys = ["id", "profile"]
    static let mqttDeviceKeys = ["broker", "topic", "qos", "on_full", "read_points"]
    static let modbusDeviceKeys = ["modbus", "poll", "timeout", "zone"]
    static let modbusTCPKeys = ["host", "port"]
    static let modbusSerialKeys = ["serial", "baud", "parity", "data_bits", "stop_bits"]

    func readDevice(_ node: YAMLNode, _ path: String) -> DeviceConfig? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a device mapping with id, profile and its connection",
                log: log
            )
        else { return nil }
        var id: String?
        if let node = map["id"] {
            id = node.text(map.path("id"), expected: "a device id", log: log)
            if let value = id {
                if let first = deviceIDLines[value] {
                    log.error(
                        at: node,
                        path: map.path("id"),
                        "duplicate device id '\(value)' (first at line \(first)); give each device its own id"
                    )
                    id = nil
                } else {
                    deviceIDLines[value] = node.line
                }
            }
        }
        var profileName: String?
        var profile: DeviceProfile?
        if let node = map["profile"] {
            profileName = node.text(map.path("profile"), expected: "a profile name", log: log)
            if let profileName { profile = findProfile(profileName, at: node, path: map.path("profile")) }
        }

        let hasMQTTKeys = Self.mqttDeviceKeys.contains(where: map.contains)
        let hasModbusKeys = Self.modbusDeviceKeys.contains(where: map.contains)
        var protocolKind: DeviceProtocol?
        var mismatch = false
        if let profile, let profileName {
            protocolKind = profile.protocolKind
            let (own, foreign) = protocolKind == .mqtt ? (hasMQTTKeys, hasModbusKeys) : (hasModbusKeys, hasMQTTKeys)
            if foreign, !own {
                reportProtocolMismatch(map, profileName: profileName, profile: profile)
                mismatch = true
            }
        } else if hasMQTTKeys != hasModbusKeys {
            protocolKind = hasMQTTKeys ? .mqtt : .modbus
        }

        var connection: DeviceConnection?
        switch mismatch ? nil : protocolKind {
        case .mqtt:
            map.reportUnknownKeys(known: Self.deviceKeys + Self.mqttDeviceKeys, ignoring: Set(Self.modbusDeviceKeys))
            reportForeignKeys(map, Self.modbusDeviceKeys, own: .mqtt, profileName: profile == nil ? nil : profileName)
            connection = readMQTTConnection(map).map { .mqtt($0) }
        case .modbus:
            map.reportUnknownKeys(known: Self.deviceKeys + Self.modbusDeviceKeys, ignoring: Set(Self.mqttDeviceKeys))
            reportForeignKeys(map, Self.mqttDeviceKeys, own: .modbus, profileName: profile == nil ? nil : profileName)
            connection = readModbusConnection(map).map { .modbus($0) }
        case nil:
            map.reportUnknownKeys(known: Self.deviceKeys + Self.mqttDeviceKeys + Self.modbusDeviceKeys)
        }
        // Missing keys last, once unknown keys are known: a misspelt key is reported once, as unknown.
        if !map.contains("id") { map.reportMissing("id", "the device's unique name, e.g. dock1-reader") }
        if !map.contains("profile") {
            map.reportMissing("profile", "the device profile's name, e.g. impinj-r700 for Devices/impinj-r700.yaml")
        }
        guard let id, let profileName, let profile, let connection else { return nil }
        return DeviceConfig(id: id, profileName: profileName, profile: profile, connection: connection)
    }

    /// The device has only the other protocol's keys: one diagnostic naming both sides.
    private func reportProtocolMismatch(_ map: YAMLMapping, profileName: String, profile: DeviceProfile) {
        let isMQTT = profile.protocolKind == .mqtt
        let foreign = isMQTT ? Self.modbusDeviceKeys : Self.mqttDeviceKeys
        let present = map.pairs.filter { foreign.contains($0.key) }
        guard let first = present.first else { return }
        let own = isMQTT ? "broker, topic and read_points" : "modbus, poll and zone"
        let theirs = isMQTT ? "Modbus" : "MQTT"
        log.error(
            at: first.keyNode,
            path: map.path,
            "profile '\(profileName)' (\(profile.file)) is \(Self.describe(profile.protocolKind)) profile, but this "
                + "device has \(theirs) settings (\(present.map(\.key).joined(separator: ", "))); "
                + "give it \(own), or use \(Self.describe(isMQTT ? .modbus : .mqtt)) profile"
        )
    }

    /// Keys of the other protocol next to this one's: each is reported, naming the protocol.
    private func reportForeignKeys(_ map: YAMLMapping, _ foreign: [String], own: DeviceProtocol, profileName: String?) {
        let why =
            profileName.map { "profile '\($0)' is \(Self.describe(own)) profile" }
            ?? "this device has \(own == .mqtt ? "MQTT" : "Modbus") settings"
        let other = own == .mqtt ? "modbus" : "mqtt"
        for pair in map.pairs where foreign.contains(pair.key) {
            log.error(at: pair.keyNode, path: map.path(pair.key), "only \(other) devices take '\(pair.key)'; \(why)")
        }
    }

    /// `an mqtt`, `a modbus`: a protocol with its article, as messages use it.
    static func describe(_ kind: DeviceProtocol) -> String {
        kind == .mqtt ? "an mqtt" : "a modbus"
    }

    // MARK: - Profiles

    /// Finds, loads (once per file) and returns the profile `name`; reports an invalid name or
    /// one found in no folder. A profile with problems yields nil: its own file reports them.
    func findProfile(_ name: String, at node: YAMLNode, path: String) -> DeviceProfile? {
        if name.hasSuffix(".yaml") {
            let bare = String(name.dropLast(5))
            log.error(at: node, path: path, "name the profile without .yaml: '\(bare)'")
            return nil
        }
        if name.contains("/") || name.hasPrefix(".") {
            log.error(
                at: node,
                path: path,
                "'\(name)' is not a profile name; name a file of profiles_path without .yaml, e.g. impinj-r700"
            )
            return nil
        }
        guard let configFolders = profileFolders, let writtenFolders = profileFoldersWritten else { return nil }
        let folders = configFolders + shippedProfileFolders
        let fileName = "\(name).yaml"
        for folder in folders {
            let candidate = ConfigSyntax.normalize(folder + "/" + fileName)
            guard FileManager.default.fileExists(atPath: candidate) else { continue }
            if let cached = profileCache[candidate] { return cached }
            let profileLog = ConfigDiagnosticLog(file: candidate)
            let profile = DeviceProfile.read(path: candidate, log: profileLog)
            profileCache[candidate] = profile
            addProfileLog(profileLog)
            return profile
        }
        var listed = Set<String>()
        let searched = (writtenFolders + shippedProfileFolders).filter { listed.insert($0).inserted }
            .joined(separator: ", ")
        var message = "no profile '\(name)' in \(searched) (looked for \(fileName))"
        if let suggestion = ConfigWording.suggestion(for: name, among: availableProfiles(in: folders)) {
            message += "; did you mean '\(suggestion)'?"
        }
        log.error(at: node, path: path, message)
        return nil
    }

    /// Names of the profiles in `folders`, for suggestions.
    private func availableProfiles(in folders: [String]) -> [String] {
        var names: [String] = []
        for folder in folders {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for entry in entries.sorted() where entry.hasSuffix(".yaml") && !entry.hasPrefix(".") {
                let name = String(entry.dropLast(5))
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    // MARK: - MQTT devices

    private func readMQTTConnection(_ map: YAMLMapping) -> MQTTDeviceConfig? {
        let broker = map.required("broker", "the name of a broker under brokers", brokerReference)
        let topic = map.required("topic", "the MQTT topic filter the device publishes to, e.g. readers/dock1/events") {
            node,
            path -> String? in
            guard let topic = node.text(path, expected: "an MQTT topic filter", log: log) else { return nil }
            if let problem = ConfigSyntax.topicFilterProblem(topic) {
                log.error(at: node, path: path, "\(problem), got \(node.shortDescription)")
                return nil
            }
            return topic
        }
        let qos = map.optional("qos") { $0.integer($1, expected: "0, 1 or 2", in: 0...2, log: log) }
        let onFull = map.optional("on_full") { $0.choice($1, FullPolicy.allCases, log: log) }
        let readPoints = map.required("read_points", "the zone of each antenna, e.g. 1: dock-in-1") {
            readReadPoints($0, $1)
        }
        guard let broker, let topic, let readPoints else { return nil }
        return MQTTDeviceConfig(
            broker: broker,
            topic: topic,
            qos: qos ?? 1,
            onFull: onFull ?? .block,
            readPoints: readPoints.antennas,
            defaultZone: readPoints.otherAntennas
        )
    }

    /// `read_points`: antenna port → zone, with `"*"` for every antenna not listed.
    private func readReadPoints(_ node: YAMLNode, _ path: String) -> (
        antennas: [UInt16: String], otherAntennas: String?
    )? {
        guard
            let map = YAMLMapping(
                node,
                path: path,
                expected: "a mapping of antenna ports to zones, e.g. {1: dock-in-1, \"*\": dock-in-2}",
                log: log
            )
        else { return nil }
        if map.pairs.isEmpty {
            log.error(at: node, path: path, "map at least one antenna to a zone, or \"*\" for every antenna")
            return nil
        }
        var antennas: [UInt16: String] = [:]
        var antennaLines: [UInt16: Int] = [:]
        var otherAntennas: String?
        var complete = true
        for pair in map.pairs {
            let pointPath = map.path(pair.key)
            let zone = pair.value.text(pointPath, expected: "a zone name", log: log)
            if let zone {
                checkReference(
                    zone,
                    at: pair.value,
                    path: pointPath,
                    declared: zoneNames,
                    kind: "zone",
                    section: "zones"
                )
            }
            if pair.key == "*" {
                otherAntennas = zone
            } else if let antenna = Self.antennaPort(pair.key) {
                if let first = antennaLines[antenna] {
                    log.error(
                        at: pair.keyNode,
                        path: pointPath,
                        "antenna \(antenna) is already mapped at line \(first); map each antenna once"
                    )
                    complete = false
                }
                antennaLines[antenna] = antennaLines[antenna] ?? pair.keyNode.line
                if let zone { antennas[antenna] = zone }
            } else {
                log.error(
                    at: pair.keyNode,
                    path: pointPath,
                    "expected an antenna port from 0 to 65535, or \"*\" (quoted) for every antenna not listed, "
                        + "got \(YAMLScalar.quoted(pair.key))"
                )
                complete = false
            }
            if zone == nil { complete = false }
        }
        return complete ? (antennas, otherAntennas) : nil
    }

    /// An antenna port written as decimal digits (quoted or not), 0…65535.
    static func antennaPort(_ key: String) -> UInt16? {
        guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return UInt16(key)
    }

    // MARK: - Modbus devices

    private func readModbusConnection(_ map: YAMLMapping) -> ModbusDeviceConfig? {
        let endpoint = map.required("modbus", "host and port (Modbus TCP) or serial and baud (RTU), and unit") {
            readModbusEndpoint($0, $1)
        }
        let poll = map.optional("poll") { $0.duration($1, log: log, allowZero: false) }
        let timeout = map.optional("timeout") { $0.duration($1, log: log, allowZero: false) }
        let effectivePoll = poll ?? .seconds(10)
        let effectiveTimeout = timeout ?? .milliseconds(500)
        if effectiveTimeout > effectivePoll, let node = map["timeout"] ?? map["poll"] {
            log.error(
                at: node,
                path: map.path(map.contains("timeout") ? "timeout" : "poll"),
                "the timeout (\(ConfigSyntax.format(effectiveTimeout))) must not be longer than the poll interval "
                    + "(\(ConfigSyntax.format(effectivePoll)))"
            )
        }
        let zone = map.required("zone", "the zone the device measures") { node, path -> String? in
            guard let zone = node.text(path, expected: "a zone name", log: log) else { return nil }
            checkReference(zone, at: node, path: path, declared: zoneNames, kind: "zone", section: "zones")
            return zone
        }
        guard let endpoint, let zone else { return nil }
        return ModbusDeviceConfig(
            endpoint: endpoint.endpoint,
            unit: endpoint.unit,
            poll: effectivePoll,
            timeout: effectiveTimeout,
            zone: zone
        )
    }

    /// `modbus`: `{host, port, unit}` for Modbus TCP or `{serial, baud, parity, data_bits, stop_bits, unit}` for RTU.
    private func readModbusEndpoint(_ node: YAMLNode, _ path: String) -> (endpoint: ModbusEndpoint, unit: Int)? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a mapping such as {host: 127.0.0.1, port: 502, unit: 1} "
                    + "or {serial: /dev/ttyUSB0, baud: 9600, unit: 1}",
                log: log
            )
        else { return nil }
        map.reportUnknownKeys(known: Self.modbusTCPKeys + Self.modbusSerialKeys + ["unit"])
        if map.contains("host"), let serial = map.pair("serial") {
            log.error(at: serial.keyNode, path: path, "give host (Modbus TCP) or serial (Modbus RTU), not both")
            return nil
        }
        if map.contains("host") {
            for pair in map.pairs where Self.modbusSerialKeys.contains(pair.key) {
                log.error(at: pair.keyNode, path: map.path(pair.key), "only serial connections take '\(pair.key)'")
            }
            let host = map.required("host", "the device's host name or IP address") {
                $0.text($1, expected: "a host name or IP address", log: log)
            }
            let port = map.optional("port") {
                $0.integer($1, expected: "a port number from 1 to 65535", in: 1...65_535, log: log)
            }
            let unit = map.optional("unit") {
                $0.integer($1, expected: "a unit id from 0 to 255", in: 0...255, log: log)
            }
            guard let host else { return nil }
            return (.tcp(host: host, port: port ?? 502), unit ?? 1)
        }
        if map.contains("serial") {
            for pair in map.pairs where Self.modbusTCPKeys.contains(pair.key) {
                log.error(at: pair.keyNode, path: map.path(pair.key), "only Modbus TCP connections take '\(pair.key)'")
            }
            let device = map.required("serial", "the serial device, e.g. /dev/ttyUSB0") {
                $0.text($1, expected: "the path of a serial device", log: log)
            }
            let baud = map.required("baud", "the line speed, e.g. 9600") {
                $0.integer($1, expected: "a baud rate such as 9600 or 19200", in: 50...4_000_000, log: log)
            }
            let parity = map.optional("parity") { node, path -> ModbusParity? in
                let names: [String: ModbusParity] = [
                    "N": .none, "none": .none, "E": .even, "even": .even, "O": .odd, "odd": .odd,
                ]
                if let text = node.scalar?.text, let parity = names[text] { return parity }
                log.error(at: node, path: path, "expected N, E or O (none, even, odd), got \(node.shortDescription)")
                return nil
            }
            let dataBits = map.optional("data_bits") { $0.integer($1, expected: "5, 6, 7 or 8", in: 5...8, log: log) }
            let stopBits = map.optional("stop_bits") { $0.integer($1, expected: "1 or 2", in: 1...2, log: log) }
            // A serial line is shared by many units: a guessed unit id would poll the wrong device.
            let unit = map.required("unit", "the unit id of the device on the serial line, 1 to 247") {
                $0.integer($1, expected: "a unit id from 1 to 247", in: 1...247, log: log)
            }
            guard let device, let baud, let unit else { return nil }
            let endpoint = ModbusEndpoint.serial(
                path: device,
                baud: baud,
                parity: parity ?? .none,
                dataBits: dataBits ?? 8,
                stopBits: stopBits ?? 1
            )
            return (endpoint, unit)
        }
        map.reportMissing("host", "Modbus TCP; or serial, for Modbus RTU")
        return nil
    }
}
