extension EPCIdentity {
    /// Decodes an EPC read from a tag.
    ///
    /// - Returns: The identity, or nil when the header is not one of `EPCScheme`'s: such EPCs are kept as raw hex
    ///   and are not an error.
    /// - Throws: `EPCError` (with the EPC's hex as input) for a known header whose EPC is malformed; see
    ///   `validate(_:)` for the checks.
    public static func decode(_ epc: EPC) throws(EPCError) -> EPCIdentity? {
        guard let scheme = EPCScheme(header: epc.header) else { return nil }
        let fields: EPCBinaryFields
        do {
            fields = try EPCBinaryFields(scanning: epc, as: scheme)
        } catch {
            throw EPCError(input: epc.hex, reason: error.reason)
        }
        return fields.identity(in: epc)
    }

    /// Decodes an EPC whose header must be one of `EPCScheme`'s.
    ///
    /// - Throws: `EPCError` for an unknown header as well as for every check of `validate(_:)`.
    public init(decoding epc: EPC) throws(EPCError) {
        guard let identity = try EPCIdentity.decode(epc) else {
            let header = GS1CharacterSet82.hexPair(epc.header)
            throw EPCError(input: epc.hex, reason: "header \(header) is not a GS1 EPC scheme sortgate decodes")
        }
        self = identity
    }

    /// Checks an EPC the way `decode(_:)` does without building any string, so a decoder can reject a malformed
    /// EPC per read at little cost. It allocates only to describe a failure.
    ///
    /// An EPC with an unknown header passes (it is kept as raw hex) and yields nil. For a known header it checks:
    /// - the length: exactly `encodedBitCount`, or up to `tagBitCount` when the padding to a 16-bit word is
    ///   present; any other length is wrong for the header (an SGTIN-96 must be 96 bits);
    /// - padding bits after `encodedBitCount` are zero;
    /// - the partition value is 0…6 (7 is invalid);
    /// - the company prefix and zero-padded references fit in the digits the partition allows (a 24-bit company
    ///   prefix can hold 16777215, but partition 5 allows 7 digits; an SSCC-96 serial reference of partition 6
    ///   can exceed 11 digits);
    /// - the 24 reserved bits of SSCC-96 are zero;
    /// - alphanumeric fields are 7-bit characters of the GS1 AI character set, at least one, ended by a zero
    ///   character or the field's end, within the scheme's maximum length, and followed only by zero bits.
    ///
    /// - Returns: The scheme of the EPC, or nil for an unknown header.
    @discardableResult
    public static func validate(_ epc: EPC) throws(EPCError) -> EPCScheme? {
        guard let scheme = EPCScheme(header: epc.header) else { return nil }
        do {
            _ = try EPCBinaryFields(scanning: epc, as: scheme)
        } catch {
            throw EPCError(input: epc.hex, reason: error.reason)
        }
        return scheme
    }

    /// The EPC bits of this identity, `scheme.tagBitCount` long (the padding to a 16-bit word is zero).
    public var epc: EPC {
        var epc = EPC(w0: 0, bitCount: scheme.tagBitCount)
        let partition = self.partition
        let prefixBits = EPCPartition.companyPrefixBits(partition)
        epc.setBits(at: 0, count: 8, to: UInt64(scheme.header))
        epc.setBits(at: EPCPartition.filterOffset, count: 3, to: UInt64(filter))
        epc.setBits(at: EPCPartition.partitionOffset, count: 3, to: UInt64(partition))
        // Components were checked when the identity was made, so they parse.
        epc.setBits(
            at: EPCPartition.companyPrefixOffset,
            count: prefixBits,
            to: EPCIdentity.parseDecimal(companyPrefix) ?? 0
        )
        let referenceOffset = EPCPartition.companyPrefixOffset + prefixBits
        let referenceBits = scheme.partitionedBits - prefixBits
        switch scheme.referenceCoding {
        case .paddedDigits, .integer:
            // An empty reference (zero digits) encodes as zero.
            epc.setBits(at: referenceOffset, count: referenceBits, to: EPCIdentity.parseDecimal(reference) ?? 0)
        case .string:
            EPCIdentity.writeCharacters(reference, into: &epc, at: referenceOffset)
        }
        let trailingOffset = EPCPartition.companyPrefixOffset + scheme.partitionedBits
        switch scheme.trailingCoding {
        case .absent, .reserved:
            break
        case .integer(let bits):
            epc.setBits(at: trailingOffset, count: bits, to: serial.flatMap(EPCIdentity.parseDecimal) ?? 0)
        case .string:
            EPCIdentity.writeCharacters(serial ?? "", into: &epc, at: trailingOffset)
        }
        return epc
    }

    static func writeCharacters(_ text: String, into epc: inout EPC, at offset: Int) {
        for (index, code) in text.utf8.enumerated() {
            epc.setBits(at: offset + index * 7, count: 7, to: UInt64(code))
        }
    }
}

