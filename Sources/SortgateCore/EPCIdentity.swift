/// A GS1 identity decoded from (or to be encoded into) an EPC: the scheme, the filter value, and the components of
/// the pure-identity URI as digit or character strings.
///
/// The three components mirror the EPC URI (`urn:epc:id:<type>:<companyPrefix>.<reference>[.<serial>]`, TDS §6.3):
///
/// | scheme              | `reference`                                | `serial`                              |
/// |---------------------|--------------------------------------------|---------------------------------------|
/// | SGTIN-96, SGTIN-198 | indicator + item reference: 13 − CP digits | 38-bit integer / ≤ 20 characters      |
/// | SSCC-96             | extension + serial reference: 17 − CP digits | nil                                 |
/// | SGLN-96, SGLN-195   | location reference: 12 − CP digits         | extension: 41-bit integer / ≤ 20 chars |
/// | GRAI-96, GRAI-170   | asset type: 12 − CP digits                 | 38-bit integer / ≤ 16 characters      |
/// | GIAI-96, GIAI-202   | asset reference: 42–62-bit integer / ≤ 30 − CP chars | nil                         |
///
/// The company prefix is 6 to 12 digits and its length selects the partition value. Integer components are written
/// without leading zeros (`0` for zero); alphanumeric ones hold characters of the GS1 AI character set 82 (TDS
/// Table A-1), unescaped: escaping is a property of the URI, not of the identity.
///
/// Every `EPCIdentity` is valid for its scheme: the initialisers check every component, so `epc`, `tagURI` and
/// `pureIdentityURI` cannot fail. Decoding builds strings and so allocates; `validate(_:)` performs the same
/// checks on an `EPC` without allocating.
public struct EPCIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The binary scheme (and so the size) of the EPC.
    public let scheme: EPCScheme
    /// The 3-bit filter value (0…7) that readers use to select kinds of object (TDS §10).
    public let filter: UInt8
    /// The GS1 Company Prefix, 6 to 12 digits with its leading zeros.
    public let companyPrefix: String
    /// The component after the company prefix; see the table in the type's documentation.
    public let reference: String
    /// The third component (serial or SGLN extension); nil for SSCC and GIAI, which have none.
    public let serial: String?

    /// Builds an identity from its components, checking each against the scheme's rules.
    ///
    /// - Throws: `EPCError` naming the component and the rule it breaks: a filter above 7, a company prefix that is
    ///   not 6 to 12 digits, a reference of the wrong digit count (or, for GIAI, too large or too long), a serial
    ///   with leading zeros, non-digits or above the scheme's bit width, characters outside the GS1 AI character
    ///   set, a serial given to SSCC or GIAI, or a missing one for the other schemes.
    public init(
        scheme: EPCScheme,
        filter: UInt8,
        companyPrefix: String,
        reference: String,
        serial: String?
    ) throws(EPCError) {
        if let problem = EPCIdentity.check(
            scheme: scheme,
            filter: filter,
            companyPrefix: companyPrefix,
            reference: reference,
            serial: serial
        ) {
            let input = "\(scheme.rawValue):\(filter).\(companyPrefix).\(reference)" + (serial.map { ".\($0)" } ?? "")
            throw EPCError(input: input, reason: problem.reason)
        }
        self.init(unchecked: scheme, filter: filter, companyPrefix: companyPrefix, reference: reference, serial: serial)
    }

    /// For components already known to be valid (decoded from checked bits).
    init(unchecked scheme: EPCScheme, filter: UInt8, companyPrefix: String, reference: String, serial: String?) {
        self.scheme = scheme
        self.filter = filter
        self.companyPrefix = companyPrefix
        self.reference = reference
        self.serial = serial
    }

    /// The partition value (0…6) the company prefix length selects.
    public var partition: Int { 12 - companyPrefix.utf8.count }

    /// The tag URI, which is the pure-identity URI with the scheme (size) and filter.
    public var description: String { tagURI }
}

