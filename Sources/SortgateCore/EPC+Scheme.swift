// Temporary contract stub, replaced by the EPC codec (EPCIdentity).
extension EPC {
    /// The scheme name (`sgtin-96`, …, `raw`) and the pure-identity URI when decodable.
    public var schemeAndURI: (scheme: String, uri: String?) { ("raw", nil) }
}
