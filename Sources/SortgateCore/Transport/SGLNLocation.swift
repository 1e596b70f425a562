/// A location as EPCIS names it: an SGLN pure-identity URI, `urn:epc:id:sgln:CompanyPrefix.LocationReference.Extension`.
///
/// The company prefix and location reference are digits, 12 together (the GLN without its check
/// digit); the extension is up to 20 characters of the GS1 AI character set 82 in URI form, `0`
/// meaning "no extension" (TDS §6.3.5). A site names itself by one SGLN (the GLN of the
/// building) and its zones by the same GLN with the zone as extension, unless a zone is given
/// its own.
public struct SGLNLocation: Hashable, Sendable, CustomStringConvertible {
    public let companyPrefix: String
    public let locationReference: String
    /// In URI form (`%2F` for `/` …).
    public let `extension`: String

    static let scheme = "urn:epc:id:sgln:"

    /// Parses an SGLN URI, or says what is wrong with it.
    public static func parse(_ uri: String) -> Result<SGLNLocation, SGLNProblem> {
        guard uri.hasPrefix(scheme) else {
            return .failure(SGLNProblem("expected an SGLN URI such as urn:epc:id:sgln:4012345.00001.0, got '\(uri)'"))
        }
        let parts = uri.dropFirst(scheme.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure(
                SGLNProblem("'\(uri)' needs three parts after urn:epc:id:sgln: (prefix.reference.extension)")
            )
        }
        let prefix = String(parts[0])
        let reference = String(parts[1])
        guard (6...12).contains(prefix.count), prefix.allSatisfy(\.isASCIIDigit),
            reference.allSatisfy(\.isASCIIDigit), prefix.count + reference.count == 12
        else {
            return .failure(
                SGLNProblem(
                    "'\(uri)': company prefix (6 to 12 digits) and location reference (digits) must be 12 digits together"
                )
            )
        }
        let extensionText = String(parts[2])
        if let problem = checkExtension(extensionText) { return .failure(SGLNProblem("'\(uri)': \(problem)")) }
        return .success(SGLNLocation(companyPrefix: prefix, locationReference: reference, extension: extensionText))
    }

    private init(companyPrefix: String, locationReference: String, extension: String) {
        self.companyPrefix = companyPrefix
        self.locationReference = locationReference
        self.extension = `extension`
    }

    /// The same GLN with `name` (plain characters) as extension, or what makes `name` unusable.
    public func withExtension(_ name: String) -> Result<SGLNLocation, SGLNProblem> {
        if let problem = GS1CharacterSet82.check(name, name: "extension") {
            return .failure(SGLNProblem(problem.reason))
        }
        guard (1...20).contains(name.utf8.count) else {
            return .failure(SGLNProblem("an SGLN extension has 1 to 20 characters; '\(name)' has \(name.utf8.count)"))
        }
        return .success(
            SGLNLocation(
                companyPrefix: companyPrefix,
                locationReference: locationReference,
                extension: GS1CharacterSet82.escaped(name)
            )
        )
    }

    public var description: String { "\(Self.scheme)\(companyPrefix).\(locationReference).\(`extension`)" }

    private static func checkExtension(_ text: String) -> String? {
        guard !text.isEmpty else { return "the extension is empty (write 0 for none)" }
        switch GS1CharacterSet82.unescaped(Substring(text), name: "extension") {
        case .failure(let problem): return problem.reason
        case .success(let plain):
            return (1...20).contains(plain.utf8.count)
                ? nil : "an SGLN extension has 1 to 20 characters, got \(plain.utf8.count)"
        }
    }
}

/// Why a text is not a usable SGLN.
public struct SGLNProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
