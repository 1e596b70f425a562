import SortgateCore
import Testing

/// An input and the exact reason it is rejected with.
struct EPCRejection: Sendable, CustomTestStringConvertible {
    var input: String
    var reason: String

    init(_ input: String, _ reason: String) {
        self.input = input
        self.reason = reason
    }

    var testDescription: String { reason }
}

/// Malformed EPCs with known headers; each hex was built bit by bit to break exactly one rule.
let epcMalformedEPCs: [EPCRejection] = [
    EPCRejection(
        "3074257BF7194E4000001A8500000000",
        "wrong length for its header: header 30 is sgtin-96, which is 96 bits, but the EPC has 128 bits"
    ),
    EPCRejection(
        "3074257BF7194E40",
        "wrong length for its header: header 30 is sgtin-96, which is 96 bits, but the EPC has 64 bits"
    ),
    EPCRejection(
        "3174257BF4499602D200000000000000",
        "wrong length for its header: header 31 is sscc-96, which is 96 bits, but the EPC has 128 bits"
    ),
    EPCRejection(
        "3674257BF7194E4000001A85",
        "wrong length for its header: header 36 is sgtin-198, which is 198 bits (208 when padded to a 16-bit word), "
            + "but the EPC has 96 bits"
    ),
    EPCRejection(
        "37E45BFB8386A0A0C2C7922A18F1E42D76995614A0000000",
        "wrong length for its header: header 37 is grai-170, which is 170 bits (176 when padded to a 16-bit word), "
            + "but the EPC has 192 bits"
    ),
    EPCRejection(
        "363613ACD83B9AD2B26AC9900000000000000000000000000001",
        "bits 198–207 pad sgtin-198 to a 16-bit word and must be zero"
    ),
    EPCRejection(
        "307C257BF7194E4000001A85",
        "partition value 7 is invalid for sgtin-96 (TDS §14.5 defines partitions 0–6)"
    ),
    EPCRejection(
        "341C257BF40000000000162E",
        "partition value 7 is invalid for giai-96 (TDS §14.5 defines partitions 0–6)"
    ),
    EPCRejection(
        "3077FFFFFC00000000000001",
        "company prefix 16777215 has more than the 7 digits that partition 5 allows"
    ),
    EPCRejection(
        "3074257BF7FFFFC000000001",
        "indicator digit and item reference 1048575 has more than the 6 digits that partition 5 allows"
    ),
    EPCRejection(
        "31783BF9974876E800000000",
        "extension digit and serial reference 100000000000 has more than the 11 digits that partition 6 allows"
    ),
    EPCRejection(
        "3260393243F1660000000000",
        "location reference 1 has more than the 0 digits that partition 0 allows"
    ),
    EPCRejection(
        "3360393243F1644000000000",
        "asset type 1 has more than the 0 digits that partition 0 allows"
    ),
    EPCRejection(
        "3174257BF4499602D2000001",
        "bits 72–95 are reserved in sscc-96 and must be zero"
    ),
    EPCRejection(
        "3674257BF7194E60A30000000000000000000000000000000000",
        "serial character 2 '#' (0x23) is not in the GS1 AI character set (TDS Table A-1)"
    ),
    EPCRejection(
        "3674257BF7194E40800000000000000000000000000000000000",
        "serial character 1 (0x01) is not in the GS1 AI character set (TDS Table A-1)"
    ),
    EPCRejection(
        "3674257BF7194E40000000000000000000000000000000000000",
        "serial is empty (its first 7-bit character is zero)"
    ),
    EPCRejection(
        "3674257BF7194E60808400000000000000000000000000000000",
        "serial has non-zero bits after its terminating zero character"
    ),
    EPCRejection(
        "3860393243F1660C183060C183060C183060C183060C18200000",
        "individual asset reference is longer than the 18 characters giai-202 allows"
    ),
]

