import SortgateCore
import Testing

@Suite("GS1 check digits, GTIN-14 and SSCC-18")
struct GS1CheckDigitTests {
    @Test(
        "Mod-10 check digits of published keys",
        arguments: [
            ("8061414112345", "8"),  // GTIN-14 80614141123458 (TDS SGTIN example)
            ("0871096661035", "0"),  // GTIN-14 08710966610350
            ("0000001000001", "4"),  // GTIN-14 00000010000014
            ("400638133393", "1"),  // EAN-13 4006381333931
            ("03600029145", "2"),  // UPC-A 036000291452
            ("10614141234567890", "8"),  // SSCC-18 106141412345678908
            ("01234567890123456", "0"),  // SSCC-18 012345678901234560
        ]
    )
    func checkDigit(_ digits: String, _ expected: String) {
        #expect(GS1CheckDigit.compute(for: digits) == Character(expected))
        #expect(GS1CheckDigit.isValid(digits + expected))
        let wrong = String((Int(expected)! + 1) % 10)
        #expect(!GS1CheckDigit.isValid(digits + wrong))
    }

    @Test("No check digit for empty or non-digit input")
    func invalidInput() {
        #expect(GS1CheckDigit.compute(for: "") == nil)
        #expect(GS1CheckDigit.compute(for: "12a4") == nil)
        #expect(GS1CheckDigit.compute(for: "١٢") == nil)
        #expect(!GS1CheckDigit.isValid("8"))
        #expect(!GS1CheckDigit.isValid(""))
        #expect(!GS1CheckDigit.isValid("8061414112345X"))
    }

    @Test("GTIN-14 from an SGTIN puts the indicator digit first")
    func gtinFromSGTIN() throws {
        let tds = try EPCIdentity(decoding: EPC(hex: "3074257BF7194E4000001A85"))
        #expect(tds.gtin14 == "80614141123458")
        let other = try EPCIdentity(decoding: EPC(hex: "303613ACD83B9AC000000646"))
        #expect(other.gtin14 == "08710966610350")
        let large = try EPCIdentity(tagURI: "urn:epc:tag:sgtin-198:1.8710966.061035.%252522")
        #expect(large.gtin14 == "08710966610350")
    }

    @Test("SSCC-18 from an SSCC puts the extension digit first")
    func ssccFromSSCC() throws {
        let tds = try EPCIdentity(decoding: EPC(hex: "3174257BF4499602D2000000"))
        #expect(tds.sscc18 == "106141412345678908")
        #expect(tds.gtin14 == nil)
        let other = try EPCIdentity(decoding: EPC(hex: "31105E30A7055F2CC0000000"))
        #expect(other.sscc18 == "012345678901234560")
    }

    @Test("Other schemes have neither key")
    func otherSchemes() throws {
        let grai = try EPCIdentity(tagURI: "urn:epc:tag:grai-96:3.0614141.12345.400")
        #expect(grai.gtin14 == nil)
        #expect(grai.sscc18 == nil)
    }

    @Test("A GTIN-14, company prefix length and serial build the SGTIN", arguments: 6...12)
    func sgtinFromGTIN(_ companyPrefixLength: Int) throws {
        let identity = try EPCIdentity(
            gtin14: "80614141123458",
            companyPrefixLength: companyPrefixLength,
            serial: "6789",
            filter: 3
        )
        #expect(identity.scheme == .sgtin96)
        #expect(identity.companyPrefix == String("061414112345".prefix(companyPrefixLength)))
        #expect(identity.reference == "8" + "061414112345".dropFirst(companyPrefixLength))
        #expect(identity.serial == "6789")
        #expect(identity.gtin14 == "80614141123458")
        #expect(identity.partition == 12 - companyPrefixLength)
        if companyPrefixLength == 7 {
            #expect(identity.epc.hex == "3074257BF7194E4000001A85")
        }
    }

