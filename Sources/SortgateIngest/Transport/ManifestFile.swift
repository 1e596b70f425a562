import Foundation
public import SortgateCore
public import SortgateConfig

/// One container row of a manifest file, checked against the site: what `manifest import` stores.
public struct ManifestRow: Hashable, Sendable {
    /// The container's EPC (SSCC or GRAI), as the manifest names it.
    public var container: EPC
    public var shipment: String
    /// A chute or dock-out zone of the site.
    public var destination: String
    /// A cold-chain class of the site, if any.
    public var temperatureClass: String?
    public var expectedBy: EventTime?
    /// SGTIN items packed in the container.
    public var items: [EPC]
    /// `file:line` of the row.
    public var source: String
}

/// A manifest row that was rejected, with where and why.
public struct ManifestProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?
    public var message: String

    public var description: String {
        "\(file):\(line)" + (column.map { ":\($0)" } ?? "") + ": \(message)"
    }
}

/// A manifest file read and checked row by row: the good rows, and a problem for each bad one.
///
/// Two formats, told apart by the first non-blank character (`[` is JSON):
/// - **CSV** with a header line naming the columns, in any order: `container`, `shipment`,
///   `destination` (required), `class`, `expected_by`, `items` (optional). Fields may be quoted
///   (`"…"`, `""` for a quote). `items` is a list separated by spaces or `;`. Blank lines and
///   lines starting with `#` are skipped; line numbers count every line of the file.
/// - **JSON**: an array of objects with the same keys; `items` is an array of strings.
///
/// `container` is a 24-hex-digit EPC (SSCC-96 or GRAI-96), an `urn:epc:id:sscc:` or
/// `urn:epc:id:grai:` URI, or an 18-digit SSCC; items are 24-hex-digit SGTIN-96 EPCs or
/// `urn:epc:id:sgtin:` URIs. URIs and SSCCs are encoded with filter 0 (journeys match a tag
/// whatever its filter value); an SSCC-18 needs the company prefix length (`companyPrefixLength`).
/// `destination` must be a chute or dock-out of the site, `class` a class of `cold_chain`,
/// `expected_by` an RFC 3339 time. A container listed twice, or an item packed in two containers,
/// rejects the later row.
public struct ManifestFile: Sendable {
    public var rows: [ManifestRow] = []
    public var problems: [ManifestProblem] = []

    /// Why a manifest could not be read at all.
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads and checks the manifest at `path` against `site`.
    public static func load(path: String, site: SiteConfig, companyPrefixLength: Int = 7) throws(ReadError)
        -> ManifestFile
    {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReadError(description: "\(path): cannot read the manifest: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(description: "\(path): the manifest is not UTF-8 text")
        }
        var checker = ManifestRowChecker(file: path, site: site, companyPrefixLength: companyPrefixLength)
        if text.first(where: { !$0.isWhitespace }) == "[" {
            try checker.readJSON(text)
        } else {
            try checker.readCSV(text)
        }
        return ManifestFile(rows: checker.rows, problems: checker.problems)
    }
}

/// Checks manifest fields one by one, collecting good rows and problems.
struct ManifestRowChecker {
    let file: String
    let site: SiteConfig
    let companyPrefixLength: Int
    var rows: [ManifestRow] = []
    var problems: [ManifestProblem] = []
    private var containerLines: [EPC: Int] = [:]
    private var itemLines: [EPC: Int] = [:]

    init(file: String, site: SiteConfig, companyPrefixLength: Int) {
        self.file = file
        self.site = site
        self.companyPrefixLength = companyPrefixLength
    }

    static let columns = ["container", "shipment", "destination", "class", "expected_by", "items"]
    static let requiredColumns = ["container", "shipment", "destination"]

    /// A field of a row: its text and the column (1-based) it starts at, when known.
    struct Field {
        var text: String
        var column: Int?
    }

    // MARK: - CSV

