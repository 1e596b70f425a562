/// A YAML node with the line and column it was written at: what the config and profile readers see.
///
/// Built from Yams' node tree by `YAMLDocument`, which has already resolved aliases and merge keys
/// (`<<`) and reported duplicate keys, so every mapping here has unique string keys in file order.
/// Positions are never missing (Yams' are optional), which keeps every diagnostic `file:line:column`.
package struct YAMLNode {
    package enum Content {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    package var content: Content
    /// 1-based line of the node's first character.
    package var line: Int
    /// 1-based column, counted in Unicode scalars.
    package var column: Int

    package var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    package var isNull: Bool {
        if case .scalar(let scalar) = content, case .null = scalar.kind { return true }
        return false
    }

    /// How the node reads in a message after "got": `"high"` for text, `7` for a number,
    /// `nothing` for an empty value, `a mapping`, `a list`.
    package var shortDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch scalar.kind {
            case .null: return "nothing"
            case .bool, .int, .float: return scalar.text
            case .string: return YAMLScalar.quoted(scalar.text)
            }
        }
    }
}

/// A scalar's text as written (after YAML unquoting) and the type YAML 1.1 resolves it to.
///
/// Readers that want text take `text` whatever the type, so `parity: N` (a YAML 1.1 boolean) or
/// `id: 42` still read as written; readers that want numbers insist on the resolved type, so a
/// quoted `"1"` is reported rather than guessed at.
package struct YAMLScalar {
    package enum Kind {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        /// Anything else, including timestamps and explicitly tagged values.
        case string
    }

    package var text: String
    package var kind: Kind

    /// `text` in double quotes with quotes, backslashes and control characters escaped, cut at
    /// 60 characters so that a pasted blob does not flood the terminal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == 60 {
                result += "…"
                break
            }
            count += 1
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// One entry of a mapping: the key's text, where the key was written, and the value.
package struct YAMLPair {
    package var key: String
    /// The key's own node, for diagnostics about the key (unknown, duplicate).
    package var keyNode: YAMLNode
    package var value: YAMLNode
}

/// A line and column in a YAML file.
struct YAMLPosition: Hashable {
    var line: Int
    var column: Int
}
