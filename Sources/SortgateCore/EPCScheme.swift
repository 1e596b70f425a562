/// An EPC binary encoding of the GS1 EPC Tag Data Standard (TDS 2.x) that sortgate decodes.
///
/// The raw value is the scheme's name as it appears in tag URIs (`urn:epc:tag:sgtin-96:…`) and in the
/// `inventory.scheme` column. EPCs whose header is none of these are not an error: they are kept as raw hex under
/// the name `EPCScheme.rawSchemeName`.
public enum EPCScheme: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case sgtin96 = "sgtin-96"
    case sscc96 = "sscc-96"
    case sgln96 = "sgln-96"
    case grai96 = "grai-96"
    case giai96 = "giai-96"
    case sgtin198 = "sgtin-198"
    case grai170 = "grai-170"
    case giai202 = "giai-202"
    case sgln195 = "sgln-195"

    /// The scheme name recorded for an EPC with an unknown header (or one that does not decode).
    public static let rawSchemeName = "raw"

    /// The scheme an 8-bit EPC header selects, or nil for headers sortgate keeps as raw hex.
    @inlinable
    public init?(header: UInt8) {
        // Header values: TDS §14.2, Table 14-1.
        switch header {
        case 0x30: self = .sgtin96
        case 0x31: self = .sscc96
        case 0x32: self = .sgln96
        case 0x33: self = .grai96
        case 0x34: self = .giai96
        case 0x36: self = .sgtin198
        case 0x37: self = .grai170
        case 0x38: self = .giai202
        case 0x39: self = .sgln195
        default: return nil
        }
    }

    /// The 8-bit header that starts every EPC of this scheme (TDS §14.2, Table 14-1).
    @inlinable
    public var header: UInt8 {
        switch self {
        case .sgtin96: 0x30
        case .sscc96: 0x31
        case .sgln96: 0x32
        case .grai96: 0x33
        case .giai96: 0x34
        case .sgtin198: 0x36
        case .grai170: 0x37
        case .giai202: 0x38
        case .sgln195: 0x39
        }
    }

    /// The number of bits the scheme defines: 96, 170, 195, 198 or 202 (the number in its name).
    @inlinable
    public var encodedBitCount: Int {
        switch self {
        case .sgtin96, .sscc96, .sgln96, .grai96, .giai96: 96
        case .grai170: 170
        case .sgln195: 195
        case .sgtin198: 198
        case .giai202: 202
        }
    }

    /// The number of bits a tag holds and a reader reports for this scheme: `encodedBitCount` rounded up to a
    /// 16-bit word, because Gen2 EPC memory is word-addressed (the PC word gives the EPC length in words, TDS §9.3)
    /// and the encoding fills the rest of the last word with zeros (TDS §15.1). SGTIN-198 is read as 208 bits,
    /// GRAI-170 as 176.
    @inlinable
    public var tagBitCount: Int { (encodedBitCount + 15) / 16 * 16 }

    /// The EPC scheme of the pure-identity URI (`urn:epc:id:sgtin:…`): `sgtin`, `sscc`, `sgln`, `grai` or `giai`.
    public var identityType: String { kind.rawValue }

    public var description: String { rawValue }
}

/// The GS1 key an EPC scheme carries; the name used in pure-identity URIs (TDS §6.3).
enum EPCIdentityKind: String, Hashable, Sendable {
    case sgtin, sscc, sgln, grai, giai

    /// The components after the company prefix, as the TDS grammar names them, for messages.
    var componentNames: String {
        switch self {
        case .sgtin: "CompanyPrefix.ItemReference.SerialNumber"
        case .sscc: "CompanyPrefix.SerialReference"
        case .sgln: "CompanyPrefix.LocationReference.Extension"
        case .grai: "CompanyPrefix.AssetType.SerialNumber"
        case .giai: "CompanyPrefix.IndividualAssetReference"
        }
    }

    /// How many dot-separated components the pure-identity URI body has.
    var componentCount: Int {
        switch self {
        case .sgtin, .sgln, .grai: 3
        case .sscc, .giai: 2
        }
    }

    /// The name of the component after the company prefix, for messages.
    var referenceName: String {
        switch self {
        case .sgtin: "indicator digit and item reference"
        case .sscc: "extension digit and serial reference"
        case .sgln: "location reference"
        case .grai: "asset type"
        case .giai: "individual asset reference"
        }
    }

    /// The name of the third component, for messages.
    var trailingName: String {
        switch self {
        case .sgln: "extension"
        case .sgtin, .grai: "serial"
        case .sscc, .giai: "third component"
        }
    }
}

