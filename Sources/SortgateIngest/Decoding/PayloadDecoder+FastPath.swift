import SortgateCore
import SortgateConfig

/// The allocation-free fast path of the vendor formats (Impinj IoT, Zebra IoT Connector); the
/// generic mapping's is in `PayloadDecoder+FastMapping.swift`.
///
/// It reads the message bytes once with a ``JSONByteScanner``, locating the members it knows by
/// byte comparison of their names and skipping (but checking) everything else, and turns the
/// located values into ``TagRead``s directly: EPCs from the hex or base64 bytes, timestamps and
/// numbers from their bytes. It never builds a `String`, `Array` or `Dictionary`; the reads are
/// appended to the caller's array, which grows only when its capacity is exceeded.
///
/// It decodes only what it is sure the tree path decodes the same way: every check that would
/// reject the message or one of its events, every duplicated known member (whose winner would
/// depend on the tree parser's dictionary), every string it must read that holds an escape or
/// non-ASCII text, every number it must read that is not a plain integer (or, for a dBm value,
/// a plain decimal fraction), and every syntax the scanner leaves alone makes it throw
/// ``FastPathExit``. `decode` then removes what the fast path appended and runs the tree path,
/// so rejections keep their exact reasons and details. The semantics of each format are
/// documented once, on the tree decoders (`decodeImpinj`, `decodeZebra`); the code here mirrors
/// them rule for rule, and the differential tests in `PayloadDecoderFastPathTests` hold the two
/// to the same results.
extension PayloadDecoder {
    /// Decodes a message on the fast path, or throws ``FastPathExit`` (possibly after appending
    /// reads, which the caller removes).
    func decodeFast(
        _ payload: UnsafeRawBufferPointer,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(FastPathExit) -> DecodeSummary {
        guard payload.count <= maxPayload, let base = payload.baseAddress, !payload.isEmpty,
            Self.isValidUTF8(payload)
        else { throw FastPathExit() }
        var scanner = JSONByteScanner(base: base.assumingMemoryBound(to: UInt8.self), count: payload.count)
        var tally = FastTally()
        switch format {
        case .impinjIoT:
            try fastImpinjMessage(&scanner, message: message, into: &reads, tally: &tally)
        case .zebraIoT:
            try fastZebraMessage(&scanner, message: message, into: &reads, tally: &tally)
        case .json:
            // `compiledMapping` is set by `init` for every `.json` format.
            try fastMappedMessage(&scanner, mapping: compiledMapping!, message: message, into: &reads, tally: &tally)
        }
        guard scanner.atEnd() else { throw FastPathExit() }
        return DecodeSummary(reads: tally.reads, ignoredEvents: tally.ignored, overflowWarnings: tally.overflows)
    }

    /// UTF-8 validity, eight ASCII bytes at a time; only text with non-ASCII bytes takes the full
    /// check. NUL bytes need no check here: the scanner refuses them, inside strings or out.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 {
            index += 1
        }
        return index == count || UTF8Check(bytes).firstInvalid == nil
    }
}

/// What the fast path counted so far.
struct FastTally {
    var reads = 0
    var ignored = 0
    var overflows = 0
}

/// Offsets of the known members of one object (-1: absent or `null`), with a bit per member
/// already seen so that a duplicated one sends the message to the tree path.
private struct MemberOffsets {
    var seen: UInt32 = 0

    /// Records the value at the scanner (and skips it) as member `bit`.
    @inline(__always)
    mutating func record(_ offset: inout Int, bit: UInt32, _ scanner: inout JSONByteScanner) throws(FastPathExit) {
        try mark(bit)
        let value = try scanner.valueStart()
        offset = value.isNull ? -1 : value.offset
        try scanner.skipValue()
    }

    @inline(__always)
    mutating func mark(_ bit: UInt32) throws(FastPathExit) {
        guard seen & bit == 0 else { throw FastPathExit() }
        seen |= bit
    }
}

/// How a member that must hold an object was found.
private enum NestedObject {
    case absent
    case object
    /// Present, not `null`, not an object: a rejection if the event needs it.
    case other

