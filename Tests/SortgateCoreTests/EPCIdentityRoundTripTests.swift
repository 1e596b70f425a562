import SortgateCore
import Testing

/// A failing round trip replays exactly from its seed.
extension SplitMix64 {
    /// A decimal string of exactly `count` random digits (leading zeros included).
    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &self))) })
    }

    /// A random value below 2^bits, biased towards the edges 0, 1 and 2^bits − 1 that break codecs.
    mutating func integer(bits: Int) -> UInt64 {
        let maximum = bits == 64 ? UInt64.max : (UInt64(1) << UInt64(bits)) - 1
        switch Int.random(in: 0..<10, using: &self) {
        case 0: return 0
        case 1: return maximum
        case 2: return 1
        default: return UInt64.random(in: 0...maximum, using: &self)
        }
    }

    /// 1…`maximum` characters of the GS1 AI character set, sometimes exactly `maximum`.
    mutating func characters(maximum: Int) -> String {
        let count = Bool.random(using: &self) ? maximum : Int.random(in: 1...maximum, using: &self)
        return String((0..<count).map { _ in epcGS1Characters.randomElement(using: &self)! })
    }
}

/// GS1 AI encodable character set 82 (TDS Table A-1).
let epcGS1Characters = Array("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")

/// The URI form of an alphanumeric component, written here independently of the codec.
func epcURIEscaped(_ text: String) -> String {
    let escapes: [Character: String] = [
        "\"": "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F",
    ]
    return text.map { escapes[$0] ?? String($0) }.joined()
}

/// Random valid components for `scheme`, following the TDS coding tables, not the codec's own tables.
func epcRandomComponents(
    for scheme: EPCScheme,
    using random: inout SplitMix64
) -> (filter: UInt8, companyPrefix: String, reference: String, serial: String?) {
    let filter = UInt8.random(in: 0...7, using: &random)
    let prefixLength = Int.random(in: 6...12, using: &random)
    let companyPrefix = random.digits(prefixLength)
    let prefixBits = [40, 37, 34, 30, 27, 24, 20][12 - prefixLength]
    let reference: String
    let serial: String?
    switch scheme {
    case .sgtin96, .sgtin198:
        reference = random.digits(13 - prefixLength)
    case .sscc96:
        reference = random.digits(17 - prefixLength)
    case .sgln96, .sgln195, .grai96, .grai170:
        reference = random.digits(12 - prefixLength)
    case .giai96:
        reference = String(random.integer(bits: 82 - prefixBits))
    case .giai202:
        reference = random.characters(maximum: 30 - prefixLength)
    }
    switch scheme {
    case .sgtin96, .grai96: serial = String(random.integer(bits: 38))
    case .sgln96: serial = String(random.integer(bits: 41))
    case .sgtin198, .sgln195: serial = random.characters(maximum: 20)
    case .grai170: serial = random.characters(maximum: 16)
    case .sscc96, .giai96, .giai202: serial = nil
    }
    return (filter, companyPrefix, reference, serial)
}

@Suite("EPC identity: round trips over random values")
struct EPCIdentityRoundTripTests {
    @Test("Random valid fields → EPC → fields, URIs and hex agree", arguments: EPCScheme.allCases)
    func fieldsRoundTrip(_ scheme: EPCScheme) throws {
        var random = SplitMix64(seed: 0x5EED_0000 &+ UInt64(scheme.header))
        for _ in 0..<2_000 {
            let (filter, companyPrefix, reference, serial) = epcRandomComponents(for: scheme, using: &random)
            let identity = try EPCIdentity(
                scheme: scheme,
                filter: filter,
                companyPrefix: companyPrefix,
                reference: reference,
                serial: serial
            )
            let epc = identity.epc
            #expect(Int(epc.bitCount) == scheme.tagBitCount)
            #expect(epc.header == scheme.header)
            #expect(epc.bits(at: 8, count: 3) == UInt64(filter))
            #expect(epc.bits(at: 11, count: 3) == UInt64(12 - companyPrefix.count))
            #expect(try EPCIdentity.validate(epc) == scheme)
            let decoded = try #require(try EPCIdentity.decode(epc))
            #expect(decoded.scheme == scheme)
            #expect(decoded.filter == filter)
            #expect(decoded.companyPrefix == companyPrefix)
            #expect(decoded.reference == reference)
            #expect(decoded.serial == serial)
            #expect(try EPC(hex: epc.hex) == epc)
            #expect(try EPC(bytes: epc.bytes) == epc)

            let body = companyPrefix + "." + epcURIEscaped(reference) + (serial.map { "." + epcURIEscaped($0) } ?? "")
            let pure = "urn:epc:id:\(scheme.identityType):\(body)"
            let tag = "urn:epc:tag:\(scheme.rawValue):\(filter).\(body)"
            #expect(decoded.pureIdentityURI == pure)
            #expect(decoded.tagURI == tag)
            #expect(epc.schemeAndURI.scheme == scheme.rawValue)
            #expect(epc.schemeAndURI.uri == pure)
        }
    }