/// Malformed tag URIs.
let epcMalformedTagURIs: [EPCRejection] = [
    EPCRejection("urn:epc:id:sgtin:0614141.812345.6789", "an EPC tag URI starts with 'urn:epc:tag:'"),
    EPCRejection("urn:epc:tag:sgtin-96", "missing ':' after the scheme name"),
    EPCRejection(
        "urn:epc:tag:sgtin-64:3.0614141.812345.6789",
        "unknown EPC scheme 'sgtin-64' (sortgate decodes sgtin-96, sscc-96, sgln-96, grai-96, giai-96, sgtin-198, "
            + "grai-170, giai-202, sgln-195)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:8.0614141.812345.6789",
        "filter '8' must be one digit 0–7, followed by '.' and CompanyPrefix.ItemReference.SerialNumber"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:0614141.812345.6789",
        "filter '0614141' must be one digit 0–7, followed by '.' and CompanyPrefix.ItemReference.SerialNumber"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.812345",
        "sgtin-96 tag URI needs 3 components (CompanyPrefix.ItemReference.SerialNumber) separated by '.', found 2"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.812345.6789.1",
        "sgtin-96 tag URI needs 3 components (CompanyPrefix.ItemReference.SerialNumber) separated by '.', found 4"
    ),
    EPCRejection(
        "urn:epc:tag:giai-202:3.0614141",
        "giai-202 tag URI needs 2 components (CompanyPrefix.IndividualAssetReference) separated by '.', found 1"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.06141A1.812345.6789",
        "company prefix '06141A1' has a non-digit at character 6"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.06141.8123456.6789",
        "company prefix '06141' must be 6 to 12 digits, not 5"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.81234.6789",
        "indicator digit and item reference '81234' must be 6 digits with a 7-digit company prefix "
            + "(SGTIN: 13 digits together)"
    ),
    EPCRejection(
        "urn:epc:tag:sscc-96:3.0614141.123456789",
        "extension digit and serial reference '123456789' must be 10 digits with a 7-digit company prefix "
            + "(SSCC: 17 digits together)"
    ),
    EPCRejection(
        "urn:epc:tag:sgln-96:3.061414112345.1.0",
        "location reference '1' must be 0 digits with a 12-digit company prefix (SGLN: 12 digits together)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.812345.67a9",
        "serial '67a9' has a non-digit at character 3"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.812345.06789",
        "serial '06789' has a leading zero, which sgtin-96 cannot encode (it stores the number 38 bits wide)"
    ),
    EPCRejection(
        "urn:epc:tag:grai-96:3.0614141.12345.274877906944",
        "serial 274877906944 does not fit in grai-96's 38 bits (largest 274877906943)"
    ),
    EPCRejection(
        "urn:epc:tag:sgln-96:3.0614141.12345.2199023255552",
        "extension 2199023255552 does not fit in sgln-96's 41 bits (largest 2199023255551)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-96:3.0614141.812345.",
        "serial is empty"
    ),
    EPCRejection(
        "urn:epc:tag:giai-96:3.061414.4611686018427387904",
        "individual asset reference 4611686018427387904 does not fit in giai-96's 62 bits "
            + "(largest 4611686018427387903)"
    ),
    EPCRejection(
        "urn:epc:tag:giai-96:3.0614141.ABC",
        "individual asset reference 'ABC' has a non-digit at character 1"
    ),
    EPCRejection(
        "urn:epc:tag:giai-96:3.0614141.0123",
        "individual asset reference '0123' has a leading zero, which giai-96 cannot encode "
            + "(it stores the number 58 bits wide)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.a/b",
        "serial character 2 '/' must be written %2F in an EPC URI (TDS Table A-1)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.a#b",
        "serial character 2 '#' (0x23) is not in the GS1 AI character set (TDS Table A-1)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.a b",
        "serial character 2 (0x20) is not in the GS1 AI character set (TDS Table A-1)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.ab%2",
        "serial has a malformed %-escape at character 3 (expected %XX)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.%G1",
        "serial has a malformed %-escape at character 1 (expected %XX)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.%23",
        "serial escape %23 at character 1 is not a character of the GS1 AI character set (TDS Table A-1)"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.",
        "serial is empty"
    ),
    EPCRejection(
        "urn:epc:tag:sgtin-198:3.0614141.812345.ABCDEFGHIJKLMNOPQRSTU",
        "serial has 21 characters, more than the 20 sgtin-198 holds"
    ),
    EPCRejection(
        "urn:epc:tag:grai-170:3.0614141.12345.ABCDEFGHIJKLMNOPQ",
        "serial has 17 characters, more than the 16 grai-170 holds"
    ),
    EPCRejection(
        "urn:epc:tag:giai-202:3.061414112345.AAAAAAAAAAAAAAAAAAA",
        "individual asset reference has 19 characters, more than the 18 giai-202 holds "
            + "with a 12-digit company prefix"
    ),
]