    /// Scans a member's value that should be an object, handing each of its members to `take`
    /// (the scanner is after the member's name); `null` counts as absent.
    static func scan(
        _ scanner: inout JSONByteScanner,
        _ take: (Range<Int>, inout JSONByteScanner) throws(FastPathExit) -> Void
    ) throws(FastPathExit) -> NestedObject {
        switch try scanner.peekSignificant() {
        case UInt8(ascii: "{"):
            guard try scanner.beginObject() else { return .object }
            repeat {
                let inner = try scanner.memberName()
                try take(inner, &scanner)
            } while try scanner.nextMember()
            return .object
        case UInt8(ascii: "n"):
            try scanner.skipValue()
            return .absent
        default:
            try scanner.skipValue()
            return .other
        }
    }
}

// MARK: - Impinj

private struct ImpinjEventMembers {
    var members = MemberOffsets()
    var eventType = -1
    var timestamp = -1
    var overflowEvent = -1
    var inventory = NestedObject.absent
    var inventoryMembers = MemberOffsets()
    var epcHex = -1
    var epcBase64 = -1
    var antennaPort = -1
    var peakRssiCdbm = -1
    var lastSeenTime = -1

    /// Takes one member of an event object (the scanner is after its name), recording the
    /// members the format reads and skipping the others.
    mutating func take(_ name: Range<Int>, _ scanner: inout JSONByteScanner) throws(FastPathExit) {
        if scanner.bytes(name, equal: "eventType") {
            try members.record(&eventType, bit: 1, &scanner)
        } else if scanner.bytes(name, equal: "timestamp") {
            try members.record(&timestamp, bit: 2, &scanner)
        } else if scanner.bytes(name, equal: "overflowEvent") {
            try members.record(&overflowEvent, bit: 4, &scanner)
        } else if scanner.bytes(name, equal: "tagInventoryEvent") {
            try members.mark(8)
            inventory = try NestedObject.scan(&scanner) { inner, scanner throws(FastPathExit) in
                try takeInventory(inner, &scanner)
            }
        } else {
            try scanner.skipValue()
        }
    }

    private mutating func takeInventory(_ name: Range<Int>, _ scanner: inout JSONByteScanner) throws(FastPathExit) {
        if scanner.bytes(name, equal: "epcHex") {
            try inventoryMembers.record(&epcHex, bit: 1, &scanner)
        } else if scanner.bytes(name, equal: "epc") {
            try inventoryMembers.record(&epcBase64, bit: 2, &scanner)
        } else if scanner.bytes(name, equal: "antennaPort") {
            try inventoryMembers.record(&antennaPort, bit: 4, &scanner)
        } else if scanner.bytes(name, equal: "peakRssiCdbm") {
            try inventoryMembers.record(&peakRssiCdbm, bit: 8, &scanner)
        } else if scanner.bytes(name, equal: "lastSeenTime") {
            try inventoryMembers.record(&lastSeenTime, bit: 16, &scanner)
        } else {
            try scanner.skipValue()
        }
    }
}

extension PayloadDecoder {
    fileprivate func fastImpinjMessage(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        switch try scanner.peekSignificant() {
        case UInt8(ascii: "{"):
            // The root is a batch when it has a non-null `events`, else it is the one event.
            var event = ImpinjEventMembers()
            var batched = false
            var seenEvents = false
            if try scanner.beginObject() {
                repeat {
                    let name = try scanner.memberName()
                    if scanner.bytes(name, equal: "events") {
                        guard !seenEvents else { throw FastPathExit() }
                        seenEvents = true
                        switch try scanner.peekSignificant() {
                        case UInt8(ascii: "["):
                            batched = true
                            try fastImpinjEvents(&scanner, message: message, into: &reads, tally: &tally)
                        case UInt8(ascii: "n"):
                            try scanner.skipValue()
                        default:
                            throw FastPathExit()
                        }
                    } else {
                        try event.take(name, &scanner)
                    }
                } while try scanner.nextMember()
            }
            if !batched {
                try fastImpinjEvent(event, scanner, message: message, into: &reads, tally: &tally)
            }
        case UInt8(ascii: "["):
            try fastImpinjEvents(&scanner, message: message, into: &reads, tally: &tally)
        default:
            throw FastPathExit()
        }
    }

    private func fastImpinjEvents(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        guard try scanner.beginArray() else { return }
        repeat {
            var event = ImpinjEventMembers()
            guard try scanner.peekSignificant() == UInt8(ascii: "{") else { throw FastPathExit() }
            if try scanner.beginObject() {
                repeat {
                    let name = try scanner.memberName()
                    try event.take(name, &scanner)
                } while try scanner.nextMember()
            }
            try fastImpinjEvent(event, scanner, message: message, into: &reads, tally: &tally)
        } while try scanner.nextElement()
    }