    mutating func readCSV(_ text: String) throws(ManifestFile.ReadError) {
        // Split on the bytes: a Swift `Character` joins "\r\n" into one, so splitting the `String` on
        // "\n" would read a manifest exported with Windows line ends as one line.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        guard let headerIndex = lines.firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw ManifestFile.ReadError(description: "\(file): the manifest is empty")
        }
        let header = Self.splitCSV(lines[headerIndex]).map { $0.text.trimmingCharacters(in: .whitespaces).lowercased() }
        for (index, name) in header.enumerated() where !Self.columns.contains(name) {
            throw ManifestFile.ReadError(
                description: "\(file):\(headerIndex + 1): unknown column '\(name)' (column \(index + 1)); expected "
                    + Self.columns.joined(separator: ", ") + ConfigWording.didYouMean(name, among: Self.columns)
            )
        }
        for name in Self.requiredColumns where !header.contains(name) {
            throw ManifestFile.ReadError(
                description: "\(file):\(headerIndex + 1): the header names no '\(name)' column; columns are "
                    + Self.columns.joined(separator: ", ")
            )
        }
        for index in (headerIndex + 1)..<lines.count {
            let line = lines[index]
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = Self.splitCSV(line)
            guard fields.count == header.count else {
                problems.append(
                    ManifestProblem(
                        file: file,
                        line: index + 1,
                        column: nil,
                        message: "expected \(header.count) fields as in the header, got \(fields.count)"
                    )
                )
                continue
            }
            var byName: [String: Field] = [:]
            for (name, field) in zip(header, fields) { byName[name] = field }
            let items =
                byName["items"].map { field in
                    field.text.split(whereSeparator: { $0 == " " || $0 == ";" }).map {
                        Field(text: String($0), column: field.column)
                    }
                } ?? []
            check(line: index + 1, byName, items: items)
        }
    }

    /// Splits one CSV line into fields with their start columns (RFC 4180 quoting, one line).
    static func splitCSV(_ line: String) -> [Field] {
        var fields: [Field] = []
        var current = ""
        var start = 1
        var column = 0
        var quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            column += 1
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        current.append("\"")
                        characters.removeFirst()
                        column += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" && current.trimmingCharacters(in: .whitespaces).isEmpty {
                quoted = true
                current = ""
            } else if character == "," {
                fields.append(Field(text: current.trimmingCharacters(in: .whitespaces), column: start))
                current = ""
                start = column + 1
            } else {
                current.append(character)
            }
        }
        fields.append(Field(text: current.trimmingCharacters(in: .whitespaces), column: start))
        return fields
    }

    // MARK: - JSON

    mutating func readJSON(_ text: String) throws(ManifestFile.ReadError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw ManifestFile.ReadError(description: "\(file): not valid JSON: \(error.localizedDescription)")
        }
        guard let array = parsed as? [Any] else {
            throw ManifestFile.ReadError(description: "\(file): expected a JSON array of container objects")
        }
        let lines = Self.elementLines(text)
        for (index, element) in array.enumerated() {
            let line = index < lines.count ? lines[index] : 1
            guard let object = element as? [String: Any] else {
                problems.append(
                    ManifestProblem(file: file, line: line, column: nil, message: "entry \(index + 1) is not an object")
                )
                continue
            }
            if let unknown = object.keys.sorted().first(where: { !Self.columns.contains($0) }) {
                problems.append(
                    ManifestProblem(
                        file: file,
                        line: line,
                        column: nil,
                        message: "unknown key '\(unknown)'" + ConfigWording.didYouMean(unknown, among: Self.columns)
                    )
                )
                continue
            }
            var byName: [String: Field] = [:]
            var wrongType: String?
            for (key, value) in object where key != "items" {
                if value is NSNull { continue }
                guard let string = value as? String else {
                    wrongType = key
                    break
                }
                byName[key] = Field(text: string, column: nil)
            }
            var items: [Field] = []
            if let list = object["items"], !(list is NSNull) {
                if let strings = list as? [String] {
                    items = strings.map { Field(text: $0, column: nil) }
                } else {
                    wrongType = "items"
                }
            }
            if let wrongType {
                problems.append(
                    ManifestProblem(
                        file: file,
                        line: line,
                        column: nil,
                        message: "'\(wrongType)' must be " + (wrongType == "items" ? "an array of strings" : "a string")
                    )
                )
                continue
            }
            check(line: line, byName, items: items)
        }
    }

    /// The line on which each element of the top-level array starts.
    static func elementLines(_ text: String) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var expectingElement = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
            if depth == 1 && expectingElement && !isSpace && byte != UInt8(ascii: "]") {
                lines.append(line)
                expectingElement = false
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 { expectingElement = true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectingElement = true }
            default: break
            }
        }
        return lines
    }

    // MARK: - Rows

    private mutating func check(line: Int, _ fields: [String: Field], items itemFields: [Field]) {
        func fail(_ field: Field?, _ message: String) {
            problems.append(ManifestProblem(file: file, line: line, column: field?.column, message: message))
        }
        guard let containerField = fields["container"], !containerField.text.isEmpty else {
            return fail(fields["container"], "missing container (an EPC, SSCC-18 or urn:epc:id:sscc|grai URI)")
        }
        let container: EPC
        switch parseContainer(containerField.text) {
        case .success(let epc): container = epc
        case .failure(let problem): return fail(containerField, "container: \(problem.description)")
        }
        guard let shipment = fields["shipment"], !shipment.text.isEmpty else {
            return fail(fields["shipment"], "missing shipment id")
        }
        guard let destination = fields["destination"], !destination.text.isEmpty else {
            return fail(fields["destination"], "missing destination (a chute or dock-out zone)")
        }
        let targets = site.zones.filter { $0.type == .chute || $0.type == .dockOut }.map(\.name)
        guard targets.contains(destination.text) else {
            return fail(
                destination,
                "destination '\(destination.text)' is not a chute or dock-out of the site"
                    + ConfigWording.didYouMean(destination.text, among: targets)
            )
        }
        var temperatureClass: String?
        if let field = fields["class"], !field.text.isEmpty {
            let classes = site.coldChain.classes.keys.sorted()
            guard classes.contains(field.text) else {
                return fail(
                    field,
                    "class '\(field.text)' is not a class of cold_chain.classes"
                        + ConfigWording.didYouMean(field.text, among: classes)
                )
            }
            temperatureClass = field.text
        }
        var expectedBy: EventTime?
        if let field = fields["expected_by"], !field.text.isEmpty {
            do {
                expectedBy = try EventTime(rfc3339: field.text)
            } catch {
                return fail(field, "expected_by: \(error.description)")
            }
        }
        var items: [EPC] = []
        for field in itemFields {
            switch parseItem(field.text) {
            case .success(let epc):
                if let other = itemLines[epc] {
                    return fail(field, "item \(field.text) is already packed in the container of line \(other)")
                }
                items.append(epc)
            case .failure(let problem): return fail(field, "item: \(problem.description)")
            }
        }
        if let other = containerLines[TransportTracker.identityKey(container)] {
            return fail(containerField, "container \(containerField.text) is already listed at line \(other)")
        }
        containerLines[TransportTracker.identityKey(container)] = line
        for item in items { itemLines[item] = line }
        rows.append(
            ManifestRow(
                container: container,
                shipment: shipment.text,
                destination: destination.text,
                temperatureClass: temperatureClass,
                expectedBy: expectedBy,
                items: items,
                source: "\(file):\(line)"
            )
        )
    }

    private func parseContainer(_ text: String) -> Result<EPC, EPCError> {
        do {
            let epc: EPC
            if text.hasPrefix("urn:epc:id:sscc:") {
                epc = try EPCIdentity(pureIdentityURI: text, scheme: .sscc96, filter: 0).epc
            } else if text.hasPrefix("urn:epc:id:grai:") {
                epc = try EPCIdentity(pureIdentityURI: text, scheme: .grai96, filter: 0).epc
            } else if text.count == 18, text.allSatisfy(\.isNumber) {
                epc = try EPCIdentity(sscc18: text, companyPrefixLength: companyPrefixLength, filter: 0).epc
            } else {
                epc = try EPC(hex: text)
                try EPCIdentity.validate(epc)
            }
            guard TransportTracker.isContainer(epc) else {
                return .failure(EPCError(input: text, reason: "not an SSCC or GRAI (a container)"))
            }
            return .success(epc)
        } catch {
            return .failure(error)
        }
    }

    private func parseItem(_ text: String) -> Result<EPC, EPCError> {
        do {
            let epc: EPC
            if text.hasPrefix("urn:epc:id:sgtin:") {
                epc = try EPCIdentity(pureIdentityURI: text, scheme: .sgtin96, filter: 0).epc
            } else {
                epc = try EPC(hex: text)
                try EPCIdentity.validate(epc)
            }
            guard let scheme = EPCScheme(header: epc.header), scheme == .sgtin96 || scheme == .sgtin198 else {
                return .failure(EPCError(input: text, reason: "not an SGTIN (an item)"))
            }
            return .success(epc)
        } catch {
            return .failure(error)
        }
    }
}
