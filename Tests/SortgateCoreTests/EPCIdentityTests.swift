import SortgateCore
import Testing

/// One EPC in all its forms.
struct EPCExample: Sendable, CustomTestStringConvertible {
    var hex: String
    var tagURI: String
    var pureIdentityURI: String
    var scheme: EPCScheme
    var filter: UInt8
    var companyPrefix: String
    var reference: String
    var serial: String?

    var testDescription: String { tagURI }
}

/// Worked examples: the TDS's own (company prefix 0614141, filter 3; the SGTIN-96 one is TDS Appendix E) and
/// those published with other implementations' test suites (GS1 TDT-based translators, pyepc), every hex value
/// also recomputed bit by bit from the TDS coding tables.
let epcPublishedExamples: [EPCExample] = [
    EPCExample(
        hex: "3074257BF7194E4000001A85",
        tagURI: "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
        pureIdentityURI: "urn:epc:id:sgtin:0614141.812345.6789",
        scheme: .sgtin96,
        filter: 3,
        companyPrefix: "0614141",
        reference: "812345",
        serial: "6789"
    ),
    EPCExample(
        hex: "303613ACD83B9AC000000646",
        tagURI: "urn:epc:tag:sgtin-96:1.8710966.061035.1606",
        pureIdentityURI: "urn:epc:id:sgtin:8710966.061035.1606",
        scheme: .sgtin96,
        filter: 1,
        companyPrefix: "8710966",
        reference: "061035",
        serial: "1606"
    ),
    EPCExample(
        hex: "301800004000004000000001",
        tagURI: "urn:epc:tag:sgtin-96:0.000001.0000001.1",
        pureIdentityURI: "urn:epc:id:sgtin:000001.0000001.1",
        scheme: .sgtin96,
        filter: 0,
        companyPrefix: "000001",
        reference: "0000001",
        serial: "1"
    ),
    EPCExample(
        hex: "3174257BF4499602D2000000",
        tagURI: "urn:epc:tag:sscc-96:3.0614141.1234567890",
        pureIdentityURI: "urn:epc:id:sscc:0614141.1234567890",
        scheme: .sscc96,
        filter: 3,
        companyPrefix: "0614141",
        reference: "1234567890",
        serial: nil
    ),
    EPCExample(
        hex: "3114257BF4499602D2000000",
        tagURI: "urn:epc:tag:sscc-96:0.0614141.1234567890",
        pureIdentityURI: "urn:epc:id:sscc:0614141.1234567890",
        scheme: .sscc96,
        filter: 0,
        companyPrefix: "0614141",
        reference: "1234567890",
        serial: nil
    ),
    EPCExample(
        hex: "31105E30A7055F2CC0000000",
        tagURI: "urn:epc:tag:sscc-96:0.12345678.090123456",
        pureIdentityURI: "urn:epc:id:sscc:12345678.090123456",
        scheme: .sscc96,
        filter: 0,
        companyPrefix: "12345678",
        reference: "090123456",
        serial: nil
    ),
    EPCExample(
        hex: "3274257BF460720000000190",
        tagURI: "urn:epc:tag:sgln-96:3.0614141.12345.400",
        pureIdentityURI: "urn:epc:id:sgln:0614141.12345.400",
        scheme: .sgln96,
        filter: 3,
        companyPrefix: "0614141",
        reference: "12345",
        serial: "400"
    ),
    EPCExample(
        hex: "32305E30A7466800499602D2",
        tagURI: "urn:epc:tag:sgln-96:1.12345678.9012.1234567890",
        pureIdentityURI: "urn:epc:id:sgln:12345678.9012.1234567890",
        scheme: .sgln96,
        filter: 1,
        companyPrefix: "12345678",
        reference: "9012",
        serial: "1234567890"
    ),
    EPCExample(
        hex: "321800004000020000000000",
        tagURI: "urn:epc:tag:sgln-96:0.000001.000001.0",
        pureIdentityURI: "urn:epc:id:sgln:000001.000001.0",
        scheme: .sgln96,
        filter: 0,
        companyPrefix: "000001",
        reference: "000001",
        serial: "0"
    ),
    EPCExample(
        hex: "3374257BF40C0E4000000190",
        tagURI: "urn:epc:tag:grai-96:3.0614141.12345.400",
        pureIdentityURI: "urn:epc:id:grai:0614141.12345.400",
        scheme: .grai96,
        filter: 3,
        companyPrefix: "0614141",
        reference: "12345",
        serial: "400"
    ),
    EPCExample(
        hex: "330C75BCD150030000000001",
        tagURI: "urn:epc:tag:grai-96:0.123456789.012.1",
        pureIdentityURI: "urn:epc:id:grai:123456789.012.1",
        scheme: .grai96,
        filter: 0,
        companyPrefix: "123456789",
        reference: "012",
        serial: "1"
    ),
    EPCExample(
        hex: "331800004000004000000001",
        tagURI: "urn:epc:tag:grai-96:0.000001.000001.1",
        pureIdentityURI: "urn:epc:id:grai:000001.000001.1",
        scheme: .grai96,
        filter: 0,
        companyPrefix: "000001",
        reference: "000001",
        serial: "1"
    ),
    EPCExample(
        hex: "3474257BF400000000BC6038",
        tagURI: "urn:epc:tag:giai-96:3.0614141.12345400",
        pureIdentityURI: "urn:epc:id:giai:0614141.12345400",
        scheme: .giai96,
        filter: 3,
        companyPrefix: "0614141",
        reference: "12345400",
        serial: nil
    ),
    EPCExample(
        hex: "34344B5A1C00000000000001",
        tagURI: "urn:epc:tag:giai-96:1.1234567.1",
        pureIdentityURI: "urn:epc:id:giai:1234567.1",
        scheme: .giai96,
        filter: 1,
        companyPrefix: "1234567",
        reference: "1",
        serial: nil
    ),
    EPCExample(
        hex: "341800004000000000000001",
        tagURI: "urn:epc:tag:giai-96:0.000001.1",
        pureIdentityURI: "urn:epc:id:giai:000001.1",
        scheme: .giai96,
        filter: 0,
        companyPrefix: "000001",
        reference: "1",
        serial: nil
    ),
    EPCExample(
        hex: "363613ACD83B9AD2B26AC9900000000000000000000000000000",
        tagURI: "urn:epc:tag:sgtin-198:1.8710966.061035.%252522",
        pureIdentityURI: "urn:epc:id:sgtin:8710966.061035.%252522",
        scheme: .sgtin198,
        filter: 1,
        companyPrefix: "8710966",
        reference: "061035",
        serial: "%2522"
    ),
    EPCExample(
        hex: "37E45BFB8386A0A0C2C7922A18F1E42D76995614A000",
        tagURI: "urn:epc:tag:grai-170:7.12345678901.2.ABcdE!GGH-;%26*a%25",
        pureIdentityURI: "urn:epc:id:grai:12345678901.2.ABcdE!GGH-;%26*a%25",
        scheme: .grai170,
        filter: 7,
        companyPrefix: "12345678901",
        reference: "2",
        serial: "ABcdE!GGH-;&*a%"
    ),
    EPCExample(
        hex: "38344B5A1D8C1C30B14BD76BD217E9593264D52A54E9D2800000",
        tagURI: "urn:epc:tag:giai-202:1.1234567.1AaBbKkZz!%3F%252225%25%25''%25",
        pureIdentityURI: "urn:epc:id:giai:1234567.1AaBbKkZz!%3F%252225%25%25''%25",
        scheme: .giai202,
        filter: 1,
        companyPrefix: "1234567",
        reference: "1AaBbKkZz!?%2225%%''%",
        serial: nil
    ),
    EPCExample(
        hex: "39305E30A746690614389163214CC5EB20000000000000000000",
        tagURI: "urn:epc:tag:sgln-195:1.12345678.9012.ABCDEF!%261=2",
        pureIdentityURI: "urn:epc:id:sgln:12345678.9012.ABCDEF!%261=2",
        scheme: .sgln195,
        filter: 1,
        companyPrefix: "12345678",
        reference: "9012",
        serial: "ABCDEF!&1=2"
    ),
]

