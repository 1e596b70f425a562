import SortgateConfig
import SortgateModbus

extension SimulatorScript {
    /// Reads a script file (format in README.md) with the site config's YAML reader, so a script
    /// gets the same parsing and positions as a config: every problem in it is reported, each as
    /// `file:line:column: what is wrong`.
    static func load(path: String) throws(ConfigError) -> SimulatorScript {
        let log = ConfigDiagnosticLog(file: path)
        let root = YAMLDocument.load(path: path, what: "script", log: log)
        let units = root.flatMap { ScriptReader(log: log).units($0) }
        guard let units, log.isEmpty else {
            throw ConfigError(diagnostics: log.sortedDiagnostics)
        }
        return SimulatorScript(units: units)
    }
}

/// Reads a script's YAML tree into the simulator's types.
///
/// A wrong value is reported to `log` and read as nil, and reading carries on, so one run lists
/// every mistake. Messages about a mapping (an unknown or missing key) name its key path; messages
/// about one value keep the simulator's wording without a path, since line and column point at it.
/// The value readers take the path they are given (to fit `YAMLMapping`'s readers) and ignore it.
struct ScriptReader {
    let log: ConfigDiagnosticLog

    func units(_ root: YAMLNode) -> [SimulatedUnit]? {
        guard var top = YAMLMapping(root, path: "", expected: "a mapping with a 'units' list", log: log) else {
            return nil
        }
        top.reportUnknownKeys(known: ["units"])
        let read = top.required("units", "a list of the unit ids to serve") { node, path in
            node.list(path, expected: "a list of units", log: log) { node, path in unit(node, path).map { (node, $0) } }
        }
        guard let read else { return nil }
        var units: [SimulatedUnit] = []
        for (node, unit) in read {
            if units.contains(where: { $0.unit == unit.unit }) {
                log.error(at: node, "unit \(unit.unit) appears twice")
            }
            units.append(unit)
        }
        return units
    }

    func unit(_ node: YAMLNode, _ path: String) -> SimulatedUnit? {
        guard let map = mapping(node, path, known: ["unit", "name", "registers", "offline", "slow", "exceptions"])
        else {
            return nil
        }
        let unit = map.required("unit", "the unit id, 0...255") { node, path in integer(node, path, 0...255) }
        let name = map.optional("name") { node, _ in node.text("", expected: "a name", log: log) }
        let registers = map.optional("registers") { node, path in
            node.list(path, expected: "a list of registers", log: log, register)
        }
        let offline = map.optional("offline") { node, path -> [TimeWindow]? in
            if let scalar = node.scalar {
                guard scalar.text == "true" else {
                    log.error(at: node, "'offline' is true, or a list of {from, until} windows")
                    return nil
                }
                return [.always]
            }
            return node.list(path, expected: "a list of {from, until} windows", log: log) { node, path in
                mapping(node, path, known: ["from", "until"]).flatMap(window)
            }
        }
        let slow = map.optional("slow") { node, path -> [SlowWindow]? in
            if case .sequence = node.content {
                return node.list(path, expected: "a list of {delay, from, until}", log: log, slowWindow)
            }
            return slowWindow(node, path).map { [$0] }
        }
        let exceptions = map.optional("exceptions") { node, path in
            node.list(path, expected: "a list of exception rules", log: log, exceptionRule)
        }
        guard let unit else { return nil }
        return SimulatedUnit(
            unit: unit,
            name: name,
            registers: registers ?? [],
            offline: offline ?? [],
            slow: slow ?? [],
            exceptions: exceptions ?? []
        )
    }

    func slowWindow(_ node: YAMLNode, _ path: String) -> SlowWindow? {
        guard let map = mapping(node, path, known: ["delay", "from", "until"]) else { return nil }
        let delay = map.required("delay", "how long each answer waits", duration)
        let window = self.window(map)
        guard let delay, let window else { return nil }
        return SlowWindow(delay: delay, window: window)
    }