/// The fields of an EPC located and checked, as numbers and bit positions: what `validate` needs without
/// building strings, and what `decode` turns into an `EPCIdentity`.
struct EPCBinaryFields {
    var scheme: EPCScheme
    var filter: UInt8
    var partition: Int
    var companyPrefix: UInt64
    var referenceOffset: Int
    /// The reference as a number (zero-padded digits or integer codings).
    var referenceValue: UInt64 = 0
    /// The reference's character count (string coding).
    var referenceCharacters = 0
    var trailingOffset: Int
    /// The third field as a number (integer coding).
    var trailingValue: UInt64 = 0
    /// The third field's character count (string coding).
    var trailingCharacters = 0

    /// Locates and checks every field of `epc` for `scheme`.
    init(scanning epc: EPC, as scheme: EPCScheme) throws(EPCBinaryProblem) {
        let bitCount = Int(epc.bitCount)
        guard bitCount >= scheme.encodedBitCount, bitCount <= scheme.tagBitCount else {
            throw .wrongLength(scheme, bitCount: bitCount)
        }
        guard EPCBinaryFields.bitsAreZero(epc, from: scheme.encodedBitCount, to: bitCount) else {
            throw .paddingNotZero(scheme, bitCount: bitCount)
        }
        let partition = Int(epc.bits(at: EPCPartition.partitionOffset, count: 3))
        guard partition <= EPCPartition.largestPartition else { throw .invalidPartition(scheme) }
        let prefixBits = EPCPartition.companyPrefixBits(partition)
        let prefixDigits = EPCPartition.companyPrefixDigits(partition)
        let companyPrefix = epc.bits(at: EPCPartition.companyPrefixOffset, count: prefixBits)
        guard companyPrefix < EPCPartition.powerOfTen(prefixDigits) else {
            throw .companyPrefixTooLarge(value: companyPrefix, partition: partition)
        }
        self.scheme = scheme
        self.filter = UInt8(epc.bits(at: EPCPartition.filterOffset, count: 3))
        self.partition = partition
        self.companyPrefix = companyPrefix
        self.referenceOffset = EPCPartition.companyPrefixOffset + prefixBits
        self.trailingOffset = EPCPartition.companyPrefixOffset + scheme.partitionedBits

        let referenceBits = scheme.partitionedBits - prefixBits
        switch scheme.referenceCoding {
        case .paddedDigits:
            let digits = scheme.partitionedDigits - prefixDigits
            referenceValue = epc.bits(at: referenceOffset, count: referenceBits)
            guard referenceValue < EPCPartition.powerOfTen(digits) else {
                throw .referenceTooLarge(scheme, value: referenceValue, digits: digits, partition: partition)
            }
        case .integer:
            referenceValue = epc.bits(at: referenceOffset, count: referenceBits)
        case .string:
            referenceCharacters = try EPCBinaryFields.scanCharacters(
                epc,
                at: referenceOffset,
                bits: referenceBits,
                maximum: scheme.partitionedDigits - prefixDigits,
                scheme: scheme,
                field: .reference
            )
        }

        switch scheme.trailingCoding {
        case .absent:
            break
        case .reserved(let bits):
            guard EPCBinaryFields.bitsAreZero(epc, from: trailingOffset, to: trailingOffset + bits) else {
                throw .reservedNotZero(scheme, from: trailingOffset, to: trailingOffset + bits - 1)
            }
        case .integer(let bits):
            trailingValue = epc.bits(at: trailingOffset, count: bits)
        case .string(let bits, let maximum):
            trailingCharacters = try EPCBinaryFields.scanCharacters(
                epc,
                at: trailingOffset,
                bits: bits,
                maximum: maximum,
                scheme: scheme,
                field: .trailing
            )
        }
    }

    /// Checks a "String" field (TDS §14.3.2 decoding): 7-bit characters up to a zero character or `maximum`
    /// characters, every one in the GS1 AI character set, then only zero bits to the field's end.
    static func scanCharacters(
        _ epc: EPC,
        at offset: Int,
        bits: Int,
        maximum: Int,
        scheme: EPCScheme,
        field: EPCBinaryProblem.Field
    ) throws(EPCBinaryProblem) -> Int {
        let capacity = min(maximum, bits / 7)
        var count = 0
        var terminated = false
        while count < capacity {
            let code = UInt8(epc.bits(at: offset + count * 7, count: 7))
            if code == 0 {
                terminated = true
                break
            }
            guard GS1CharacterSet82.contains(code) else {
                throw .invalidCharacter(scheme, field, position: count + 1, code: code)
            }
            count += 1
        }
        guard count > 0 else { throw .emptyString(scheme, field) }
        let rest = offset + count * 7
        guard bitsAreZero(epc, from: rest, to: offset + bits) else {
            throw terminated ? .bitsAfterEnd(scheme, field) : .tooManyCharacters(scheme, field, maximum: maximum)
        }
        return count
    }