/// One identity per 96-bit scheme and partition value 0…6 (company prefix 12…6 digits, cut from 061414112345),
/// with the hex computed independently from the TDS partition tables (TDS §14.5.1–14.5.5).
let epcPartitionExamples: [EPCExample] = {
    let hexes: [EPCScheme: [String]] = [
        .sgtin96: [
            "3060393243F1660000001A85", "30642DC1CFF4544000001A85", "3068249B0CC3CB0000001A85",
            "306C3A91AE07EEC000001A85", "30702EDAF1CF548000001A85", "3074257BF7194E4000001A85",
            "30783BF99EFD100000001A85",
        ],
        .sscc96: [
            "3140393243F1643039000000", "31442DC1CFF441E240000000", "3148249B0CC312D687000000",
            "314C3A91AE00BC614E000000", "31502EDAF1875BCD15000000", "3154257BF4499602D2000000",
            "31583BF982DFDC1C35000000",
        ],
        .sgln96: [
            "3220393243F164000000162E", "32242DC1CFF442000000162E", "3228249B0CC318000000162E",
            "322C3A91AE00F6000000162E", "32302EDAF189A4000000162E", "3234257BF46072000000162E",
            "32383BF983C480000000162E",
        ],
        .grai96: [
            "3300393243F1640000000190", "33042DC1CFF4404000000190", "3308249B0CC3030000000190",
            "330C3A91AE001EC000000190", "33102EDAF181348000000190", "3314257BF40C0E4000000190",
            "33183BF98078900000000190",
        ],
        .giai96: [
            "3480393243F164000000162E", "34842DC1CFF440000000162E", "3488249B0CC300000000162E",
            "348C3A91AE0000000000162E", "34902EDAF18000000000162E", "3494257BF40000000000162E",
            "34983BF9800000000000162E",
        ],
    ]
    var examples: [EPCExample] = []
    for scheme in [EPCScheme.sgtin96, .sscc96, .sgln96, .grai96, .giai96] {
        for partition in 0...6 {
            let prefixLength = 12 - partition
            let companyPrefix = String("061414112345".prefix(prefixLength))
            let (filter, reference, serial, type): (UInt8, String, String?, String) =
                switch scheme {
                case .sgtin96: (3, String("8123456789012".prefix(13 - prefixLength)), "6789", "sgtin")
                case .sscc96: (2, String("1234567890123456".prefix(17 - prefixLength)), nil, "sscc")
                case .sgln96: (1, String("123456".prefix(12 - prefixLength)), "5678", "sgln")
                case .grai96: (0, String("123456".prefix(12 - prefixLength)), "400", "grai")
                default: (4, "5678", nil, "giai")
                }
            let body = "\(companyPrefix).\(reference)" + (serial.map { ".\($0)" } ?? "")
            examples.append(
                EPCExample(
                    hex: hexes[scheme]![partition],
                    tagURI: "urn:epc:tag:\(scheme.rawValue):\(filter).\(body)",
                    pureIdentityURI: "urn:epc:id:\(type):\(body)",
                    scheme: scheme,
                    filter: filter,
                    companyPrefix: companyPrefix,
                    reference: reference,
                    serial: serial
                )
            )
        }
    }
    return examples
}()