    func exceptionRule(_ node: YAMLNode, _ path: String) -> ExceptionRule? {
        guard
            let map = mapping(
                node,
                path,
                known: ["code", "table", "tables", "first_address", "last_address", "from", "until"]
            )
        else { return nil }
        let code = map.required("code", "the exception code, 1...255 (2 = illegal data address)") { node, path in
            integer(node, path, 1...255)
        }
        let table = map.optional("table", self.table)
        let tables = map.optional("tables") { node, path in
            node.list(path, expected: "a list of tables", log: log, self.table)
        }
        var addresses: ClosedRange<Int>?
        if map.contains("first_address") || map.contains("last_address") {
            let first = map.optional("first_address") { node, path in integer(node, path, 0...65535) } ?? 0
            let last = map.optional("last_address") { node, path in integer(node, path, 0...65535) } ?? 65535
            guard first <= last else {
                log.error(at: map["last_address"] ?? node, "'last_address' is before 'first_address'")
                return nil
            }
            addresses = first...last
        }
        guard let code, let window = self.window(map) else { return nil }
        return ExceptionRule(
            code: ModbusExceptionCode(rawValue: UInt8(code)),
            tables: table.map { [$0] } ?? tables.map(Set.init),
            addresses: addresses,
            window: window
        )
    }

    func register(_ node: YAMLNode, _ path: String) -> SimulatedRegister? {
        let known = [
            "table", "address", "type", "word_order", "byte_order", "scale", "offset", "value", "curve", "raw",
        ]
        guard let map = mapping(node, path, known: known) else { return nil }
        let table = map.required("table", "input, holding, coil or discrete", self.table)
        let address = map.required("address", "the 0-based address, 0...65535") { node, path in
            integer(node, path, 0...65535)
        }
        var encoding = RegisterEncoding()
        if let type = map.optional(
            "type",
            { node, _ in node.choice("", RegisterEncoding.ValueType.allCases, log: log) }
        ) {
            encoding.type = type
        }
        if let order = map.optional(
            "word_order",
            { node, _ in node.choice("", RegisterEncoding.Order.allCases, log: log) }
        ) {
            encoding.wordOrder = order
        }
        if let order = map.optional(
            "byte_order",
            { node, _ in node.choice("", RegisterEncoding.Order.allCases, log: log) }
        ) {
            encoding.byteOrder = order
        }
        if let scale = map.optional("scale", number) {
            if scale == 0 {
                log.error(at: map["scale"]!, "'scale' cannot be 0")
            }
            encoding.scale = scale
        }
        encoding.offset = map.optional("offset", number) ?? 0
        let sources = ["value", "curve", "raw"].filter(map.contains)
        guard sources.count == 1, let sourceNode = map[sources[0]] else {
            log.error(at: node, "a register needs exactly one of 'value', 'curve' or 'raw'")
            return nil
        }
        let source: SimulatedRegister.Source?
        switch sources[0] {
        case "raw":
            let registers = sourceNode.list(map.path("raw"), expected: "a list of registers", log: log) { node, path in
                integer(node, path, 0...0xFFFF).map(UInt16.init)
            }
            if registers?.isEmpty == true {
                log.error(at: sourceNode, "'raw' lists at least one register")
            }
            source = registers.map { .raw($0) }
        case "value":
            source = number(sourceNode, map.path("value")).map { .curve(.steady($0)) }
        default:
            source = curve(sourceNode, map.path("curve")).map { .curve($0) }
        }
        guard let table, let address, let source else { return nil }
        return SimulatedRegister(table: table, address: address, encoding: encoding, source: source)
    }

