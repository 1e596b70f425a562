import Foundation

/// A logfmt reader written from the format's description (not from the writer under test): pairs
/// separated by spaces, a value bare up to the next space or quoted with `\"`, `\\`, `\n`, `\r`,
/// `\t` and `\uXXXX` escapes. Returns nil for a line it cannot read.
public func parseLogfmt(_ line: String) -> [(key: String, value: String)]? {
    var pairs: [(String, String)] = []
    var scalars = Array(line.unicodeScalars)[...]
    while !scalars.isEmpty {
        guard let equals = scalars.firstIndex(of: "=") else { return nil }
        let key = String(String.UnicodeScalarView(scalars[..<equals]))
        if key.isEmpty || key.unicodeScalars.contains(" ") { return nil }
        scalars = scalars[(equals + 1)...]
        var value = String.UnicodeScalarView()
        if scalars.first == "\"" {
            scalars = scalars.dropFirst()
            var closed = false
            while let scalar = scalars.popFirst() {
                if scalar == "\"" {
                    closed = true
                    break
                }
                guard scalar == "\\" else {
                    value.append(scalar)
                    continue
                }
                guard let escaped = scalars.popFirst() else { return nil }
                switch escaped {
                case "\"", "\\", "/": value.append(escaped)
                case "n": value.append("\n")
                case "r": value.append("\r")
                case "t": value.append("\t")
                case "u":
                    let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
                    guard hex.count == 4, let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) else {
                        return nil
                    }
                    value.append(decoded)
                    scalars = scalars.dropFirst(4)
                default: return nil
                }
            }
            if !closed { return nil }
            if let next = scalars.first, next != " " { return nil }
        } else {
            while let scalar = scalars.first, scalar != " " {
                if scalar == "\"" || scalar == "=" { return nil }
                value.append(scalar)
                scalars = scalars.dropFirst()
            }
        }
        pairs.append((key, String(value)))
        if scalars.first == " " { scalars = scalars.dropFirst() }
    }
    return pairs
}

/// One JSON line as an object, or nil when it is not exactly one JSON object.
public func parseJSONObject(_ line: String) -> [String: Any]? {
    guard !line.contains("\n"), let data = line.data(using: .utf8) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}