    static func bitsAreZero(_ epc: EPC, from start: Int, to end: Int) -> Bool {
        var offset = start
        while offset < end {
            let count = min(64, end - offset)
            if epc.bits(at: offset, count: count) != 0 { return false }
            offset += count
        }
        return true
    }

    /// Builds the identity's strings from the checked fields.
    func identity(in epc: EPC) -> EPCIdentity {
        let prefixDigits = EPCPartition.companyPrefixDigits(partition)
        let reference: String
        switch scheme.referenceCoding {
        case .paddedDigits:
            reference = EPCIdentity.paddedDecimal(referenceValue, digits: scheme.partitionedDigits - prefixDigits)
        case .integer:
            reference = String(referenceValue)
        case .string:
            reference = EPCBinaryFields.characters(epc, at: referenceOffset, count: referenceCharacters)
        }
        let serial: String?
        switch scheme.trailingCoding {
        case .absent, .reserved:
            serial = nil
        case .integer:
            serial = String(trailingValue)
        case .string:
            serial = EPCBinaryFields.characters(epc, at: trailingOffset, count: trailingCharacters)
        }
        return EPCIdentity(
            unchecked: scheme,
            filter: filter,
            companyPrefix: EPCIdentity.paddedDecimal(companyPrefix, digits: prefixDigits),
            reference: reference,
            serial: serial
        )
    }

    static func characters(_ epc: EPC, at offset: Int, count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            for index in 0..<count {
                buffer[index] = UInt8(epc.bits(at: offset + index * 7, count: 7))
            }
            return count
        }
    }
}

/// A malformed EPC, kept as plain values so that `validate` allocates nothing until a message is needed.
enum EPCBinaryProblem: Error, Hashable, Sendable {
    /// Which field of a scheme a problem is in.
    enum Field: Hashable, Sendable {
        case reference
        case trailing
    }

    case wrongLength(EPCScheme, bitCount: Int)
    case paddingNotZero(EPCScheme, bitCount: Int)
    case invalidPartition(EPCScheme)
    case companyPrefixTooLarge(value: UInt64, partition: Int)
    case referenceTooLarge(EPCScheme, value: UInt64, digits: Int, partition: Int)
    case reservedNotZero(EPCScheme, from: Int, to: Int)
    case invalidCharacter(EPCScheme, Field, position: Int, code: UInt8)
    case emptyString(EPCScheme, Field)
    case bitsAfterEnd(EPCScheme, Field)
    case tooManyCharacters(EPCScheme, Field, maximum: Int)

    /// The message for `EPCError.reason`.
    var reason: String {
        switch self {
        case .wrongLength(let scheme, let bitCount):
            let header = GS1CharacterSet82.hexPair(scheme.header)
            let expected =
                scheme.encodedBitCount == scheme.tagBitCount
                ? "\(scheme.encodedBitCount) bits"
                : "\(scheme.encodedBitCount) bits (\(scheme.tagBitCount) when padded to a 16-bit word)"
            return "wrong length for its header: header \(header) is \(scheme.rawValue), which is \(expected), "
                + "but the EPC has \(bitCount) bits"
        case .paddingNotZero(let scheme, let bitCount):
            return "bits \(scheme.encodedBitCount)–\(bitCount - 1) pad \(scheme.rawValue) to a 16-bit word "
                + "and must be zero"
        case .invalidPartition(let scheme):
            return "partition value 7 is invalid for \(scheme.rawValue) (TDS §14.5 defines partitions 0–6)"
        case .companyPrefixTooLarge(let value, let partition):
            let digits = EPCPartition.companyPrefixDigits(partition)
            return "company prefix \(value) has more than the \(digits) digits that partition \(partition) allows"
        case .referenceTooLarge(let scheme, let value, let digits, let partition):
            return "\(scheme.kind.referenceName) \(value) has more than the \(digits) digit\(digits == 1 ? "" : "s") "
                + "that partition \(partition) allows"
        case .reservedNotZero(let scheme, let from, let to):
            return "bits \(from)–\(to) are reserved in \(scheme.rawValue) and must be zero"
        case .invalidCharacter(let scheme, let field, let position, let code):
            let fieldName = name(of: field, in: scheme)
            return GS1CharacterSet82.invalidCharacterReason(name: fieldName, code: code, position: position)
        case .emptyString(let scheme, let field):
            return "\(name(of: field, in: scheme)) is empty (its first 7-bit character is zero)"
        case .bitsAfterEnd(let scheme, let field):
            return "\(name(of: field, in: scheme)) has non-zero bits after its terminating zero character"
        case .tooManyCharacters(let scheme, let field, let maximum):
            return "\(name(of: field, in: scheme)) is longer than the \(maximum) characters \(scheme.rawValue) allows"
        }
    }

    private func name(of field: Field, in scheme: EPCScheme) -> String {
        field == .reference ? scheme.kind.referenceName : scheme.kind.trailingName
    }
}