/// How the company-prefix-dependent reference field is coded (TDS §14.3).
enum EPCReferenceCoding: Hashable, Sendable {
    /// Zero-padded decimal digits whose count the partition fixes ("Partition Table" method, TDS §14.3.3).
    case paddedDigits
    /// A decimal integer without leading zeros, bounded only by its bit width ("Unpadded Partition
    /// Table" method, TDS §14.3.4; GIAI-96).
    case integer
    /// 7-bit characters of the GS1 AI character set ("String Partition Table" method, TDS §14.3.5; GIAI-202).
    case string
}

/// How the field after the reference is coded (TDS §14.3).
enum EPCTrailingCoding: Hashable, Sendable {
    /// No field: the reference ends the EPC (GIAI).
    case absent
    /// Bits that must be zero (the 24 reserved bits of SSCC-96).
    case reserved(bits: Int)
    /// A decimal integer without leading zeros ("Integer" method, TDS §14.3.1).
    case integer(bits: Int)
    /// Up to `maximumCharacters` 7-bit characters, zero-padded to `bits` ("String" method, TDS §14.3.2).
    case string(bits: Int, maximumCharacters: Int)
}

extension EPCScheme {
    /// The pure-identity type of the scheme.
    var kind: EPCIdentityKind {
        switch self {
        case .sgtin96, .sgtin198: .sgtin
        case .sscc96: .sscc
        case .sgln96, .sgln195: .sgln
        case .grai96, .grai170: .grai
        case .giai96, .giai202: .giai
        }
    }

    /// Bits of the company prefix plus the reference; the partition moves the border between them
    /// (TDS §14.5.1–14.5.5 partition tables: SGTIN 44, SSCC 58, SGLN 41, GRAI 44, GIAI-96 82, GIAI-202 188).
    var partitionedBits: Int {
        switch self {
        case .sgtin96, .sgtin198, .grai96, .grai170: 44
        case .sscc96: 58
        case .sgln96, .sgln195: 41
        case .giai96: 82
        case .giai202: 188
        }
    }

    /// Digits of the company prefix plus the reference: SGTIN 13 (indicator + 12), SSCC 17 (extension + 16),
    /// SGLN 12, GRAI 12 (TDS partition tables). For GIAI it is the GS1 limit of 30 characters for the whole
    /// key, which bounds the reference's characters in GIAI-202 (GIAI-96 is bounded by its bits instead).
    var partitionedDigits: Int {
        switch self {
        case .sgtin96, .sgtin198: 13
        case .sscc96: 17
        case .sgln96, .sgln195, .grai96, .grai170: 12
        case .giai96: 25
        case .giai202: 30
        }
    }

    var referenceCoding: EPCReferenceCoding {
        switch self {
        case .giai96: .integer
        case .giai202: .string
        default: .paddedDigits
        }
    }

    /// The third field: a 38-bit serial (SGTIN-96, GRAI-96), a 41-bit extension (SGLN-96), 24 reserved bits
    /// (SSCC-96), 20 (SGTIN-198, SGLN-195) or 16 (GRAI-170) 7-bit characters (TDS §14.5).
    var trailingCoding: EPCTrailingCoding {
        switch self {
        case .sgtin96, .grai96: .integer(bits: 38)
        case .sgln96: .integer(bits: 41)
        case .sscc96: .reserved(bits: 24)
        case .giai96, .giai202: .absent
        case .sgtin198, .sgln195: .string(bits: 140, maximumCharacters: 20)
        case .grai170: .string(bits: 112, maximumCharacters: 16)
        }
    }
}

/// Shared layout of every GS1 EPC binary encoding: 8-bit header, 3-bit filter, 3-bit partition, then the company
/// prefix whose width the partition selects (TDS §14.5: 40, 37, 34, 30, 27, 24, 20 bits for 12…6 digits).
enum EPCPartition {
    static let filterOffset = 8
    static let partitionOffset = 11
    static let companyPrefixOffset = 14
    /// Partitions 0…6 exist; 7 is not a legal partition value in any scheme.
    static let largestPartition = 6

    static func companyPrefixBits(_ partition: Int) -> Int {
        switch partition {
        case 0: 40
        case 1: 37
        case 2: 34
        case 3: 30
        case 4: 27
        case 5: 24
        default: 20
        }
    }

    static func companyPrefixDigits(_ partition: Int) -> Int { 12 - partition }

    /// 10^digits for 0…19 digits (the largest power of ten a `UInt64` holds).
    static func powerOfTen(_ digits: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<digits { result &*= 10 }
        return result
    }
}
