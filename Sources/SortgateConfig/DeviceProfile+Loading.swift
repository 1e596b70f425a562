extension DeviceProfile {
    /// Loads and validates the profile file at `path`, reporting every problem as
    /// `path:line:column: problem`.
    public static func load(path: String) throws(ConfigError) -> DeviceProfile {
        let log = ConfigDiagnosticLog(file: path)
        let profile = read(path: path, log: log)
        if let profile, log.isEmpty { return profile }
        throw ConfigError(collectedFrom: [log])
    }

    /// Reads the profile at `path`; nil, with the reasons in `log`, when it has any problem.
    static func read(path: String, log: ConfigDiagnosticLog) -> DeviceProfile? {
        guard let root = YAMLDocument.load(path: path, what: "device profile", log: log) else { return nil }
        let profile = DeviceProfileReader(file: path, log: log).read(root)
        return log.isEmpty ? profile : nil
    }
}

extension ConfigError {
    /// The diagnostics of several files, each file's sorted, files in the order given. Never
    /// empty: a loader that failed without saying why is a bug, and the operator is told so.
    init(collectedFrom logs: [ConfigDiagnosticLog]) {
        var diagnostics = logs.flatMap(\.sortedDiagnostics)
        if diagnostics.isEmpty {
            let file = logs.first?.file ?? ""
            diagnostics = [
                ConfigDiagnostic(
                    file: file,
                    line: 1,
                    column: 1,
                    message: "sortgate could not load this file but found no problem to report; please report this bug"
                )
            ]
        }
        self.init(diagnostics: diagnostics)
    }
}

/// The names a profile's `payload` takes.
private enum PayloadFormatName: String, CaseIterable {
    case impinjIoT = "impinj-iot"
    case zebraIoT = "zebra-iot"
    case json
}

/// The `unit`s a `temperature` register takes.
private enum TemperatureUnit: String, CaseIterable {
    case celsius
    case fahrenheit
}

/// Reads one device profile's YAML tree, reporting every problem.
struct DeviceProfileReader {
    let file: String
    let log: ConfigDiagnosticLog

    static let keys = ["model", "vendor", "kind", "protocol", "payload", "registers"]
    static let payloadKeys = [
        "format", "events", "epc", "epc_encoding", "antenna", "rssi", "rssi_unit", "time", "time_unit", "reads",
        "event_number",
    ]
    static let registerKeys = [
        "name", "table", "address", "type", "word_order", "byte_order", "scale", "offset", "unit",
    ]

    func read(_ root: YAMLNode) -> DeviceProfile? {
        guard var map = YAMLMapping(root, path: "", expected: "a mapping with model, kind and protocol", log: log)
        else { return nil }
        map.reportUnknownKeys(known: Self.keys)
        let model = map.required("model", "the device model, e.g. Impinj R700") {
            $0.text($1, expected: "a model name", log: log)
        }
        let vendor = map.optional("vendor") { $0.text($1, expected: "a vendor name", log: log) }
        let kind = map.required("kind", "rfid-reader or temperature-sensor") {
            $0.choice($1, DeviceKind.allCases, log: log)
        }
        let protocolKind = map.required("protocol", "mqtt or modbus") {
            $0.choice($1, DeviceProtocol.allCases, log: log)
        }
        var payload: PayloadFormat?
        var registers: [RegisterSpec] = []
        switch protocolKind {
        case .mqtt:
            if let pair = map.pair("registers") {
                log.error(
                    at: pair.keyNode,
                    "registers: only modbus profiles have registers; an mqtt profile decodes messages with payload"
                )
            }
            if kind == .temperatureSensor, let node = map["kind"] {
                log.error(
                    at: node,
                    path: "kind",
                    "temperature sensors are read over modbus; the MQTT payload formats decode tag reads only"
                )
            }
            payload = map.required("payload", "impinj-iot, zebra-iot or a mapping with format: json") {
                readPayload($0, $1)
            }
        case .modbus:
            if let pair = map.pair("payload") {
                log.error(
                    at: pair.keyNode,
                    "payload: only mqtt profiles have a payload; a modbus profile lists its registers"
                )
            }
            registers = map.required("registers", "the list of registers to poll") { readRegisters($0, $1) } ?? []
            let names = Self.writtenRegisterNames(map["registers"])
            if kind == .temperatureSensor, !names.isEmpty, !names.contains("temperature"), let node = map["registers"] {
                log.error(
                    at: node,
                    path: "registers",
                    "a temperature-sensor profile needs a register named 'temperature' (the one that feeds readings)"
                )
            }
            if kind == .rfidReader, !names.isEmpty, let node = map["registers"] {
                // A Modbus RFID reader exposes its last tag: the EPC as 16-bit words epc_1 … epc_N
                // (most significant first) and a counter of reads that changes when a tag is read.
                let words = names.filter { $0.hasPrefix("epc_") }
                let expected = (1...max(1, words.count)).map { "epc_\($0)" }
                if !names.contains("read_count") || words.isEmpty || Set(words) != Set(expected) {
                    log.error(
                        at: node,
                        path: "registers",
                        "a modbus rfid-reader profile needs registers epc_1 … epc_N (the EPC's 16-bit words, "
                            + "most significant first) and read_count (changes when a tag is read)"
                    )
                }
            }
        case nil:
            // The protocol is wrong or missing; still check what is there, to report it all in one go.
            _ = map.optional("payload") { readPayload($0, $1) }
            _ = map.optional("registers") { readRegisters($0, $1) }
        }
        guard let model, let kind, let protocolKind else { return nil }
        return DeviceProfile(
            file: file,
            model: model,
            vendor: vendor,
            kind: kind,
            protocolKind: protocolKind,
            payload: payload,
            registers: registers
        )
    }