@Suite("EPC identity: decoding, encoding and URIs")
struct EPCIdentityTests {
    @Test("Published examples decode to their fields and URIs", arguments: epcPublishedExamples)
    func decodesPublishedExample(_ example: EPCExample) throws {
        try expectDecodes(example)
    }

    @Test(
        "Published examples encode from their fields, tag URI and pure-identity URI",
        arguments: epcPublishedExamples
    )
    func encodesPublishedExample(_ example: EPCExample) throws {
        try expectEncodes(example)
    }

    @Test("Every partition value of every 96-bit scheme decodes", arguments: epcPartitionExamples)
    func decodesEveryPartition(_ example: EPCExample) throws {
        try expectDecodes(example)
        let partition = 12 - example.companyPrefix.count
        #expect(try EPCIdentity(decoding: EPC(hex: example.hex)).partition == partition)
        // The partition sits in bits 11–13 of every scheme.
        #expect(try EPC(hex: example.hex).bits(at: 11, count: 3) == UInt64(partition))
    }

    @Test("Every partition value of every 96-bit scheme encodes", arguments: epcPartitionExamples)
    func encodesEveryPartition(_ example: EPCExample) throws {
        try expectEncodes(example)
    }

    @Test("The SGTIN-96 worked example of TDS Appendix E in every form")
    func sgtinWorkedExample() throws {
        let epc = try EPC(hex: "3074257BF7194E4000001A85")
        let identity = try #require(try EPCIdentity.decode(epc))
        #expect(identity.scheme == .sgtin96)
        #expect(identity.filter == 3)
        #expect(identity.partition == 5)
        #expect(identity.companyPrefix == "0614141")
        #expect(identity.reference == "812345")
        #expect(identity.serial == "6789")
        #expect(identity.gtin14 == "80614141123458")
        #expect(identity.sscc18 == nil)
        #expect(identity.pureIdentityURI == "urn:epc:id:sgtin:0614141.812345.6789")
        #expect(identity.tagURI == "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        #expect(identity.description == "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        #expect(epc.schemeAndURI.scheme == "sgtin-96")
        #expect(epc.schemeAndURI.uri == "urn:epc:id:sgtin:0614141.812345.6789")
    }

