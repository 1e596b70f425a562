import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one YAML file into a `YAMLNode` tree, turning every problem into a diagnostic.
///
/// Yams' composer stops at the first duplicate key of a file and points at the *first* of the two
/// keys, but an operator wants every duplicate, at the one to delete. So on a duplicate-key error
/// the first key's first character is swapped for a private-use character (one Unicode scalar
/// for one, so every line and column stays put) and the text is composed again; the tree builder
/// restores the key's text and reports the duplicate at the later key. Aliases and `<<` merge keys
/// are resolved here too, so the readers only ever see plain mappings, lists and scalars.
package enum YAMLDocument {
    /// Config files are hand-written; a larger file is almost certainly the wrong file.
    static let maximumFileSize = 16 << 20
    /// Bounds alias expansion ("billion laughs"): aliases are copied into the tree.
    static let maximumNodes = 1_000_000
    /// Bounds the compose-patch-recompose loop of duplicate-key recovery.
    static let maximumDuplicateRecoveries = 500

    /// Reads and parses the file at `path`. Returns nil, with the reasons in `log`, when the file
    /// cannot be read, is not UTF-8, is empty or is not valid YAML. `what` names the file in
    /// messages ("config file", "device profile").
    package static func load(path: String, what: String, log: ConfigDiagnosticLog) -> YAMLNode? {
        let bytes: [UInt8]
        switch readFile(path: path) {
        case .success(let contents): bytes = contents
        case .failure(let reason):
            log.error(line: 1, column: 1, "cannot read the \(what): \(reason)")
            return nil
        }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            let position = firstInvalidUTF8Position(in: bytes)
            log.error(
                line: position.line,
                column: position.column,
                "the \(what) is not UTF-8 text (invalid byte here); save it as UTF-8"
            )
            return nil
        }
        // libyaml skips a byte order mark without counting it; drop it so columns agree.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return parse(text, what: what, log: log)
    }

    /// Parses YAML text; see the type's comment for how duplicate keys are recovered from.
    package static func parse(_ text: String, what: String, log: ConfigDiagnosticLog) -> YAMLNode? {
        var scalars = Array(text.unicodeScalars)
        var patches: [YAMLPosition: String] = [:]
        var source = text
        while true {
            let root: Node?
            do {
                root = try Yams.compose(yaml: source, .default, .default, .utf8)
            } catch let error as YamlError {
                if case .duplicatedKeysInMapping(let duplicates, let context) = error,
                    patches.count < maximumDuplicateRecoveries,
                    let index = patchableIndex(line: context.mark.line, column: context.mark.column, in: scalars),
                    let marker = Unicode.Scalar(0xE000 + UInt32(patches.count))
                {
                    patches[YAMLPosition(line: context.mark.line, column: context.mark.column)] = duplicates.first ?? ""
                    scalars[index] = marker
                    source = String(String.UnicodeScalarView(scalars))
                    continue
                }
                report(error, scalars: scalars, log: log)
                return nil
            } catch {
                log.error(line: 1, column: 1, "cannot parse the \(what) as YAML: \(error)")
                return nil
            }
            guard let root else {
                log.error(line: 1, column: 1, "the \(what) is empty; it must be a YAML mapping of keys to values")
                return nil
            }
            var builder = YAMLTreeBuilder(patches: patches, log: log)
            let tree = builder.build(root, path: "")
            if builder.exhausted {
                log.error(
                    line: tree.line,
                    column: tree.column,
                    "the \(what) expands to more than \(maximumNodes) YAML nodes (aliases nested too deep); "
                        + "write the values out"
                )
                return nil
            }
            return tree
        }
    }

    // MARK: - Reading

    /// The file's bytes, or the system's reason (`No such file or directory`) why not.
    static func readFile(path: String) -> Result<[UInt8], FileReadFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(FileReadFailure(errno: errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            // errno is read inside the closure, right after read(2), before anything can overwrite it.
            let (count, code) = chunk.withUnsafeMutableBytes { buffer in
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                return (count, count < 0 ? errno : 0)
            }
            if count < 0 {
                if code == EINTR { continue }
                return .failure(FileReadFailure(errno: code))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumFileSize {
                return .failure(
                    FileReadFailure(reason: "larger than \(maximumFileSize >> 20) MiB; is it the right file?")
                )
            }
        }
    }

    /// Why a file could not be read, in the system's words.
    struct FileReadFailure: Error, CustomStringConvertible {
        var reason: String

        init(reason: String) {
            self.reason = reason
        }

        init(errno code: Int32) {
            reason = String(cString: strerror(code))
        }

        var description: String { reason }
    }

    /// Line and column (in scalars) of the first byte that is not part of valid UTF-8.
    static func firstInvalidUTF8Position(in bytes: [UInt8]) -> YAMLPosition {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var scalars: [Unicode.Scalar] = []
        while case .valid(let encoded) = parser.parseScalar(from: &iterator) {
            scalars.append(Unicode.UTF8.decode(encoded))
        }
        return position(ofScalarIndex: scalars.count, in: scalars)
    }

    // MARK: - Positions

    /// libyaml's line breaks: CR LF counts once; CR, LF, NEL, LS and PS each end a line.
    static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": return true
        default: return false
        }
    }

    /// The line and column of the scalar at `index`, counted the way libyaml counts them.
    static func position(ofScalarIndex index: Int, in scalars: [Unicode.Scalar]) -> YAMLPosition {
        var line = 1
        var column = 1
        var i = 0
        while i < index, i < scalars.count {
            if scalars[i] == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n", i + 1 < index {
                i += 2
                line += 1
                column = 1
            } else if isBreak(scalars[i]) {
                i += 1
                line += 1
                column = 1
            } else {
                i += 1
                column += 1
            }
        }
        return YAMLPosition(line: line, column: column)
    }

    /// The index of the scalar at a line and column, the inverse of `position(ofScalarIndex:in:)`.
    static func scalarIndex(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        var currentLine = 1
        var currentColumn = 1
        var i = 0
        while i < scalars.count {
            if currentLine == line, currentColumn == column { return i }
            if scalars[i] == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" {
                i += 2
                currentLine += 1
                currentColumn = 1
            } else if isBreak(scalars[i]) {
                i += 1
                currentLine += 1
                currentColumn = 1
            } else {
                i += 1
                currentColumn += 1
            }
        }
        return nil
    }

    /// Where to put the marker that makes the duplicate key at a position unique, or nil when the
    /// key is not a scalar that survives the swap unchanged in length and kind (a flow collection,
    /// an anchored key, an empty or escaped quoted key): then the duplicate is reported as Yams saw it.
    static func patchableIndex(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        guard let index = scalarIndex(line: line, column: column, in: scalars) else { return nil }
        let first = scalars[index]
        if first == "\"" || first == "'" {
            let next = index + 1
            guard next < scalars.count else { return nil }
            let inside = scalars[next]
            if inside == first || inside == "\\" || isBreak(inside) { return nil }
            return next
        }
        if isBreak(first) || " \t[]{},#&*!|>%@`".unicodeScalars.contains(first) { return nil }
        return index
    }

    // MARK: - Syntax errors

    /// Turns a Yams error into a diagnostic at libyaml's problem mark.
    static func report(_ error: YamlError, scalars: [Unicode.Scalar], log: ConfigDiagnosticLog) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if problem == "but found another document" {
                log.error(
                    line: mark.line,
                    column: mark.column,
                    "YAML syntax error: a second document starts here, but the file must hold one; "
                        + "remove this '---' and what follows, or move it to its own file"
                )
                return
            }
            // An unquoted `*` (the read point of every other antenna) is the likeliest alias mistake.
            if let context, context.text == "while scanning an alias" {
                log.error(
                    line: context.mark.line,
                    column: context.mark.column,
                    "YAML syntax error: '*' here starts an alias (*name); to mean the text *, quote it, "
                        + "as in \"*\": zone"
                )
                return
            }
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            log.error(line: mark.line, column: mark.column, message)
        case .reader(let problem, let offset, let value, let yaml):
            var position = YAMLPosition(line: 1, column: 1)
            if let offset, let index = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) {
                let scalarOffset = yaml.unicodeScalars.distance(from: yaml.startIndex, to: index)
                position = self.position(ofScalarIndex: scalarOffset, in: scalars)
            }
            let hex = String(value, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            let character = value >= 0 ? " (character U+\(padded))" : ""
            log.error(line: position.line, column: position.column, "YAML syntax error: \(problem)\(character)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            log.error(
                line: context.mark.line,
                column: context.mark.column,
                "duplicate key \(keys) in this mapping; keep one of them"
            )
        default:
            log.error(line: 1, column: 1, "cannot parse the YAML: \(error)")
        }
    }
}