    func curve(_ node: YAMLNode, _ path: String) -> Curve? {
        let kinds = ["steady", "drift", "spike", "excursion", "stuck"]
        guard let map = mapping(node, path, known: kinds) else { return nil }
        guard map.pairs.count == 1, let kind = map.pairs.first?.key, let body = map[kind] else {
            log.error(at: node, "a curve is one of: \(kinds.joined(separator: ", "))")
            return nil
        }
        let bodyPath = map.path(kind)
        if kind == "steady" || kind == "stuck", body.scalar != nil {
            return number(body, bodyPath).map { .steady($0) }
        }
        switch kind {
        case "steady":
            return mapping(body, bodyPath, known: ["value"])?.required("value", "the constant value", number)
                .map { .steady($0) }
        case "drift":
            guard let parameters = mapping(body, bodyPath, known: ["from", "per_minute"]) else { return nil }
            let from = parameters.required("from", "the value at start", number)
            let perMinute = parameters.required("per_minute", "the change every minute", number)
            guard let from, let perMinute else { return nil }
            return .drift(from: from, perMinute: perMinute)
        case "spike", "excursion":
            // The same four parameters under other names: the level is a spike's peak or an
            // excursion's plateau, the start its `at` or `start`.
            let spike = kind == "spike"
            let known = spike ? ["base", "peak", "at", "duration"] : ["base", "high", "start", "duration"]
            guard let parameters = mapping(body, bodyPath, known: known) else { return nil }
            let base = parameters.required("base", "the value before and after the \(kind)", number)
            let level = parameters.required(known[1], spike ? "the value at its middle" : "the value during it", number)
            let start = parameters.required(known[2], "when the \(kind) starts", duration)
            let length = parameters.required("duration", "how long the \(kind) lasts", duration)
            guard let base, let level, let start, let length else { return nil }
            return spike
                ? .spike(base: base, peak: level, at: start, duration: length)
                : .excursion(base: base, high: level, start: start, duration: length)
        case "stuck":
            guard let parameters = mapping(body, bodyPath, known: ["value", "at", "curve"]) else { return nil }
            if parameters.contains("value") {
                return parameters.required("value", "the value the sensor is stuck at", number).map { .steady($0) }
            }
            let at = parameters.required("at", "when the sensor freezes", duration)
            let inner = parameters.required("curve", "the curve it follows until then", curve)
            guard let at, let inner else { return nil }
            return .stuck(at: at, curve: inner)
        default:
            // An unknown kind, already reported by `mapping`.
            return nil
        }
    }

    // MARK: - Values

    /// `map`'s `from` (default 0) and `until` (default: for ever); the caller checks the other keys.
    func window(_ map: YAMLMapping) -> TimeWindow? {
        let from = map.optional("from", duration)
        let until = map.optional("until", duration)
        if let until, until <= from ?? .zero {
            log.error(at: map["until"]!, "'until' must come after 'from'")
            return nil
        }
        return TimeWindow(from: from ?? .zero, until: until)
    }

    /// `node` as a mapping whose keys are all in `known`, or nil after reporting why not.
    func mapping(_ node: YAMLNode, _ path: String, known: [String]) -> YAMLMapping? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping of keys to values", log: log) else {
            return nil
        }
        map.reportUnknownKeys(known: known)
        return map
    }

    func table(_ node: YAMLNode, _ path: String) -> ModbusTable? {
        guard let scalar = node.scalar, !node.isNull else {
            log.error(at: node, "expected a table (coil, discrete, input or holding), got \(node.shortDescription)")
            return nil
        }
        guard let table = ModbusTable(rawValue: scalar.text) else {
            log.error(at: node, "unknown table '\(scalar.text)'; expected coil, discrete, input or holding")
            return nil
        }
        return table
    }

    func integer(_ node: YAMLNode, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        node.integer("", expected: "a whole number \(range.lowerBound)...\(range.upperBound)", in: range, log: log)
    }

    func number(_ node: YAMLNode, _ path: String) -> Double? {
        node.number("", expected: "a number", log: log)
    }

    /// `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds (README.md).
    func duration(_ node: YAMLNode, _ path: String) -> Duration? {
        node.duration("", log: log, bareNumberUnit: .seconds(1))
    }
}
