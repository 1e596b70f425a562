extension EPCIdentity {
    static let pureIdentityPrefix = "urn:epc:id:"
    static let tagPrefix = "urn:epc:tag:"

    /// The EPC pure-identity URI (TDS §6.3), e.g. `urn:epc:id:sgtin:0614141.812345.6789`: the form stored in
    /// `inventory.uri` and used by EPCIS. It names the object, not the tag: scheme size and filter are not in it.
    public var pureIdentityURI: String {
        EPCIdentity.pureIdentityPrefix + scheme.kind.rawValue + ":" + uriComponents
    }

    /// The EPC tag URI (TDS §12), e.g. `urn:epc:tag:sgtin-96:3.0614141.812345.6789`: the pure identity plus the
    /// scheme and filter value, everything needed to write the tag.
    public var tagURI: String {
        EPCIdentity.tagPrefix + scheme.rawValue + ":" + String(filter) + "." + uriComponents
    }

    /// `companyPrefix.reference[.serial]` with alphanumeric characters escaped as TDS Table A-1 requires.
    private var uriComponents: String {
        var text = companyPrefix + "." + GS1CharacterSet82.escaped(reference)
        if let serial { text += "." + GS1CharacterSet82.escaped(serial) }
        return text
    }

    /// Parses an EPC tag URI (`urn:epc:tag:<scheme>:<filter>.<components>`), which carries the scheme and filter.
    ///
    /// - Throws: `EPCError` with the URI as input for a wrong prefix, an unknown scheme name, a filter that is not
    ///   one digit 0–7, the wrong number of components, non-digits in numeric components, bad `%`-escapes or
    ///   characters, and every component rule of `init(scheme:filter:companyPrefix:reference:serial:)`.
    public init(tagURI: String) throws(EPCError) {
        guard tagURI.hasPrefix(EPCIdentity.tagPrefix) else {
            throw EPCError(input: tagURI, reason: "an EPC tag URI starts with '\(EPCIdentity.tagPrefix)'")
        }
        let rest = tagURI.dropFirst(EPCIdentity.tagPrefix.count)
        guard let colon = rest.firstIndex(of: ":") else {
            throw EPCError(input: tagURI, reason: "missing ':' after the scheme name")
        }
        let name = rest[..<colon]
        guard let scheme = EPCScheme(rawValue: String(name)) else {
            let known = EPCScheme.allCases.map(\.rawValue).joined(separator: ", ")
            throw EPCError(input: tagURI, reason: "unknown EPC scheme '\(name)' (sortgate decodes \(known))")
        }
        let body = rest[rest.index(after: colon)...]
        guard let dot = body.firstIndex(of: "."), body.distance(from: body.startIndex, to: dot) == 1,
            let filterCode = body.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(filterCode)
        else {
            let filterText = body.prefix { $0 != "." }
            throw EPCError(
                input: tagURI,
                reason: "filter '\(filterText)' must be one digit 0–7, followed by '.' and "
                    + scheme.kind.componentNames
            )
        }
        let filter = filterCode - UInt8(ascii: "0")
        self = try EPCIdentity.parse(
            body[body.index(after: dot)...],
            scheme: scheme,
            filter: filter,
            uri: tagURI,
            components: "\(scheme.rawValue) tag URI"
        )
    }

    /// Parses an EPC pure-identity URI (`urn:epc:id:<type>:<components>`) for the given scheme (size) and filter,
    /// which the pure identity leaves open.
    ///
    /// - Throws: `EPCError` with the URI as input for a wrong prefix, a type that is not `scheme`'s (an SSCC URI
    ///   cannot become an SGTIN-96), a wrong number of components, non-digits in numeric components, bad
    ///   `%`-escapes or characters, a filter above 7, and every component rule of
    ///   `init(scheme:filter:companyPrefix:reference:serial:)` (e.g. a serial with a leading zero for SGTIN-96).
    public init(pureIdentityURI: String, scheme: EPCScheme, filter: UInt8) throws(EPCError) {
        guard pureIdentityURI.hasPrefix(EPCIdentity.pureIdentityPrefix) else {
            throw EPCError(
                input: pureIdentityURI,
                reason: "an EPC pure-identity URI starts with '\(EPCIdentity.pureIdentityPrefix)'"
            )
        }
        let rest = pureIdentityURI.dropFirst(EPCIdentity.pureIdentityPrefix.count)
        guard let colon = rest.firstIndex(of: ":") else {
            throw EPCError(input: pureIdentityURI, reason: "missing ':' after the EPC type")
        }
        let type = rest[..<colon]
        guard type == scheme.kind.rawValue else {
            throw EPCError(
                input: pureIdentityURI,
                reason: "EPC type '\(type)' cannot be encoded as \(scheme.rawValue), which encodes "
                    + "'\(scheme.kind.rawValue)'"
            )
        }
        self = try EPCIdentity.parse(
            rest[rest.index(after: colon)...],
            scheme: scheme,
            filter: filter,
            uri: pureIdentityURI,
            components: "urn:epc:id:\(scheme.kind.rawValue)"
        )
    }

    /// Splits and checks `CompanyPrefix.Reference[.Serial]`. Only the last component may be alphanumeric, and
    /// alphanumeric components may contain '.', so the body splits at its first dots only.
    private static func parse(
        _ body: Substring,
        scheme: EPCScheme,
        filter: UInt8,
        uri: String,
        components: String
    ) throws(EPCError) -> EPCIdentity {
        let kind = scheme.kind
        let expected = kind.componentCount
        let lastIsAlphanumeric: Bool
        switch (scheme.referenceCoding, scheme.trailingCoding) {
        case (.string, _), (_, .string): lastIsAlphanumeric = true
        default: lastIsAlphanumeric = false
        }
        let parts = body.split(separator: ".", maxSplits: expected - 1, omittingEmptySubsequences: false)
        let total = body.split(separator: ".", omittingEmptySubsequences: false).count
        guard parts.count == expected, lastIsAlphanumeric || total == expected else {
            throw EPCError(
                input: uri,
                reason: "\(components) needs \(expected) components (\(kind.componentNames)) separated by '.', "
                    + "found \(lastIsAlphanumeric ? parts.count : total)"
            )
        }
        let companyPrefix = String(parts[0])
        if let problem = checkDigits(companyPrefix, name: "company prefix") {
            throw EPCError(input: uri, reason: problem.reason)
        }
        let reference: String
        if scheme.referenceCoding == .string {
            reference = try unescape(parts[1], name: kind.referenceName, uri: uri)
        } else {
            reference = String(parts[1])
            if let problem = checkDigits(reference, name: kind.referenceName) {
                throw EPCError(input: uri, reason: problem.reason)
            }
        }
        var serial: String?
        if expected == 3 {
            if case .string = scheme.trailingCoding {
                serial = try unescape(parts[2], name: kind.trailingName, uri: uri)
            } else {
                serial = String(parts[2])
                if let problem = checkDigits(serial ?? "", name: kind.trailingName) {
                    throw EPCError(input: uri, reason: problem.reason)
                }
            }
        }
        if let problem = check(
            scheme: scheme,
            filter: filter,
            companyPrefix: companyPrefix,
            reference: reference,
            serial: serial
        ) {
            throw EPCError(input: uri, reason: problem.reason)
        }
        return EPCIdentity(
            unchecked: scheme,
            filter: filter,
            companyPrefix: companyPrefix,
            reference: reference,
            serial: serial
        )
    }

    private static func unescape(_ component: Substring, name: String, uri: String) throws(EPCError) -> String {
        switch GS1CharacterSet82.unescaped(component, name: name) {
        case .success(let text): return text
        case .failure(let problem): throw EPCError(input: uri, reason: problem.reason)
        }
    }
}
