public import Logging
import SortgateCore

extension LogRecord {
    /// The record as one JSON object on one line (without the newline), RFC 8259:
    /// `{"ts":"2026-12-07T05:30:00.123Z","level":"info","label":"sortgate","msg":"…","broker":"site"}`.
    ///
    /// The record's fields come first, then the metadata in key order; metadata values keep their
    /// shape (strings, arrays, objects). Strings are escaped as JSON requires and nothing more, so
    /// non-ASCII text stays readable UTF-8.
    public var jsonLine: String {
        var line = "{\"ts\":" + timestamp.jsonLiteral
        line += ",\"level\":" + level.rawValue.jsonLiteral
        line += ",\"label\":" + label.jsonLiteral
        line += ",\"msg\":" + message.jsonLiteral
        for (key, value) in orderedMetadata {
            line += "," + key.jsonLiteral + ":" + value.json
        }
        return line + "}"
    }
}

extension Logger.MetadataValue {
    /// The value as JSON: a string, an array or an object.
    var json: String {
        switch self {
        case .string(let text): text.jsonLiteral
        case .stringConvertible(let value): value.description.jsonLiteral
        case .array(let values): "[" + values.map(\.json).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{"
                + dictionary.sorted { $0.key < $1.key }.map { $0.key.jsonLiteral + ":" + $0.value.json }
                .joined(separator: ",") + "}"
        }
    }
}