/// Why a component is invalid; the caller adds the input (the URI, GTIN, or components) to make an `EPCError`.
struct EPCFieldProblem: Error, Hashable, Sendable {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

extension EPCIdentity {
    /// Checks every component for `scheme`; nil when all are valid.
    static func check(
        scheme: EPCScheme,
        filter: UInt8,
        companyPrefix: String,
        reference: String,
        serial: String?
    ) -> EPCFieldProblem? {
        let kind = scheme.kind
        guard filter <= 7 else { return EPCFieldProblem("filter value \(filter) is out of range 0–7") }
        let prefixLength = companyPrefix.utf8.count
        guard (6...12).contains(prefixLength) else {
            return EPCFieldProblem("company prefix '\(companyPrefix)' must be 6 to 12 digits, not \(prefixLength)")
        }
        if let problem = checkDigits(companyPrefix, name: "company prefix") { return problem }
        let partition = 12 - prefixLength
        let referenceBits = scheme.partitionedBits - EPCPartition.companyPrefixBits(partition)

        switch scheme.referenceCoding {
        case .paddedDigits:
            let digits = scheme.partitionedDigits - prefixLength
            guard reference.utf8.count == digits else {
                return EPCFieldProblem(
                    "\(kind.referenceName) '\(reference)' must be \(digits) digit\(digits == 1 ? "" : "s") with a "
                        + "\(prefixLength)-digit company prefix (\(kind.rawValue.uppercased()): "
                        + "\(scheme.partitionedDigits) digits together)"
                )
            }
            if let problem = checkDigits(reference, name: kind.referenceName) { return problem }
        case .integer:
            if let problem = checkInteger(reference, name: kind.referenceName, bits: referenceBits, scheme: scheme) {
                return problem
            }
        case .string:
            let maximum = scheme.partitionedDigits - prefixLength
            let context = "\(scheme.rawValue) holds with a \(prefixLength)-digit company prefix"
            if let problem = checkString(reference, name: kind.referenceName, maximum: maximum, context: context) {
                return problem
            }
        }

        switch scheme.trailingCoding {
        case .absent, .reserved:
            guard serial == nil else {
                return EPCFieldProblem("\(scheme.rawValue) has no third component (\(kind.componentNames))")
            }
        case .integer(let bits):
            guard let serial else {
                return EPCFieldProblem("\(kind.trailingName) is missing (\(kind.componentNames))")
            }
            if let problem = checkInteger(serial, name: kind.trailingName, bits: bits, scheme: scheme) {
                return problem
            }
        case .string(_, let maximum):
            guard let serial else {
                return EPCFieldProblem("\(kind.trailingName) is missing (\(kind.componentNames))")
            }
            let context = "\(scheme.rawValue) holds"
            if let problem = checkString(serial, name: kind.trailingName, maximum: maximum, context: context) {
                return problem
            }
        }
        return nil
    }

    static func checkDigits(_ text: String, name: String) -> EPCFieldProblem? {
        for (offset, code) in text.utf8.enumerated() where code < UInt8(ascii: "0") || code > UInt8(ascii: "9") {
            return EPCFieldProblem("\(name) '\(text)' has a non-digit at character \(offset + 1)")
        }
        return nil
    }

    /// An "Integer" field (TDS §14.3.1): decimal, no leading zeros, below 2^bits.
    static func checkInteger(_ text: String, name: String, bits: Int, scheme: EPCScheme) -> EPCFieldProblem? {
        guard !text.isEmpty else { return EPCFieldProblem("\(name) is empty") }
        if let problem = checkDigits(text, name: name) { return problem }
        guard text == "0" || text.utf8.first != UInt8(ascii: "0") else {
            return EPCFieldProblem(
                "\(name) '\(text)' has a leading zero, which \(scheme.rawValue) cannot encode "
                    + "(it stores the number \(bits) bits wide)"
            )
        }
        guard let value = parseDecimal(text), value < UInt64(1) << UInt64(bits) else {
            return EPCFieldProblem(
                "\(name) \(text) does not fit in \(scheme.rawValue)'s \(bits) bits (largest \((UInt64(1) << bits) - 1))"
            )
        }
        return nil
    }

    /// A "String" field (TDS §14.3.2): 1 to `maximum` characters of the GS1 AI character set.
    /// `context` completes "more than the N …" in the message, e.g. "sgtin-198 holds".
    static func checkString(_ text: String, name: String, maximum: Int, context: String) -> EPCFieldProblem? {
        guard !text.isEmpty else { return EPCFieldProblem("\(name) is empty") }
        if let problem = GS1CharacterSet82.check(text, name: name) { return problem }
        let count = text.utf8.count
        guard count <= maximum else {
            return EPCFieldProblem("\(name) has \(count) characters, more than the \(maximum) \(context)")
        }
        return nil
    }

    /// The value of an all-digit string of at most 19 digits; nil when longer or not all digits.
    static func parseDecimal(_ text: some StringProtocol) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 19 else { return nil }
        var value: UInt64 = 0
        for code in text.utf8 {
            guard code >= UInt8(ascii: "0"), code <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(code - UInt8(ascii: "0"))
        }
        return value
    }

    /// `value` in decimal, zero-padded to `digits` (nothing at all for zero digits).
    static func paddedDecimal(_ value: UInt64, digits: Int) -> String {
        guard digits > 0 else { return "" }
        let plain = String(value)
        let padding = digits - plain.utf8.count
        return padding > 0 ? String(repeating: "0", count: padding) + plain : plain
    }
}
