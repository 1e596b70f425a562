extension EPCIdentity {
    /// The GTIN-14 of an SGTIN (TDS §7.1): indicator digit, company prefix, item reference, GS1 check digit.
    /// Nil for other schemes.
    public var gtin14: String? {
        guard scheme.kind == .sgtin else { return nil }
        return EPCIdentity.gs1Key(reference: reference, companyPrefix: companyPrefix)
    }

    /// The SSCC-18 of an SSCC (TDS §7.2): extension digit, company prefix, serial reference, GS1 check digit.
    /// Nil for other schemes.
    public var sscc18: String? {
        guard scheme.kind == .sscc else { return nil }
        return EPCIdentity.gs1Key(reference: reference, companyPrefix: companyPrefix)
    }

    /// GTIN and SSCC put the reference's first digit (indicator or extension) before the company prefix.
    private static func gs1Key(reference: String, companyPrefix: String) -> String {
        let body = String(reference.prefix(1)) + companyPrefix + reference.dropFirst()
        // The body is all digits (checked when the identity was made), so a check digit exists.
        return body + String(GS1CheckDigit.compute(for: body) ?? "0")
    }

    /// Builds an SGTIN from a GTIN-14 and a serial; the company prefix length comes from the GS1 company prefix
    /// assignment, which the GTIN itself does not reveal.
    ///
    /// - Parameters:
    ///   - gtin14: 14 digits ending in a valid GS1 check digit (pad a GTIN-8/12/13 with leading zeros).
    ///   - companyPrefixLength: 6 to 12.
    ///   - serial: a number without leading zeros below 2^38 for SGTIN-96, up to 20 GS1 AI characters (unescaped)
    ///     for SGTIN-198.
    ///   - scheme: `.sgtin96` or `.sgtin198`.
    /// - Throws: `EPCError` with the GTIN as input for a wrong length, non-digits, a wrong check digit (naming the
    ///   expected one), a company prefix length outside 6…12, a scheme that is not an SGTIN, or a serial the scheme
    ///   cannot hold.
    public init(
        gtin14: String,
        companyPrefixLength: Int,
        serial: String,
        scheme: EPCScheme = .sgtin96,
        filter: UInt8
    ) throws(EPCError) {
        guard scheme.kind == .sgtin else {
            throw EPCError(input: gtin14, reason: "a GTIN is encoded as sgtin-96 or sgtin-198, not \(scheme.rawValue)")
        }
        let (companyPrefix, reference) = try EPCIdentity.splitKey(
            gtin14,
            keyName: "GTIN-14",
            length: 14,
            companyPrefixLength: companyPrefixLength
        )
        do {
            try self.init(
                scheme: scheme,
                filter: filter,
                companyPrefix: companyPrefix,
                reference: reference,
                serial: serial
            )
        } catch {
            throw EPCError(input: "\(gtin14) serial \(serial)", reason: error.reason)
        }
    }

    /// Builds an SSCC-96 from an SSCC-18; the company prefix length comes from the GS1 company prefix assignment.
    ///
    /// - Throws: `EPCError` with the SSCC as input for a wrong length, non-digits, a wrong check digit (naming the
    ///   expected one), a company prefix length outside 6…12, or a filter above 7.
    public init(sscc18: String, companyPrefixLength: Int, filter: UInt8) throws(EPCError) {
        let (companyPrefix, reference) = try EPCIdentity.splitKey(
            sscc18,
            keyName: "SSCC-18",
            length: 18,
            companyPrefixLength: companyPrefixLength
        )
        do {
            try self.init(
                scheme: .sscc96,
                filter: filter,
                companyPrefix: companyPrefix,
                reference: reference,
                serial: nil
            )
        } catch {
            throw EPCError(input: sscc18, reason: error.reason)
        }
    }

    /// Checks a GTIN-14 or SSCC-18 and splits it into company prefix and reference (first digit + the digits
    /// between company prefix and check digit), the inverse of `gs1Key`.
    private static func splitKey(
        _ key: String,
        keyName: String,
        length: Int,
        companyPrefixLength: Int
    ) throws(EPCError) -> (companyPrefix: String, reference: String) {
        let digits = Array(key.utf8)
        guard digits.count == length else {
            throw EPCError(input: key, reason: "\(keyName) must have \(length) digits, not \(digits.count)")
        }
        if let problem = checkDigits(key, name: keyName) { throw EPCError(input: key, reason: problem.reason) }
        let expected = GS1CheckDigit.compute(for: key.dropLast()) ?? "0"
        guard key.last == expected else {
            throw EPCError(
                input: key,
                reason: "\(keyName) check digit is \(key.last ?? "0"), expected \(expected) (GS1 mod-10)"
            )
        }
        guard (6...12).contains(companyPrefixLength) else {
            throw EPCError(
                input: key,
                reason: "company prefix length must be 6 to 12 digits, not \(companyPrefixLength)"
            )
        }
        let companyPrefix = String(decoding: digits[1...companyPrefixLength], as: UTF8.self)
        let reference = String(decoding: [digits[0]] + digits[(companyPrefixLength + 1)..<(length - 1)], as: UTF8.self)
        return (companyPrefix, reference)
    }
}
