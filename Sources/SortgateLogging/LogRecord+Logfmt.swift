public import Logging
import SortgateCore

extension LogRecord {
    /// The record as one logfmt line (without the newline):
    /// `ts=2026-12-07T05:30:00.123Z level=info label=sortgate msg="broker connected" broker=site`.
    ///
    /// logfmt has no formal standard; this follows what its readers (Loki's `logfmt` stage, Go's
    /// `go-logfmt`, Heroku's parser) accept: `key=value` pairs separated by one space; a value is
    /// quoted when it is empty or holds a space, `=`, `"`, a control character or a non-ASCII
    /// character, and inside quotes `\` and `"` are escaped and control characters written as
    /// `\n`, `\r`, `\t` or `\u00XX`. A nested metadata dictionary becomes dotted keys
    /// (`peer.host=…`), an array one value `[a,b]`. Keys keep only letters, digits and `_.-/`.
    public var logfmt: String {
        var fields: [(String, String)] = [
            ("ts", timestamp), ("level", level.rawValue), ("label", label), ("msg", message),
        ]
        for (key, value) in orderedMetadata {
            Self.flatten(key: key, value, into: &fields)
        }
        return fields.map { Self.logfmtKey($0) + "=" + Self.logfmtValue($1) }.joined(separator: " ")
    }

    private static func flatten(key: String, _ value: Logger.MetadataValue, into fields: inout [(String, String)]) {
        switch value {
        case .dictionary(let dictionary):
            for (subkey, subvalue) in dictionary.sorted(by: { $0.key < $1.key }) {
                flatten(key: key + "." + subkey, subvalue, into: &fields)
            }
        default:
            fields.append((key, value.plainText))
        }
    }

    /// A key with every character logfmt readers would split on replaced by `_`.
    static func logfmtKey(_ key: String) -> String {
        let kept = key.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", "/": Character(scalar)
            default: "_"
            }
        }
        return kept.isEmpty ? "_" : String(kept)
    }

    /// A value, quoted and escaped when a reader would otherwise misread it.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x21 || $0.value > 0x7E
            }
        // A JSON string literal's escapes are exactly logfmt's quoted form.
        return needsQuotes ? value.jsonLiteral : value
    }
}

extension Logger.MetadataValue {
    /// The value as text: strings as they are, arrays as `[a,b]`, dictionaries as `{k=v}` (only
    /// reached for a dictionary inside an array: top-level ones are flattened by the caller).
    var plainText: String {
        switch self {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): "[" + values.map(\.plainText).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{"
                + dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.plainText)" }
                .joined(separator: ",") + "}"
        }
    }
}