@Suite("EPC identity: rejection reasons")
struct EPCIdentityRejectionTests {
    @Test("Malformed EPCs with known headers are rejected by validate and decode", arguments: epcMalformedEPCs)
    func rejectsMalformedEPC(_ rejection: EPCRejection) throws {
        let epc = try EPC(hex: rejection.input)
        expectRejection(rejection, input: epc.hex) { () throws(EPCError) in try EPCIdentity.validate(epc) }
        expectRejection(rejection, input: epc.hex) { () throws(EPCError) in _ = try EPCIdentity.decode(epc) }
        expectRejection(rejection, input: epc.hex) { () throws(EPCError) in _ = try EPCIdentity(decoding: epc) }
        // The inventory still records such an EPC, as raw.
        #expect(epc.schemeAndURI.scheme == "raw")
        #expect(epc.schemeAndURI.uri == nil)
    }

    @Test("Malformed tag URIs are rejected with the URI as input", arguments: epcMalformedTagURIs)
    func rejectsMalformedTagURI(_ rejection: EPCRejection) {
        expectRejection(rejection, input: rejection.input) { () throws(EPCError) in
            _ = try EPCIdentity(tagURI: rejection.input)
        }
    }

    @Test("The pure-identity URI must match the requested scheme, and its own rules")
    func rejectsMalformedPureIdentityURI() {
        let cases: [(String, EPCScheme, UInt8, String)] = [
            (
                "urn:epc:tag:sgtin-96:3.0614141.812345.6789", .sgtin96, 3,
                "an EPC pure-identity URI starts with 'urn:epc:id:'"
            ),
            ("urn:epc:id:sgtin", .sgtin96, 3, "missing ':' after the EPC type"),
            (
                "urn:epc:id:sscc:0614141.1234567890", .sgtin96, 3,
                "EPC type 'sscc' cannot be encoded as sgtin-96, which encodes 'sgtin'"
            ),
            (
                "urn:epc:id:sgtin:0614141.812345.6789", .sgtin96, 9,
                "filter value 9 is out of range 0–7"
            ),
            (
                "urn:epc:id:sscc:0614141.1234567890.5", .sscc96, 3,
                "urn:epc:id:sscc needs 2 components (CompanyPrefix.SerialReference) separated by '.', found 3"
            ),
            (
                "urn:epc:id:sgtin:0614141.812345.A1", .sgtin96, 3,
                "serial 'A1' has a non-digit at character 1"
            ),
            (
                "urn:epc:id:giai:0614141.12345400.1", .giai96, 3,
                "urn:epc:id:giai needs 2 components (CompanyPrefix.IndividualAssetReference) separated by '.', found 3"
            ),
        ]
        for (uri, scheme, filter, reason) in cases {
            expectRejection(EPCRejection(uri, reason), input: uri) { () throws(EPCError) in
                _ = try EPCIdentity(pureIdentityURI: uri, scheme: scheme, filter: filter)
            }
        }
    }

