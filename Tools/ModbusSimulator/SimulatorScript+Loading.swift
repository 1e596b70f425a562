import Foundation
import SortgateModbus
import Yams

/// A problem in a script, as `file:line:column: what is wrong`.
struct ScriptError: Error, CustomStringConvertible {
    var description: String
}

extension SimulatorScript {
    /// Reads a script file (format in README.md); every problem names its file, line and column.
    static func load(path: String) throws -> SimulatorScript {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScriptError(
                description: "\(path):1:1: cannot read the script: \((error as NSError).localizedDescription)"
            )
        }
        return try parse(text, file: path)
    }

    /// Parses script text; `file` names it in errors.
    static func parse(_ text: String, file: String) throws -> SimulatorScript {
        let reader = ScriptReader(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw reader.fail(nil, "the script is empty; it needs a 'units' list")
            }
            root = node
        } catch let error as ScriptError {
            throw error
        } catch {
            throw ScriptError(description: "\(file): not valid YAML: \(error)")
        }
        let top = try reader.mapping(root, known: ["units"])
        guard let unitsNode = top["units"] else {
            throw reader.fail(root, "missing 'units': a list of the unit ids to serve")
        }
        var units: [SimulatedUnit] = []
        for node in try reader.sequence(unitsNode) {
            let unit = try reader.unit(node)
            if units.contains(where: { $0.unit == unit.unit }) {
                throw reader.fail(node, "unit \(unit.unit) appears twice")
            }
            units.append(unit)
        }
        return SimulatorScript(units: units)
    }
}

/// Reads script nodes, turning each mistake into a `ScriptError` at the node's position.
struct ScriptReader {
    let file: String

    func fail(_ node: Node?, _ message: String) -> ScriptError {
        let line = node?.mark?.line ?? 1
        let column = node?.mark?.column ?? 1
        return ScriptError(description: "\(file):\(line):\(column): \(message)")
    }

    func mapping(_ node: Node, known: [String]) throws -> Node.Mapping {
        guard let mapping = node.mapping else {
            throw fail(node, "expected a mapping of keys to values")
        }
        for (key, _) in mapping {
            guard let name = key.string, known.contains(name) else {
                throw fail(key, "unknown key '\(key.string ?? "?")'; expected one of: \(known.joined(separator: ", "))")
            }
        }
        return mapping
    }

    func sequence(_ node: Node) throws -> [Node] {
        guard let sequence = node.sequence else {
            throw fail(node, "expected a list")
        }
        return Array(sequence)
    }

    func string(_ node: Node) throws -> String {
        guard let scalar = node.scalar else {
            throw fail(node, "expected a single value")
        }
        return scalar.string
    }

