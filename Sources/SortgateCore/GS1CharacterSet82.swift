/// GS1 AI encodable character set 82, the characters allowed in alphanumeric EPC fields (SGTIN-198 and GRAI-170
/// serials, SGLN-195 extensions, GIAI-202 asset references), with their URI escaping (TDS Appendix A, Table A-1).
///
/// Every character is 7-bit ASCII, which is also its binary code in the EPC (TDS §14.3.2).
enum GS1CharacterSet82 {
    /// Whether `code` is one of the 82 characters: `!"%&'()*+,-./`, digits, `:;<=>?`, letters and `_`.
    static func contains(_ code: UInt8) -> Bool {
        switch code {
        case 0x21, 0x22, 0x25...0x3F, 0x41...0x5A, 0x5F, 0x61...0x7A: true
        default: false
        }
    }

    /// Whether an EPC URI must write `code` as `%XX`: `"`, `%`, `&`, `/`, `<`, `>`, `?` (Table A-1, "URI form").
    static func needsEscape(_ code: UInt8) -> Bool {
        switch code {
        case 0x22, 0x25, 0x26, 0x2F, 0x3C, 0x3E, 0x3F: true
        default: false
        }
    }

    /// `text` in EPC URI form: the characters of `needsEscape` as upper-case `%XX`, everything else as is.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: needsEscape) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count + 8)
        let hexDigits = Array("0123456789ABCDEF".utf8)
        for code in text.utf8 {
            if needsEscape(code) {
                result.append(UInt8(ascii: "%"))
                result.append(hexDigits[Int(code >> 4)])
                result.append(hexDigits[Int(code & 0xF)])
            } else {
                result.append(code)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Decodes the URI form of an alphanumeric component: `%XX` escapes (either case of hex digit) of any character
    /// of the set, and literal characters of the set that need no escape. Returns the characters, or why not.
    static func unescaped(_ component: Substring, name: String) -> Result<String, EPCFieldProblem> {
        var result: [UInt8] = []
        let bytes = Array(component.utf8)
        var index = 0
        while index < bytes.count {
            let code = bytes[index]
            if code == UInt8(ascii: "%") {
                guard index + 2 < bytes.count,
                    let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else {
                    return .failure(
                        EPCFieldProblem("\(name) has a malformed %-escape at character \(index + 1) (expected %XX)")
                    )
                }
                let escapedCode = high << 4 | low
                guard contains(escapedCode) else {
                    return .failure(
                        EPCFieldProblem(
                            "\(name) escape %\(hexPair(escapedCode)) at character \(index + 1) is not a character "
                                + "of the GS1 AI character set (TDS Table A-1)"
                        )
                    )
                }
                result.append(escapedCode)
                index += 3
            } else {
                guard contains(code) else {
                    let reason = invalidCharacterReason(name: name, code: code, position: index + 1)
                    return .failure(EPCFieldProblem(reason))
                }
                guard !needsEscape(code) else {
                    return .failure(
                        EPCFieldProblem(
                            "\(name) character \(index + 1) '\(Character(Unicode.Scalar(code)))' must be written "
                                + "%\(hexPair(code)) in an EPC URI (TDS Table A-1)"
                        )
                    )
                }
                result.append(code)
                index += 1
            }
        }
        return .success(String(decoding: result, as: UTF8.self))
    }

    /// Checks that a field value given as plain characters (not URI form) uses only the set.
    static func check(_ text: String, name: String) -> EPCFieldProblem? {
        for (offset, code) in text.utf8.enumerated() where !contains(code) {
            return EPCFieldProblem(invalidCharacterReason(name: name, code: code, position: offset + 1))
        }
        return nil
    }

    static func invalidCharacterReason(name: String, code: UInt8, position: Int) -> String {
        let shown = code >= 0x21 && code < 0x7F ? " '\(Character(Unicode.Scalar(code)))'" : ""
        return "\(name) character \(position)\(shown) (0x\(hexPair(code))) is not in the GS1 AI character set "
            + "(TDS Table A-1)"
    }

    static func hexPair(_ code: UInt8) -> String {
        let hexDigits = Array("0123456789ABCDEF")
        return String([hexDigits[Int(code >> 4)], hexDigits[Int(code & 0xF)]])
    }

    private static func hexValue(_ code: UInt8) -> UInt8? {
        switch code {
        case 0x30...0x39: code - 0x30
        case 0x41...0x46: code - 0x37
        case 0x61...0x66: code - 0x57
        default: nil
        }
    }
}