    // MARK: - MQTT payload

    func readPayload(_ node: YAMLNode, _ path: String) -> PayloadFormat? {
        switch node.content {
        case .scalar(let scalar) where scalar.text == PayloadFormatName.json.rawValue:
            log.error(
                at: node,
                path: path,
                "a json payload is a mapping of JSON pointers, e.g. {format: json, epc: /epc, antenna: /antenna}"
            )
            return nil
        case .scalar(let scalar):
            switch PayloadFormatName(rawValue: scalar.text) {
            case .impinjIoT: return .impinjIoT
            case .zebraIoT: return .zebraIoT
            case .json, nil:
                let names = [PayloadFormatName.impinjIoT.rawValue, PayloadFormatName.zebraIoT.rawValue]
                log.error(
                    at: node,
                    path: path,
                    "expected impinj-iot, zebra-iot or a mapping with format: json, got \(node.shortDescription)"
                        + ConfigWording.didYouMean(scalar.text, among: names)
                )
                return nil
            }
        case .mapping:
            return readPayloadMapping(node, path)
        case .sequence:
            log.error(
                at: node,
                path: path,
                "expected impinj-iot, zebra-iot or a mapping with format: json, got \(node.shortDescription)"
            )
            return nil
        }
    }

    private func readPayloadMapping(_ node: YAMLNode, _ path: String) -> PayloadFormat? {
        guard var map = YAMLMapping(node, path: path, expected: "a payload mapping", log: log) else { return nil }
        map.reportUnknownKeys(known: Self.payloadKeys)
        let format = map.required("format", "json, for a mapping of JSON pointers") {
            $0.choice($1, PayloadFormatName.allCases, log: log)
        }
        switch format {
        case .impinjIoT, .zebraIoT:
            // The built-in formats have fixed fields: pointers given with them would be silently ignored.
            if let extra = map.pairs.first(where: { $0.key != "format" && Self.payloadKeys.contains($0.key) }) {
                log.error(
                    at: extra.keyNode,
                    path: map.path(extra.key),
                    "field pointers are only for format: json; \(format!.rawValue) decodes its own fields"
                )
                return nil
            }
            return format == .impinjIoT ? .impinjIoT : .zebraIoT
        case .json:
            let events = map.optional("events") { pointer($0, $1) }
            let epc = map.required("epc", "the JSON pointer to the EPC, e.g. /epc") { pointer($0, $1) }
            let encoding = map.optional("epc_encoding") {
                $0.choice($1, [JSONFieldMapping.EPCEncoding.hex, .base64], log: log)
            }
            let antenna = map.optional("antenna") { pointer($0, $1) }
            let rssi = map.optional("rssi") { pointer($0, $1) }
            let rssiUnit = map.optional("rssi_unit") {
                $0.choice($1, [JSONFieldMapping.RSSIUnit.dBm, .centiDbm], log: log)
            }
            let time = map.optional("time") { pointer($0, $1) }
            let timeUnit = map.optional("time_unit") {
                $0.choice(
                    $1,
                    [JSONFieldMapping.TimeUnit.seconds, .milliseconds, .microseconds, .nanoseconds],
                    log: log
                )
            }
            let reads = map.optional("reads") { pointer($0, $1) }
            let eventNumber = map.optional("event_number") { pointer($0, $1) }
            guard let epc else { return nil }
            return .json(
                JSONFieldMapping(
                    events: events,
                    epc: epc,
                    epcEncoding: encoding ?? .hex,
                    antenna: antenna,
                    rssi: rssi,
                    rssiUnit: rssiUnit ?? .dBm,
                    time: time,
                    timeUnit: timeUnit ?? .milliseconds,
                    reads: reads,
                    eventNumber: eventNumber
                )
            )
        case nil:
            return nil
        }
    }

    /// A JSON pointer (RFC 6901), checked with the parser the payload decoder uses.
    private func pointer(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = node.text(path, expected: "a JSON pointer such as /epc", log: log, allowEmpty: true) else {
            return nil
        }
        do {
            _ = try JSONPointer(text)
        } catch {
            log.error(at: node, path: path, "invalid JSON pointer \(YAMLScalar.quoted(text)): \(error.reason)")
            return nil
        }
        return text
    }