    func integer(_ node: Node, _ range: ClosedRange<Int>) throws -> Int {
        let text = try string(node).replacingOccurrences(of: "_", with: "")
        let value = text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        guard let value, range.contains(value) else {
            throw fail(node, "expected a whole number \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    func number(_ node: Node) throws -> Double {
        let text = try string(node)
        guard let value = Double(text) ?? (try? integer(node, Int.min...Int.max)).map(Double.init), value.isFinite
        else {
            throw fail(node, "expected a number, got '\(text)'")
        }
        return value
    }

    /// `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds.
    func duration(_ node: Node) throws -> Duration {
        let text = try string(node).trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 {
                return .milliseconds(Int64((value * factor * 1000).rounded()))
            }
        }
        if let seconds = Double(text), seconds >= 0 {
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        throw fail(node, "expected a duration such as 500ms, 30s, 5m or 1h, got '\(text)'")
    }

    func table(_ node: Node) throws -> ModbusTable {
        let text = try string(node)
        guard let table = ModbusTable(rawValue: text) else {
            throw fail(node, "unknown table '\(text)'; expected coil, discrete, input or holding")
        }
        return table
    }

    func window(_ mapping: Node.Mapping) throws -> TimeWindow {
        let from = try mapping["from"].map(duration) ?? .zero
        let until = try mapping["until"].map(duration)
        if let until, until <= from {
            throw fail(mapping["until"], "'until' must come after 'from'")
        }
        return TimeWindow(from: from, until: until)
    }

    func unit(_ node: Node) throws -> SimulatedUnit {
        let map = try mapping(node, known: ["unit", "name", "registers", "offline", "slow", "exceptions"])
        guard let unitNode = map["unit"] else {
            throw fail(node, "missing 'unit': the unit id, 0...255")
        }
        let unit = try integer(unitNode, 0...255)
        let name = try map["name"].map(string)
        var registers: [SimulatedRegister] = []
        for registerNode in try map["registers"].map(sequence) ?? [] {
            registers.append(try register(registerNode))
        }
        var offline: [TimeWindow] = []
        if let node = map["offline"] {
            if node.scalar != nil {
                guard try string(node) == "true" else {
                    throw fail(node, "'offline' is true, or a list of {from, until} windows")
                }
                offline = [.always]
            } else {
                offline = try sequence(node).map { try window(mapping($0, known: ["from", "until"])) }
            }
        }
        var slow: [SlowWindow] = []
        if let node = map["slow"] {
            let entries = node.sequence.map(Array.init) ?? [node]
            slow = try entries.map { entry in
                let entryMap = try mapping(entry, known: ["delay", "from", "until"])
                guard let delay = entryMap["delay"] else {
                    throw fail(entry, "missing 'delay': how long each answer waits")
                }
                return SlowWindow(delay: try duration(delay), window: try window(entryMap))
            }
        }
        let exceptions = try (map["exceptions"].map(sequence) ?? []).map(exceptionRule)
        return SimulatedUnit(
            unit: unit,
            name: name,
            registers: registers,
            offline: offline,
            slow: slow,
            exceptions: exceptions
        )
    }

    func exceptionRule(_ node: Node) throws -> ExceptionRule {
        let map = try mapping(
            node,
            known: ["code", "table", "tables", "first_address", "last_address", "from", "until"]
        )
        guard let codeNode = map["code"] else {
            throw fail(node, "missing 'code': the exception code, 1...255 (2 = illegal data address)")
        }
        let code = ModbusExceptionCode(rawValue: UInt8(try integer(codeNode, 1...255)))
        var tables: Set<ModbusTable>?
        if let node = map["table"] {
            tables = [try table(node)]
        } else if let node = map["tables"] {
            tables = Set(try sequence(node).map(table))
        }
        var addresses: ClosedRange<Int>?
        if map["first_address"] != nil || map["last_address"] != nil {
            let first = try map["first_address"].map { try integer($0, 0...65535) } ?? 0
            let last = try map["last_address"].map { try integer($0, 0...65535) } ?? 65535
            guard first <= last else {
                throw fail(map["last_address"], "'last_address' is before 'first_address'")
            }
            addresses = first...last
        }
        return ExceptionRule(code: code, tables: tables, addresses: addresses, window: try window(map))
    }

    func register(_ node: Node) throws -> SimulatedRegister {
        let map = try mapping(
            node,
            known: ["table", "address", "type", "word_order", "byte_order", "scale", "offset", "value", "curve", "raw"]
        )
        guard let tableNode = map["table"], let addressNode = map["address"] else {
            throw fail(node, "a register needs 'table' and 'address'")
        }
        let table = try table(tableNode)
        let address = try integer(addressNode, 0...65535)
        var encoding = RegisterEncoding()
        if let node = map["type"] {
            let text = try string(node)
            guard let type = RegisterEncoding.ValueType(rawValue: text) else {
                throw fail(node, "unknown type '\(text)'; expected int16, uint16, int32, uint32 or float32")
            }
            encoding.type = type
        }
        for (key, path) in [("word_order", \RegisterEncoding.wordOrder), ("byte_order", \RegisterEncoding.byteOrder)] {
            if let node = map[key] {
                let text = try string(node)
                guard let order = RegisterEncoding.Order(rawValue: text) else {
                    throw fail(node, "'\(key)' is big or little, not '\(text)'")
                }
                encoding[keyPath: path] = order
            }
        }
        encoding.scale = try map["scale"].map(number) ?? 1
        guard encoding.scale != 0 else {
            throw fail(map["scale"], "'scale' cannot be 0")
        }
        encoding.offset = try map["offset"].map(number) ?? 0
        let sources = ["value", "curve", "raw"].filter { map[$0] != nil }
        guard sources.count == 1 else {
            throw fail(node, "a register needs exactly one of 'value', 'curve' or 'raw'")
        }
        let source: SimulatedRegister.Source
        if let node = map["raw"] {
            let registers = try sequence(node).map { UInt16(try integer($0, 0...0xFFFF)) }
            guard !registers.isEmpty else {
                throw fail(node, "'raw' lists at least one register")
            }
            source = .raw(registers)
        } else if let node = map["value"] {
            source = .curve(.steady(try number(node)))
        } else {
            source = .curve(try curve(map["curve"]!))
        }
        return SimulatedRegister(table: table, address: address, encoding: encoding, source: source)
    }

    func curve(_ node: Node) throws -> Curve {
        let kinds = ["steady", "drift", "spike", "excursion", "stuck"]
        let map = try mapping(node, known: kinds)
        guard map.count == 1, let (keyNode, body) = map.first, let kind = keyNode.string else {
            throw fail(node, "a curve is one of: \(kinds.joined(separator: ", "))")
        }
        switch kind {
        case "steady":
            if body.scalar != nil {
                return .steady(try number(body))
            }
            return .steady(try required(body, "value", known: ["value"], number))
        case "drift":
            let known = ["from", "per_minute"]
            return .drift(
                from: try required(body, "from", known: known, number),
                perMinute: try required(body, "per_minute", known: known, number)
            )
        case "spike":
            let known = ["base", "peak", "at", "duration"]
            return .spike(
                base: try required(body, "base", known: known, number),
                peak: try required(body, "peak", known: known, number),
                at: try required(body, "at", known: known, duration),
                duration: try required(body, "duration", known: known, duration)
            )
        case "excursion":
            let known = ["base", "high", "start", "duration"]
            return .excursion(
                base: try required(body, "base", known: known, number),
                high: try required(body, "high", known: known, number),
                start: try required(body, "start", known: known, duration),
                duration: try required(body, "duration", known: known, duration)
            )
        default:
            if body.scalar != nil {
                return .steady(try number(body))
            }
            let known = ["value", "at", "curve"]
            let stuckMap = try mapping(body, known: known)
            if let value = stuckMap["value"] {
                return .steady(try number(value))
            }
            return .stuck(
                at: try required(body, "at", known: known, duration),
                curve: try required(body, "curve", known: known, curve)
            )
        }
    }

    private func required<T>(_ node: Node, _ key: String, known: [String], _ read: (Node) throws -> T) throws -> T {
        let map = try mapping(node, known: known)
        guard let value = map[key] else {
            throw fail(node, "missing '\(key)' (this curve takes \(known.joined(separator: ", ")))")
        }
        return try read(value)
    }
}
