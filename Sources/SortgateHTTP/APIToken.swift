import Foundation

/// The bearer token of the HTTP API, read once at start from `http.token_file`.
///
/// The file must hold the token (surrounding white space ignored) and must be readable by its
/// owner only: anyone who can read it can acknowledge alerts. Comparison takes the same time
/// whatever the first differing byte is, so response times tell an attacker nothing about how
/// much of a guess was right.
public struct APIToken: Sendable {
    private let bytes: [UInt8]

    /// A token given directly (tests).
    public init(_ token: String) {
        bytes = Array(token.utf8)
    }

    /// Reads the token from `path`, refusing a file group or others may read, and an empty one.
    public init(file path: String) throws(HTTPServiceError) {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw HTTPServiceError(
                kind: .token,
                description: "http.token_file '\(path)' cannot be read: it does not exist or is not accessible; "
                    + "create it with a long random token (e.g. `openssl rand -hex 32 > \(path) && chmod 600 \(path)`)"
            )
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        if mode & 0o077 != 0 {
            throw HTTPServiceError(
                kind: .token,
                description: "http.token_file '\(path)' is readable by group or others (mode "
                    + String(mode & 0o777, radix: 8) + "); run `chmod 600 \(path)`"
            )
        }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw HTTPServiceError(
                kind: .token,
                description: "http.token_file '\(path)' cannot be read as UTF-8 text"
            )
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw HTTPServiceError(
                kind: .token,
                description: "http.token_file '\(path)' is empty; write the API token into it"
            )
        }
        self.init(token)
    }

    /// True when `candidate` is the token, compared in time independent of where they differ.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let other = Array(candidate.utf8)
        // Walks the whole token whatever the candidate's length; a length mismatch only sets a bit.
        var difference: UInt8 = other.count == bytes.count ? 0 : 1
        for index in 0..<bytes.count {
            difference |= bytes[index] ^ (index < other.count ? other[index] : 0)
        }
        return difference == 0
    }
}