    @Test("Components given directly are checked the same way")
    func rejectsMalformedComponents() {
        let cases: [(EPCScheme, UInt8, String, String, String?, String)] = [
            (
                .sscc96, 3, "0614141", "1234567890", "1",
                "sscc-96 has no third component (CompanyPrefix.SerialReference)"
            ),
            (
                .giai202, 3, "0614141", "A", "1",
                "giai-202 has no third component (CompanyPrefix.IndividualAssetReference)"
            ),
            (
                .sgtin96, 3, "0614141", "812345", nil,
                "serial is missing (CompanyPrefix.ItemReference.SerialNumber)"
            ),
            (
                .sgln195, 3, "0614141", "12345", nil,
                "extension is missing (CompanyPrefix.LocationReference.Extension)"
            ),
            (.grai96, 8, "0614141", "12345", "1", "filter value 8 is out of range 0–7"),
            (.grai96, 3, "0614141234567", "", "1", "company prefix '0614141234567' must be 6 to 12 digits, not 13"),
            (.giai202, 3, "0614141", "", nil, "individual asset reference is empty"),
            (.giai96, 3, "0614141", "", nil, "individual asset reference is empty"),
            (
                .sgtin198, 3, "0614141", "812345", "ü",
                "serial character 1 (0xC3) is not in the GS1 AI character set (TDS Table A-1)"
            ),
            (
                .sgtin198, 3, "0614141", "81234x", "1",
                "indicator digit and item reference '81234x' has a non-digit at character 6"
            ),
        ]
        for (scheme, filter, companyPrefix, reference, serial, reason) in cases {
            do {
                _ = try EPCIdentity(
                    scheme: scheme,
                    filter: filter,
                    companyPrefix: companyPrefix,
                    reference: reference,
                    serial: serial
                )
                Issue.record("\(scheme) \(companyPrefix).\(reference) was accepted")
            } catch {
                #expect(error.reason == reason)
            }
        }
    }

    @Test("Hex input errors come from EPC(hex:) before any decoding")
    func rejectsMalformedHex() {
        let cases = [
            ("3074257BF7194E4000001A8", "odd number of hex digits (23); an EPC is whole bytes"),
            ("3074Z57BF7194E4000001A85", "non-hex character at offset 4"),
            ("", "empty EPC"),
        ]
        for (hex, reason) in cases {
            expectRejection(EPCRejection(hex, reason), input: hex) { () throws(EPCError) in _ = try EPC(hex: hex) }
        }
    }

    @Test("Unknown headers are raw, not errors")
    func unknownHeadersAreRaw() throws {
        // A TID-like EPC (E2), GID-96 (35), a lone header, GDTI-113 (3A): schemes sortgate keeps as raw.
        let unknown = [
            "E2801160600002054E7B1234", "35000000000000000000000000", "00", "3A28075BCD1502000000006695170000",
        ]
        for hex in unknown {
            let epc = try EPC(hex: hex)
            #expect(try EPCIdentity.validate(epc) == nil)
            #expect(try EPCIdentity.decode(epc) == nil)
            #expect(epc.schemeAndURI.scheme == "raw")
            #expect(epc.schemeAndURI.uri == nil)
            expectRejection(
                EPCRejection(hex, "header \(hex.prefix(2)) is not a GS1 EPC scheme sortgate decodes"),
                input: hex
            ) { () throws(EPCError) in _ = try EPCIdentity(decoding: epc) }
        }
    }

    @Test("Every header of EPCScheme maps back to its scheme; others map to nil")
    func headers() {
        for header in 0...255 {
            let scheme = EPCScheme(header: UInt8(header))
            if let scheme {
                #expect(scheme.header == UInt8(header))
            }
            #expect((scheme != nil) == [0x30, 0x31, 0x32, 0x33, 0x34, 0x36, 0x37, 0x38, 0x39].contains(header))
        }
        #expect(
            EPCScheme.allCases.map(\.identityType) == [
                "sgtin", "sscc", "sgln", "grai", "giai", "sgtin", "grai", "giai", "sgln",
            ]
        )
        #expect(EPCScheme.rawSchemeName == "raw")
    }

    private func expectRejection(
        _ rejection: EPCRejection,
        input: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(EPCError) -> Void
    ) {
        do {
            try body()
            Issue.record("'\(rejection.input)' was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.reason == rejection.reason, sourceLocation: sourceLocation)
            #expect(error.input == String(input.prefix(80)), sourceLocation: sourceLocation)
        }
    }
}