    private func fastImpinjEvent(
        _ event: ImpinjEventMembers,
        _ scanner: JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        if event.eventType >= 0 {
            let type = try scanner.plainString(at: event.eventType)
            if scanner.bytes(type, equal: "overflow") {
                tally.ignored += 1
                tally.overflows += 1
                return
            }
            guard scanner.bytes(type, equal: "tagInventory") else {
                tally.ignored += 1
                return
            }
        } else if case .absent = event.inventory {
            tally.ignored += 1
            if event.overflowEvent >= 0 { tally.overflows += 1 }
            return
        }
        guard case .object = event.inventory else { throw FastPathExit() }

        let epc: EPC
        if event.epcHex >= 0 {
            guard let hex = EPC(hexBytes: scanner.buffer(try scanner.plainString(at: event.epcHex))) else {
                throw FastPathExit()
            }
            epc = hex
        } else if event.epcBase64 >= 0 {
            guard let decoded = FastBase64.epc(scanner.buffer(try scanner.plainString(at: event.epcBase64))) else {
                throw FastPathExit()
            }
            epc = decoded
        } else {
            throw FastPathExit()
        }
        let antenna = event.antennaPort >= 0 ? try scanner.integer(at: event.antennaPort, in: 0...UInt16.max) : 0
        let rssi: Int32? =
            event.peakRssiCdbm >= 0 ? try scanner.integer(at: event.peakRssiCdbm, in: Int32.min...Int32.max) : nil
        let time: EventTime
        if event.timestamp >= 0 {
            time = try fastTime(at: event.timestamp, scanner, arrival: message.arrival)
        } else if event.lastSeenTime >= 0 {
            time = try fastTime(at: event.lastSeenTime, scanner, arrival: message.arrival)
        } else {
            time = message.arrival
        }
        reads.append(
            TagRead(
                source: message.source,
                seq: message.seq,
                time: time,
                epc: epc,
                antenna: antenna,
                rssiCentiDbm: rssi,
                readCount: 1,
                vendorEventNumber: nil
            )
        )
        tally.reads += 1
    }
}

// MARK: - Zebra

private struct ZebraEventMembers {
    var members = MemberOffsets()
    var type = -1
    var timestamp = -1
    var data = NestedObject.absent
    var dataMembers = MemberOffsets()
    var idHex = -1
    var antenna = -1
    var peakRssi = -1
    var reads = -1
    var eventNumber = -1

    mutating func take(_ name: Range<Int>, _ scanner: inout JSONByteScanner) throws(FastPathExit) {
        if scanner.bytes(name, equal: "type") {
            try members.record(&type, bit: 1, &scanner)
        } else if scanner.bytes(name, equal: "timestamp") {
            try members.record(&timestamp, bit: 2, &scanner)
        } else if scanner.bytes(name, equal: "data") {
            try members.mark(4)
            data = try NestedObject.scan(&scanner) { inner, scanner throws(FastPathExit) in
                try takeData(inner, &scanner)
            }
        } else {
            try scanner.skipValue()
        }
    }

    private mutating func takeData(_ name: Range<Int>, _ scanner: inout JSONByteScanner) throws(FastPathExit) {
        if scanner.bytes(name, equal: "idHex") {
            try dataMembers.record(&idHex, bit: 1, &scanner)
        } else if scanner.bytes(name, equal: "antenna") {
            try dataMembers.record(&antenna, bit: 2, &scanner)
        } else if scanner.bytes(name, equal: "peakRssi") {
            try dataMembers.record(&peakRssi, bit: 4, &scanner)
        } else if scanner.bytes(name, equal: "reads") {
            try dataMembers.record(&reads, bit: 8, &scanner)
        } else if scanner.bytes(name, equal: "eventNum") {
            try dataMembers.record(&eventNumber, bit: 16, &scanner)
        } else {
            try scanner.skipValue()
        }
    }
}

extension PayloadDecoder {
    fileprivate func fastZebraMessage(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        switch try scanner.peekSignificant() {
        case UInt8(ascii: "{"):
            try fastZebraEvent(&scanner, message: message, into: &reads, tally: &tally)
        case UInt8(ascii: "["):
            guard try scanner.beginArray() else { return }
            repeat {
                guard try scanner.peekSignificant() == UInt8(ascii: "{") else { throw FastPathExit() }
                try fastZebraEvent(&scanner, message: message, into: &reads, tally: &tally)
            } while try scanner.nextElement()
        default:
            throw FastPathExit()
        }
    }