    // MARK: - Modbus registers

    func readRegisters(_ node: YAMLNode, _ path: String) -> [RegisterSpec]? {
        guard case .sequence(let items) = node.content else {
            log.error(at: node, path: path, "expected a list of registers, got \(node.shortDescription)")
            return nil
        }
        if items.isEmpty {
            log.error(at: node, path: path, "list at least one register to poll")
            return nil
        }
        var registers: [RegisterSpec] = []
        var firstLine: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            var register = readRegister(item, itemPath)
            // Names are compared as written, so a duplicate is found even next to a broken register.
            if let nameNode = YAMLMapping.value("name", in: item), !nameNode.isNull, let name = nameNode.scalar?.text {
                if let first = firstLine[name] {
                    log.error(
                        at: nameNode,
                        path: "\(itemPath).name",
                        "register '\(name)' is already defined at line \(first); give each register its own name"
                    )
                    register = nil
                } else {
                    firstLine[name] = nameNode.line
                }
            }
            if let register { registers.append(register) }
        }
        return registers.count == items.count ? registers : nil
    }

    /// The register names written in a `registers` list, valid or not.
    static func writtenRegisterNames(_ node: YAMLNode?) -> [String] {
        guard let node, case .sequence(let items) = node.content else { return [] }
        return items.compactMap { YAMLMapping.value("name", in: $0)?.scalar?.text }
    }

    private func readRegister(_ node: YAMLNode, _ path: String) -> RegisterSpec? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a register mapping with name, table, address and type",
                log: log
            )
        else { return nil }
        map.reportUnknownKeys(known: Self.registerKeys)
        let name = map.required("name", "temperature for the temperature register, or any name") {
            $0.text($1, expected: "a register name", log: log)
        }
        let table = map.required("table", "coil, discrete, input or holding") {
            $0.choice($1, RegisterTable.allCases, log: log)
        }
        let address = map.required("address", "the 0-based register address") {
            $0.integer($1, expected: "a 0-based address from 0 to 65535", in: 0...65_535, log: log)
        }
        let isBit = table == .coil || table == .discrete
        var type: RegisterType?
        if isBit {
            // A coil or discrete input is one bit: it reads as 0 or 1, which `uint16` describes.
            type = map.optional("type") { node, typePath -> RegisterType? in
                guard let value = node.choice(typePath, RegisterType.allCases, log: log) else { return nil }
                guard value == .uint16 else {
                    log.error(
                        at: node,
                        path: typePath,
                        "coils and discrete inputs are single bits read as 0 or 1; leave type out or write uint16"
                    )
                    return nil
                }
                return value
            }
            if type == nil, map["type"]?.isNull ?? true { type = .uint16 }
        } else {
            type = map.required("type", "int16, uint16, int32, uint32 or float32") {
                $0.choice($1, RegisterType.allCases, log: log)
            }
        }
        if let type, let address, address + type.registerCount - 1 > 65_535, let node = map["address"] {
            log.error(
                at: node,
                path: map.path("address"),
                "a \(type.rawValue) spans \(type.registerCount) registers, so its address is at most 65534, "
                    + "got \(address)"
            )
        }
        let wordOrder = map.optional("word_order") { $0.choice($1, ByteOrder.allCases, log: log) }
        let byteOrder = map.optional("byte_order") { $0.choice($1, ByteOrder.allCases, log: log) }
        let scale = map.optional("scale") { node, scalePath -> Double? in
            guard let value = node.number(scalePath, expected: "a number such as 0.1", log: log) else { return nil }
            guard value != 0 else {
                log.error(at: node, path: scalePath, "a scale of 0 makes every reading 0; use 1 for raw values")
                return nil
            }
            return value
        }
        let offset = map.optional("offset") { $0.number($1, expected: "a number such as -40", log: log) }
        var unit: String?
        if name == "temperature" {
            unit =
                map.required("unit", "celsius or fahrenheit") { $0.choice($1, TemperatureUnit.allCases, log: log) }?
                .rawValue
        } else {
            unit = map.optional("unit") { $0.text($1, expected: "a unit such as percent", log: log) }
        }
        guard let name, let table, let address, let type else { return nil }
        return RegisterSpec(
            name: name,
            table: table,
            address: address,
            type: type,
            wordOrder: wordOrder ?? .big,
            byteOrder: byteOrder ?? .big,
            scale: scale ?? 1,
            offset: offset ?? 0,
            unit: unit
        )
    }
}

extension YAMLMapping {
    /// The value of `key` when `node` is a mapping, without reporting anything.
    static func value(_ key: String, in node: YAMLNode) -> YAMLNode? {
        guard case .mapping(let pairs) = node.content else { return nil }
        return pairs.first { $0.key == key }?.value
    }
}