    @Test("198-bit SGTIN read as 208, 200 or exactly 198 bits decodes the same; encoding gives 208 bits")
    func paddedLengths() throws {
        let read = try EPC(hex: "363613ACD83B9AD2B26AC9900000000000000000000000000000")
        #expect(read.bitCount == 208)
        var bytes = read
        bytes.bitCount = 200
        var exact = read
        exact.bitCount = 198
        for epc in [read, bytes, exact] {
            let identity = try EPCIdentity(decoding: epc)
            #expect(identity.serial == "%2522")
            #expect(identity.epc == read)
        }
        #expect(EPCScheme.sgtin198.tagBitCount == 208)
        #expect(EPCScheme.grai170.tagBitCount == 176)
        #expect(EPCScheme.sgln195.tagBitCount == 208)
        #expect(EPCScheme.giai202.tagBitCount == 208)
        #expect(EPCScheme.sscc96.tagBitCount == 96)
    }

    @Test("Alphanumeric fields: all 82 characters survive binary and URI, and the URI escapes exactly 7 of them")
    func characterSet() throws {
        let all = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
        #expect(all.count == 82)
        var escapedCount = 0
        for character in all {
            let identity = try EPCIdentity(
                scheme: .sgtin198,
                filter: 0,
                companyPrefix: "0614141",
                reference: "812345",
                serial: "A\(character)z"
            )
            let decoded = try EPCIdentity(decoding: identity.epc)
            #expect(decoded == identity)
            let uri = identity.pureIdentityURI
            let encodedSerial = String(uri.dropFirst("urn:epc:id:sgtin:0614141.812345.".count))
            if encodedSerial.count == 5 {
                escapedCount += 1
                let code = character.asciiValue!
                let hexDigits = Array("0123456789ABCDEF")
                #expect(encodedSerial == "A%\(hexDigits[Int(code >> 4)])\(hexDigits[Int(code & 0xF)])z")
            } else {
                #expect(encodedSerial == "A\(character)z")
            }
            #expect(try EPCIdentity(pureIdentityURI: uri, scheme: .sgtin198, filter: 0) == identity)
        }
        #expect(escapedCount == 7)
    }

