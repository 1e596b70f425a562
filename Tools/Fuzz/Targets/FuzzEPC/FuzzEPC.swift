import SortgateCore

/// The EPC codec: hex and raw bytes into an `EPC`, binary decoding into an `EPCIdentity`
/// (SGTIN, SSCC, SGLN, GRAI, …), its URIs, and the URI and SSCC-18 parsers, each with the
/// fuzz input as text. Whatever decodes must encode back to the same bits.
func fuzzEPC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)

    var epcs: [EPC] = []
    if let epc = EPC(hexBytes: bytes) { epcs.append(epc) }
    if let epc = try? EPC(hex: text) { epcs.append(epc) }
    if let epc = try? EPC(bytes: bytes) { epcs.append(epc) }
    for epc in epcs {
        _ = epc.hex
        _ = epc.bytes
        _ = try? EPCIdentity.validate(epc)
        if let identity = try? EPCIdentity.decode(epc) {
            roundTrip(identity, from: epc)
        }
    }

    if let identity = try? EPCIdentity(tagURI: text) {
        _ = identity.epc
        _ = identity.pureIdentityURI
    }
    for scheme in EPCScheme.allCases {
        if let identity = try? EPCIdentity(pureIdentityURI: text, scheme: scheme, filter: UInt8(size & 7)) {
            _ = identity.epc
            _ = identity.tagURI
        }
    }
    for length in [6, 7, 9, 12, 0, -1, Int.max] {
        _ = try? EPCIdentity(sscc18: text, companyPrefixLength: length, filter: 0)
    }
    return 0
}

/// A decoded identity's URIs and keys are computed, and its encoding gives back the EPC's bits
/// (the codec must be lossless for every EPC it accepts).
func roundTrip(_ identity: EPCIdentity, from epc: EPC) {
    let uri = identity.tagURI
    _ = identity.pureIdentityURI
    _ = identity.gtin14
    _ = identity.sscc18
    let encoded = identity.epc
    precondition(
        encoded.bits(at: 0, count: min(64, identity.scheme.encodedBitCount))
            == epc.bits(at: 0, count: min(64, identity.scheme.encodedBitCount)),
        "\(uri): encoding does not give back \(epc.hex)"
    )
    if let parsed = try? EPCIdentity(tagURI: uri) {
        precondition(parsed == identity, "\(uri) parses to \(parsed.tagURI)")
    }
}
