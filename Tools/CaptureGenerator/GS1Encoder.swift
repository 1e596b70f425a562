import SortgateCore

/// A tag's EPC together with what a Tag Data Standard decoder must make of it.
///
/// The generator packs the bits itself instead of asking sortgate's EPC codec, so that the
/// expected outcome is an independent statement of the standard rather than an echo of the
/// code under test.
struct GeneratedEPC: Hashable {
    var epc: EPC
    /// `sgtin-96`, `sscc-96`, `grai-96`, `giai-96` or `raw`.
    var scheme: String
    /// The GS1 pure-identity URI, nil for raw EPCs.
    var uri: String?

    var hex: String { epc.hex }
}

/// Bit packing of the 96-bit GS1 EPC schemes (GS1 EPC Tag Data Standard 2.x, §14).
///
/// Every 96-bit scheme used here starts with the 8-bit header, a 3-bit filter and a 3-bit
/// partition; the partition value says how the following bits are split between the GS1
/// Company Prefix and the next field, and equals 12 minus the number of prefix digits.
enum GS1Encoder {
    /// Bits of the GS1 Company Prefix for partition values 0…6 (same for every scheme).
    private static let companyPrefixBits = [40, 37, 34, 30, 27, 24, 20]
    /// SGTIN-96 indicator digit + item reference bits, per partition (TDS table 14-2).
    private static let sgtinItemBits = [4, 7, 10, 14, 17, 20, 24]
    /// SSCC-96 extension digit + serial reference bits, per partition (TDS table 14-5).
    private static let ssccSerialBits = [18, 21, 24, 28, 31, 34, 38]
    /// GRAI-96 asset type bits, per partition (TDS table 14-12).
    private static let graiAssetTypeBits = [4, 7, 10, 14, 17, 20, 24]
    /// GIAI-96 individual asset reference bits, per partition (TDS table 14-15).
    private static let giaiAssetBits = [42, 45, 48, 52, 55, 58, 62]

    /// SGTIN-96: header 0x30, 38-bit serial. `itemReference` includes the indicator digit.
    static func sgtin96(filter: UInt64, companyPrefix: String, itemReference: String, serial: UInt64) -> GeneratedEPC {
        let partition = partition(of: companyPrefix)
        precondition(itemReference.count == 13 - companyPrefix.count, "item reference length must suit the prefix")
        precondition(serial < 1 << 38, "SGTIN-96 serial exceeds 38 bits")
        var packer = BitPacker(header: 0x30, filter: filter, partition: partition)
        packer.append(number(companyPrefix), bits: companyPrefixBits[partition])
        packer.append(number(itemReference), bits: sgtinItemBits[partition])
        packer.append(serial, bits: 38)
        return GeneratedEPC(
            epc: packer.finish(),
            scheme: "sgtin-96",
            uri: "urn:epc:id:sgtin:\(companyPrefix).\(itemReference).\(serial)"
        )
    }

    /// SSCC-96: header 0x31, the 24 trailing bits are reserved zeros. `serialReference` includes
    /// the extension digit.
    static func sscc96(filter: UInt64, companyPrefix: String, serialReference: String) -> GeneratedEPC {
        let partition = partition(of: companyPrefix)
        precondition(serialReference.count == 17 - companyPrefix.count, "serial reference length must suit the prefix")
        var packer = BitPacker(header: 0x31, filter: filter, partition: partition)
        packer.append(number(companyPrefix), bits: companyPrefixBits[partition])
        packer.append(number(serialReference), bits: ssccSerialBits[partition])
        packer.append(0, bits: 24)
        return GeneratedEPC(
            epc: packer.finish(),
            scheme: "sscc-96",
            uri: "urn:epc:id:sscc:\(companyPrefix).\(serialReference)"
        )
    }

    /// GRAI-96: header 0x33, 38-bit numeric serial.
    static func grai96(filter: UInt64, companyPrefix: String, assetType: String, serial: UInt64) -> GeneratedEPC {
        let partition = partition(of: companyPrefix)
        precondition(assetType.count == 12 - companyPrefix.count, "asset type length must suit the prefix")
        precondition(serial < 1 << 38, "GRAI-96 serial exceeds 38 bits")
        var packer = BitPacker(header: 0x33, filter: filter, partition: partition)
        packer.append(number(companyPrefix), bits: companyPrefixBits[partition])
        packer.append(number(assetType), bits: graiAssetTypeBits[partition])
        packer.append(serial, bits: 38)
        return GeneratedEPC(
            epc: packer.finish(),
            scheme: "grai-96",
            uri: "urn:epc:id:grai:\(companyPrefix).\(assetType).\(serial)"
        )
    }

    /// GIAI-96: header 0x34, numeric individual asset reference.
    static func giai96(filter: UInt64, companyPrefix: String, assetReference: UInt64) -> GeneratedEPC {
        let partition = partition(of: companyPrefix)
        let bits = giaiAssetBits[partition]
        precondition(assetReference < 1 << UInt64(bits), "GIAI-96 asset reference exceeds \(bits) bits")
        var packer = BitPacker(header: 0x34, filter: filter, partition: partition)
        packer.append(number(companyPrefix), bits: companyPrefixBits[partition])
        packer.append(assetReference, bits: bits)
        return GeneratedEPC(
            epc: packer.finish(),
            scheme: "giai-96",
            uri: "urn:epc:id:giai:\(companyPrefix).\(assetReference)"
        )
    }

    /// An EPC whose header no GS1 scheme claims, such as the factory-default `E280…` EPCs
    /// that Impinj Monza chips carry until someone encodes them.
    static func raw(hex: String) -> GeneratedEPC {
        guard let epc = try? EPC(hex: hex) else { preconditionFailure("raw EPC '\(hex)' is not hex") }
        return GeneratedEPC(epc: epc, scheme: "raw", uri: nil)
    }

    private static func partition(of companyPrefix: String) -> Int {
        precondition((6...12).contains(companyPrefix.count), "a GS1 Company Prefix has 6 to 12 digits")
        return 12 - companyPrefix.count
    }

    private static func number(_ digits: String) -> UInt64 {
        guard let value = UInt64(digits) else { preconditionFailure("'\(digits)' is not a decimal number") }
        return value
    }
}

/// Appends fields most significant bit first into a 96-bit EPC.
private struct BitPacker {
    private var epc = EPC(w0: 0, bitCount: 96)
    private var offset = 0

    init(header: UInt64, filter: UInt64, partition: Int) {
        append(header, bits: 8)
        append(filter, bits: 3)
        append(UInt64(partition), bits: 3)
    }

    mutating func append(_ value: UInt64, bits: Int) {
        precondition(bits == 64 || value < 1 << UInt64(bits), "\(value) does not fit in \(bits) bits")
        epc.setBits(at: offset, count: bits, to: value)
        offset += bits
    }

    func finish() -> EPC {
        precondition(offset == 96, "packed \(offset) bits, not 96")
        return epc
    }
}