/// Copies Yams' node tree into `YAMLNode`s: resolves merge keys, restores keys that duplicate-key
/// recovery marked, reports duplicate and non-scalar keys, and counts nodes against alias bombs.
struct YAMLTreeBuilder {
    /// Original text of each key that was marked to get past Yams' duplicate check, by position.
    let patches: [YAMLPosition: String]
    let log: ConfigDiagnosticLog
    private(set) var exhausted = false
    private var budget = YAMLDocument.maximumNodes

    init(patches: [YAMLPosition: String], log: ConfigDiagnosticLog) {
        self.patches = patches
        self.log = log
    }

    mutating func build(_ node: Node, path: String) -> YAMLNode {
        let line = node.mark?.line ?? 1
        let column = node.mark?.column ?? 1
        budget -= 1
        if budget < 0 { exhausted = true }
        if exhausted {
            return YAMLNode(content: .scalar(YAMLScalar(text: "", kind: .null)), line: line, column: column)
        }
        switch node {
        case .scalar(let scalar):
            return YAMLNode(
                content: .scalar(Self.scalar(scalar, tag: Tag.Name(rawValue: node.tag.rawValue))),
                line: line,
                column: column
            )
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            for (index, item) in sequence.enumerated() {
                items.append(build(item, path: "\(path)[\(index)]"))
            }
            return YAMLNode(content: .sequence(items), line: line, column: column)
        case .mapping(let mapping):
            return YAMLNode(content: .mapping(buildPairs(mapping, path: path)), line: line, column: column)
        case .alias:
            log.error(line: line, column: column, "YAML alias that names no anchor; define it with &name first")
            return YAMLNode(content: .scalar(YAMLScalar(text: "", kind: .null)), line: line, column: column)
        }
    }