    @Test("A GTIN-14 builds an SGTIN-198 with an alphanumeric serial")
    func sgtin198FromGTIN() throws {
        let identity = try EPCIdentity(
            gtin14: "08710966610350",
            companyPrefixLength: 7,
            serial: "%2522",
            scheme: .sgtin198,
            filter: 1
        )
        #expect(identity.epc.hex == "363613ACD83B9AD2B26AC9900000000000000000000000000000")
        #expect(identity.pureIdentityURI == "urn:epc:id:sgtin:8710966.061035.%252522")
    }

    @Test("An SSCC-18 and company prefix length build the SSCC-96", arguments: 6...12)
    func ssccFromSSCC18(_ companyPrefixLength: Int) throws {
        let identity = try EPCIdentity(
            sscc18: "106141412345678908",
            companyPrefixLength: companyPrefixLength,
            filter: 3
        )
        #expect(identity.scheme == .sscc96)
        #expect(identity.companyPrefix == String("0614141234567".prefix(companyPrefixLength)))
        #expect(identity.reference == "1" + "0614141234567890".dropFirst(companyPrefixLength))
        #expect(identity.serial == nil)
        #expect(identity.sscc18 == "106141412345678908")
        if companyPrefixLength == 7 {
            #expect(identity.epc.hex == "3174257BF4499602D2000000")
            #expect(identity.pureIdentityURI == "urn:epc:id:sscc:0614141.1234567890")
        }
        if companyPrefixLength == 8 {
            let other = try EPCIdentity(sscc18: "012345678901234560", companyPrefixLength: 8, filter: 0)
            #expect(other.epc.hex == "31105E30A7055F2CC0000000")
        }
    }

    @Test(
        "Malformed GTIN-14 input is rejected with the reason",
        arguments: [
            ("8061414112345", 7, "6789", EPCScheme.sgtin96, "GTIN-14 must have 14 digits, not 13"),
            ("80614141123459", 7, "6789", .sgtin96, "GTIN-14 check digit is 9, expected 8 (GS1 mod-10)"),
            ("8061414112345A", 7, "6789", .sgtin96, "GTIN-14 '8061414112345A' has a non-digit at character 14"),
            ("80614141123458", 5, "6789", .sgtin96, "company prefix length must be 6 to 12 digits, not 5"),
            ("80614141123458", 13, "6789", .sgtin96, "company prefix length must be 6 to 12 digits, not 13"),
            ("80614141123458", 7, "6789", .sscc96, "a GTIN is encoded as sgtin-96 or sgtin-198, not sscc-96"),
            (
                "80614141123458", 7, "06789", .sgtin96,
                "serial '06789' has a leading zero, which sgtin-96 cannot encode (it stores the number 38 bits wide)"
            ),
            (
                "80614141123458", 7, "274877906944", .sgtin96,
                "serial 274877906944 does not fit in sgtin-96's 38 bits (largest 274877906943)"
            ),
        ] as [(String, Int, String, EPCScheme, String)]
    )
    func rejectsGTIN(_ gtin: String, _ length: Int, _ serial: String, _ scheme: EPCScheme, _ reason: String) {
        do {
            _ = try EPCIdentity(gtin14: gtin, companyPrefixLength: length, serial: serial, scheme: scheme, filter: 0)
            Issue.record("\(gtin) was accepted")
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test(
        "Malformed SSCC-18 input is rejected with the reason",
        arguments: [
            ("10614141234567890", 7, UInt8(3), "SSCC-18 must have 18 digits, not 17"),
            ("106141412345678907", 7, 3, "SSCC-18 check digit is 7, expected 8 (GS1 mod-10)"),
            ("1O6141412345678908", 7, 3, "SSCC-18 '1O6141412345678908' has a non-digit at character 2"),
            ("106141412345678908", 4, 3, "company prefix length must be 6 to 12 digits, not 4"),
            ("106141412345678908", 7, 8, "filter value 8 is out of range 0–7"),
        ] as [(String, Int, UInt8, String)]
    )
    func rejectsSSCC(_ sscc: String, _ length: Int, _ filter: UInt8, _ reason: String) {
        do {
            _ = try EPCIdentity(sscc18: sscc, companyPrefixLength: length, filter: filter)
            Issue.record("\(sscc) was accepted")
        } catch {
            #expect(error.reason == reason)
            #expect(error.input == sscc)
        }
    }
}
