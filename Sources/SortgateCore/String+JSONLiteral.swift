extension String {
    /// The text as a JSON string literal (RFC 8259 §7): quotes, backslashes and control characters
    /// escaped (`\u001f` for those without a short form), everything else as is. The one writer of
    /// the hand-laid JSON of EPCIS exports and generated captures, whose key order must stay fixed.
    package var jsonLiteral: String {
        var out = "\""
        out.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
