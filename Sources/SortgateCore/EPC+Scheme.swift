extension EPC {
    /// The scheme name (`sgtin-96`, …) and the pure-identity URI for the `inventory.scheme` and `inventory.uri`
    /// columns.
    ///
    /// An EPC with an unknown header is `("raw", nil)`. So is one with a known header that does not decode: the
    /// ingestion path rejects malformed EPCs with a reason (`EPCIdentity.validate(_:)`), and anything that reaches
    /// the inventory without decoding is still stored, by its hex.
    public var schemeAndURI: (scheme: String, uri: String?) {
        guard let identity = try? EPCIdentity.decode(self) else { return (EPCScheme.rawSchemeName, nil) }
        return (identity.scheme.rawValue, identity.pureIdentityURI)
    }
}