    @Test("Random URIs → EPC → URI give back the same text", arguments: EPCScheme.allCases)
    func urisRoundTrip(_ scheme: EPCScheme) throws {
        var random = SplitMix64(seed: 0xC0FF_EE00 &+ UInt64(scheme.header))
        for _ in 0..<2_000 {
            let (filter, companyPrefix, reference, serial) = epcRandomComponents(for: scheme, using: &random)
            let body = companyPrefix + "." + epcURIEscaped(reference) + (serial.map { "." + epcURIEscaped($0) } ?? "")
            let tag = "urn:epc:tag:\(scheme.rawValue):\(filter).\(body)"
            let pure = "urn:epc:id:\(scheme.identityType):\(body)"

            let fromTag = try EPCIdentity(tagURI: tag)
            let tagEPC = fromTag.epc
            let viaTag = try #require(try EPCIdentity.decode(tagEPC))
            #expect(viaTag.tagURI == tag)
            #expect(viaTag.pureIdentityURI == pure)

            let fromPure = try EPCIdentity(pureIdentityURI: pure, scheme: scheme, filter: filter)
            #expect(fromPure.epc == tagEPC)
            #expect(try #require(try EPCIdentity.decode(fromPure.epc)).pureIdentityURI == pure)
        }
    }

    @Test("GTIN-14 and SSCC-18 round trip through their SGTIN and SSCC")
    func gs1KeysRoundTrip() throws {
        var random = SplitMix64(seed: 0x6751_0001)
        for _ in 0..<2_000 {
            let prefixLength = Int.random(in: 6...12, using: &random)
            let gtinBody = random.digits(13)
            let gtin = gtinBody + String(GS1CheckDigit.compute(for: gtinBody)!)
            let serial = String(random.integer(bits: 38))
            let sgtin = try EPCIdentity(gtin14: gtin, companyPrefixLength: prefixLength, serial: serial, filter: 1)
            #expect(sgtin.gtin14 == gtin)
            #expect(sgtin.companyPrefix == String(gtin.dropFirst().prefix(prefixLength)))
            #expect(try EPCIdentity(decoding: sgtin.epc).gtin14 == gtin)

            let ssccBody = random.digits(17)
            let sscc = ssccBody + String(GS1CheckDigit.compute(for: ssccBody)!)
            let ssccIdentity = try EPCIdentity(sscc18: sscc, companyPrefixLength: prefixLength, filter: 2)
            #expect(ssccIdentity.sscc18 == sscc)
            #expect(try EPCIdentity(decoding: ssccIdentity.epc).sscc18 == sscc)
        }
    }

    @Test("Random bits: validate and decode agree, and whatever decodes re-encodes to the same bits")
    func randomBitsAreCanonical() throws {
        var random = SplitMix64(seed: 0xB175_0002)
        var decodedCount: [EPCScheme: Int] = [:]
        for round in 0..<40_000 {
            let scheme = EPCScheme.allCases[round % EPCScheme.allCases.count]
            var epc = EPC(
                w0: random.next(),
                w1: random.next(),
                w2: random.next(),
                w3: random.next(),
                bitCount: scheme.tagBitCount
            )
            epc.setBits(at: 0, count: 8, to: UInt64(scheme.header))
            // Keep the random bits but give most EPCs a legal partition and zero padding, so that the deeper
            // checks run; the rest exercise partition 7 and padding.
            if round % 8 != 0 {
                epc.setBits(at: 11, count: 3, to: UInt64.random(in: 0...6, using: &random))
                let padding = scheme.tagBitCount - scheme.encodedBitCount
                if padding > 0 { epc.setBits(at: scheme.encodedBitCount, count: padding, to: 0) }
            }
            let clean = try EPC(hex: epc.hex)
            let validated = Result { () throws(EPCError) in try EPCIdentity.validate(clean) }
            let decoded = Result { () throws(EPCError) in try EPCIdentity.decode(clean) }
            switch (validated, decoded) {
            case (.success(let validScheme), .success(let identity)):
                #expect(validScheme == scheme)
                #expect(identity?.epc == clean)
                decodedCount[scheme, default: 0] += 1
            case (.failure(let validateError), .failure(let decodeError)):
                #expect(validateError == decodeError)
            default:
                Issue.record("validate and decode disagree on \(clean.hex)")
            }
        }
        // The 96-bit numeric schemes decode often from random bits; the alphanumeric ones almost never do.
        #expect(decodedCount[.sgtin96, default: 0] > 100)
        #expect(decodedCount[.giai96, default: 0] > 1_000)
        #expect(decodedCount[.sgln96, default: 0] > 100)
    }
}