    @Test("URI parsing accepts unnecessary and lower-case escapes and dots in the last component")
    func lenientEscapes() throws {
        let identity = try EPCIdentity(tagURI: "urn:epc:tag:sgtin-198:2.0614141.812345.%41b%2f.c.d")
        #expect(identity.serial == "Ab/.c.d")
        #expect(identity.tagURI == "urn:epc:tag:sgtin-198:2.0614141.812345.Ab%2F.c.d")
        #expect(identity.epc.hex == "3654257BF7194E60E25EBB1AEC80000000000000000000000000")
        let giai = try EPCIdentity(pureIdentityURI: "urn:epc:id:giai:0614141.A.B:C", scheme: .giai202, filter: 5)
        #expect(giai.reference == "A.B:C")
        #expect(giai.epc.hex == "38B4257BF60AE84EA18000000000000000000000000000000000")
    }

    @Test("Zero-digit references (12-digit company prefix) give an empty URI component")
    func emptyReference() throws {
        let identity = try EPCIdentity(pureIdentityURI: "urn:epc:id:sgln:061414112345..0", scheme: .sgln96, filter: 3)
        #expect(identity.reference == "")
        #expect(identity.serial == "0")
        #expect(identity.epc.hex == "3260393243F1640000000000")
        #expect(identity.tagURI == "urn:epc:tag:sgln-96:3.061414112345..0")
    }

    @Test("A pure-identity URI encodes into either size of its scheme")
    func pureIdentityToBothSizes() throws {
        let uri = "urn:epc:id:sgtin:0614141.812345.6789"
        let small = try EPCIdentity(pureIdentityURI: uri, scheme: .sgtin96, filter: 3)
        let large = try EPCIdentity(pureIdentityURI: uri, scheme: .sgtin198, filter: 3)
        #expect(small.epc.hex == "3074257BF7194E4000001A85")
        #expect(large.epc.hex == "3674257BF7194E5B3770E4000000000000000000000000000000")
        #expect(large.pureIdentityURI == uri)
        #expect(large.tagURI == "urn:epc:tag:sgtin-198:3.0614141.812345.6789")
    }

    private func expectDecodes(_ example: EPCExample) throws {
        let epc = try EPC(hex: example.hex)
        #expect(try EPCIdentity.validate(epc) == example.scheme)
        let identity = try #require(try EPCIdentity.decode(epc))
        #expect(identity.scheme == example.scheme)
        #expect(identity.filter == example.filter)
        #expect(identity.companyPrefix == example.companyPrefix)
        #expect(identity.reference == example.reference)
        #expect(identity.serial == example.serial)
        #expect(identity.tagURI == example.tagURI)
        #expect(identity.pureIdentityURI == example.pureIdentityURI)
        #expect(epc.schemeAndURI.scheme == example.scheme.rawValue)
        #expect(epc.schemeAndURI.uri == example.pureIdentityURI)
    }

    private func expectEncodes(_ example: EPCExample) throws {
        let fromFields = try EPCIdentity(
            scheme: example.scheme,
            filter: example.filter,
            companyPrefix: example.companyPrefix,
            reference: example.reference,
            serial: example.serial
        )
        #expect(fromFields.epc.hex == example.hex)
        let fromTag = try EPCIdentity(tagURI: example.tagURI)
        #expect(fromTag == fromFields)
        #expect(fromTag.epc.hex == example.hex)
        let fromPure = try EPCIdentity(
            pureIdentityURI: example.pureIdentityURI,
            scheme: example.scheme,
            filter: example.filter
        )
        #expect(fromPure == fromFields)
        #expect(fromPure.epc.hex == example.hex)
    }
}