    private mutating func buildPairs(_ mapping: Node.Mapping, path: String) -> [YAMLPair] {
        var pairs: [YAMLPair] = []
        var firstLine: [String: Int] = [:]
        var merged: [[YAMLPair]] = []
        let place = path.isEmpty ? "" : " in \(path)"
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 1
            let column = keyNode.mark?.column ?? 1
            guard case .scalar(let keyScalar) = keyNode else {
                let kind = keyNode.mapping != nil ? "a mapping" : "a list"
                log.error(line: line, column: column, "a key\(place) must be a name, not \(kind)")
                continue
            }
            let restored = patches[YAMLPosition(line: line, column: column)]
            let text = restored ?? keyScalar.string
            if keyScalar.style == .plain || keyScalar.style == .any, text == "<<" {
                merged += mergeSources(build(valueNode, path: path), path: path)
                continue
            }
            let keyValue =
                restored == nil
                ? Self.scalar(keyScalar, tag: Tag.Name(rawValue: keyNode.tag.rawValue))
                : .init(text: text, kind: .string)
            let key = YAMLNode(content: .scalar(keyValue), line: line, column: column)
            if let first = firstLine[text] {
                log.error(at: key, "duplicate key '\(text)'\(place) (first at line \(first)); keep one of them")
                continue
            }
            firstLine[text] = line
            let child = path.isEmpty ? text : "\(path).\(text)"
            pairs.append(YAMLPair(key: text, keyNode: key, value: build(valueNode, path: child)))
        }
        // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML 1.1 merge).
        for source in merged {
            for pair in source where firstLine[pair.key] == nil {
                firstLine[pair.key] = pair.keyNode.line
                pairs.append(pair)
            }
        }
        return pairs
    }

    /// The mappings a `<<` value merges: one mapping, or a list of them.
    private func mergeSources(_ value: YAMLNode, path: String) -> [[YAMLPair]] {
        switch value.content {
        case .mapping(let pairs):
            return [pairs]
        case .sequence(let items):
            var sources: [[YAMLPair]] = []
            for item in items {
                if case .mapping(let pairs) = item.content {
                    sources.append(pairs)
                } else {
                    log.error(at: item, path: path, "'<<' merges mappings, got \(item.shortDescription)")
                }
            }
            return sources
        case .scalar:
            log.error(at: value, path: path, "'<<' merges a mapping (such as *defaults), got \(value.shortDescription)")
            return []
        }
    }

    /// The scalar's text and the type Yams' YAML 1.1 resolver gave it.
    static func scalar(_ scalar: Node.Scalar, tag: Tag.Name) -> YAMLScalar {
        let kind: YAMLScalar.Kind
        switch tag {
        case .null:
            kind = .null
        case .bool:
            kind = Bool.construct(from: scalar).map { .bool($0) } ?? .string
        case .int:
            if let value = Int.construct(from: scalar) {
                kind = .int(value)
            } else {
                // An integer too large for Int still reads as a number in messages.
                kind = Double.construct(from: scalar).map { .float($0) } ?? .string
            }
        case .float:
            kind = Double.construct(from: scalar).map { .float($0) } ?? .string
        default:
            kind = .string
        }
        return YAMLScalar(text: scalar.string, kind: kind)
    }
}