    private func fastZebraEvent(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        var event = ZebraEventMembers()
        if try scanner.beginObject() {
            repeat {
                let name = try scanner.memberName()
                try event.take(name, &scanner)
            } while try scanner.nextMember()
        }
        if event.type >= 0 {
            let type = scanner.buffer(try scanner.plainString(at: event.type))
            guard Self.equalsUppercased(type, "SIMPLE") || Self.equalsUppercased(type, "CUSTOM") else {
                tally.ignored += 1
                return
            }
        } else if case .absent = event.data {
            tally.ignored += 1
            return
        }
        guard case .object = event.data, event.idHex >= 0,
            let epc = EPC(hexBytes: scanner.buffer(try scanner.plainString(at: event.idHex)))
        else { throw FastPathExit() }
        let antenna = event.antenna >= 0 ? try scanner.integer(at: event.antenna, in: 0...UInt16.max) : 0
        var rssi: Int32?
        if event.peakRssi >= 0 {
            guard let centi = Int32(exactly: (try scanner.number(at: event.peakRssi) * 100).rounded()) else {
                throw FastPathExit()
            }
            rssi = centi
        }
        let readCount = event.reads >= 0 ? try scanner.integer(at: event.reads, in: 1...UInt32.max) : 1
        let eventNumber: UInt64? =
            event.eventNumber >= 0 ? try scanner.integer(at: event.eventNumber, in: 0...UInt64.max) : nil
        let time =
            event.timestamp >= 0
            ? try fastTime(at: event.timestamp, scanner, arrival: message.arrival) : message.arrival
        reads.append(
            TagRead(
                source: message.source,
                seq: message.seq,
                time: time,
                epc: epc,
                antenna: antenna,
                rssiCentiDbm: rssi,
                readCount: readCount,
                vendorEventNumber: eventNumber
            )
        )
        tally.reads += 1
    }

    /// Whether ASCII `bytes`, upper-cased, spell `literal` (upper-case ASCII).
    private static func equalsUppercased(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        for position in 0..<bytes.count {
            var byte = bytes[position]
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 0x20 }
            guard byte == literal.utf8Start[position] else { return false }
        }
        return true
    }
}

// MARK: - Shared values

extension PayloadDecoder {
    /// A reader timestamp read from the plain string at `offset`, if it parses and is plausible
    /// (the rules of `EventField.plausible`).
    func fastTime(
        at offset: Int,
        _ scanner: JSONByteScanner,
        arrival: EventTime
    ) throws(FastPathExit) -> EventTime {
        guard let time = EventTime(rfc3339Bytes: scanner.buffer(try scanner.plainString(at: offset))) else {
            throw FastPathExit()
        }
        return try fastPlausible(time, arrival: arrival)
    }

    /// `time` when `EventField.plausible` accepts it.
    func fastPlausible(_ time: EventTime, arrival: EventTime) throws(FastPathExit) -> EventTime {
        guard time >= PayloadDecoder.earliestPlausibleTime else { throw FastPathExit() }
        let (lead, overflow) = time.nanoseconds.subtractingReportingOverflow(arrival.nanoseconds)
        guard !overflow, lead <= PayloadDecoder.maximumClockLead.nanosecondsClamped else { throw FastPathExit() }
        return time
    }
}

/// Base64 EPCs decoded straight into an ``EPC``, with exactly the acceptance rules of
/// ``Base64/decode(_:)`` followed by `EPC(bytes:)`.
enum FastBase64 {
    static func epc(_ text: UnsafeBufferPointer<UInt8>) -> EPC? {
        var length = text.count
        var padding = 0
        while length > 0, text[length - 1] == UInt8(ascii: "="), padding < 2 {
            length -= 1
            padding += 1
        }
        if padding > 0, (length + padding) % 4 != 0 { return nil }
        if length % 4 == 1 { return nil }
        let byteCount = length * 6 / 8
        guard byteCount > 0, byteCount * 8 <= EPC.maximumBits else { return nil }
        var epc = EPC(w0: 0, bitCount: byteCount * 8)
        var accumulator: UInt32 = 0
        var bitCount = 0
        var produced = 0
        for position in 0..<length {
            let digit = text[position]
            let value: UInt8
            switch digit {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = digit - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = digit - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                epc.setBits(
                    at: produced * 8,
                    count: 8,
                    to: UInt64(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                )
                produced += 1
            }
        }
        return epc
    }
}
