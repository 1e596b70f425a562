import Foundation
import SortgateCore
import SortgateConfig

/// A ``JSONPointer`` prepared for the fast path: each token's bytes, and its array index when
/// it is one. Built once per decoder.
struct FastJSONPointer: Sendable {
    struct Token: Sendable {
        var bytes: [UInt8]
        var arrayIndex: Int?
    }

    var tokens: [Token]

    /// Nil for a pointer with a non-ASCII token: byte equality with a member name would not be
    /// `String` equality (canonical equivalence), so such a mapping keeps the tree path.
    init?(_ pointer: JSONPointer) {
        var tokens: [Token] = []
        for token in pointer.tokens {
            let bytes = Array(token.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            tokens.append(Token(bytes: bytes, arrayIndex: JSONPointer.arrayIndex(token)))
        }
        self.tokens = tokens
    }
}

/// The pointers of a ``CompiledJSONMapping`` prepared for the fast path.
struct FastJSONMapping: Sendable {
    var events: FastJSONPointer?
    var epc: FastJSONPointer
    var antenna: FastJSONPointer?
    var rssi: FastJSONPointer?
    var time: FastJSONPointer?
    var reads: FastJSONPointer?
    var eventNumber: FastJSONPointer?

    /// Nil when a pointer cannot be followed on the fast path.
    init?(_ mapping: CompiledJSONMapping) {
        func prepare(_ pointer: JSONPointer?) -> FastJSONPointer?? {
            guard let pointer else { return .some(nil) }
            guard let prepared = FastJSONPointer(pointer) else { return nil }
            return .some(prepared)
        }
        guard let events = prepare(mapping.events), let epc = FastJSONPointer(mapping.epc),
            let antenna = prepare(mapping.antenna), let rssi = prepare(mapping.rssi), let time = prepare(mapping.time),
            let reads = prepare(mapping.reads), let eventNumber = prepare(mapping.eventNumber)
        else { return nil }
        self.events = events
        self.epc = epc
        self.antenna = antenna
        self.rssi = rssi
        self.time = time
        self.reads = reads
        self.eventNumber = eventNumber
    }
}

/// The fast path of the generic JSON-pointer mapping, mirroring `decodeMapped` rule for rule
/// (see ``PayloadDecoder`` and `decodeFast` for what makes it give up).
///
/// The whole message is checked once (as the tree parser would refuse it for any syntax error),
/// then each pointer is followed from its event by scanning: through an object by comparing
/// member names as bytes (reading the object to its end, so that a duplicated name sends the
/// message to the tree path), through an array by skipping elements up to the index. A field is
/// thus found in time proportional to the event's size, with no allocation.
extension PayloadDecoder {
    func fastMappedMessage(
        _ scanner: inout JSONByteScanner,
        mapping: CompiledJSONMapping,
        message: MessageStamp,
        into reads: inout [TagRead],
        tally: inout FastTally
    ) throws(FastPathExit) {
        guard let fast = mapping.fast else { throw FastPathExit() }
        var check = scanner
        try check.skipValue()
        guard check.atEnd() else { throw FastPathExit() }
        let root = try scanner.valueStart().offset
        scanner.index = check.index
        let events: Int
        if let pointer = fast.events {
            events = try scanner.follow(pointer, from: root)
            guard events >= 0, scanner.byte(at: events) == UInt8(ascii: "[") else { throw FastPathExit() }
        } else if scanner.byte(at: root) == UInt8(ascii: "[") {
            events = root
        } else {
            try fastMappedEvent(at: root, scanner, mapping: mapping, fast: fast, message: message, into: &reads)
            tally.reads += 1
            return
        }
        var elements = scanner
        elements.index = events
        guard try elements.beginArray() else { return }
        repeat {
            let event = try elements.valueStart().offset
            try elements.skipValue()
            try fastMappedEvent(at: event, scanner, mapping: mapping, fast: fast, message: message, into: &reads)
            tally.reads += 1
        } while try elements.nextElement()
    }

    private func fastMappedEvent(
        at event: Int,
        _ scanner: JSONByteScanner,
        mapping: CompiledJSONMapping,
        fast: FastJSONMapping,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(FastPathExit) {
        let epcValue = try scanner.follow(fast.epc, from: event)
        guard epcValue >= 0 else { throw FastPathExit() }
        let epcText = scanner.buffer(try scanner.plainString(at: epcValue))
        let parsedEPC: EPC?
        switch mapping.epcEncoding {
        case .hex: parsedEPC = EPC(hexBytes: epcText)
        case .base64: parsedEPC = FastBase64.epc(epcText)
        }
        guard let epc = parsedEPC else { throw FastPathExit() }

        var antenna: UInt16 = 0
        let antennaValue = try scanner.follow(fast.antenna, from: event)
        if antennaValue >= 0 {
            antenna = try scanner.integer(at: antennaValue, in: 0...UInt16.max)
        }
        var rssi: Int32?
        let rssiValue = try scanner.follow(fast.rssi, from: event)
        if rssiValue >= 0 {
            switch mapping.rssiUnit {
            case .dBm:
                guard let centi = Int32(exactly: (try scanner.number(at: rssiValue) * 100).rounded()) else {
                    throw FastPathExit()
                }
                rssi = centi
            case .centiDbm:
                rssi = try scanner.integer(at: rssiValue, in: Int32.min...Int32.max)
            }
        }
        var time = message.arrival
        let timeValue = try scanner.follow(fast.time, from: event)
        if timeValue >= 0 {
            if scanner.byte(at: timeValue) == UInt8(ascii: "\"") {
                time = try fastTime(at: timeValue, scanner, arrival: message.arrival)
            } else {
                time = try fastEpochTime(at: timeValue, scanner, unit: mapping.timeUnit, arrival: message.arrival)
            }
        }
        var readCount: UInt32 = 1
        let readsValue = try scanner.follow(fast.reads, from: event)
        if readsValue >= 0 {
            readCount = try scanner.integer(at: readsValue, in: 1...UInt32.max)
        }
        var eventNumber: UInt64?
        let eventNumberValue = try scanner.follow(fast.eventNumber, from: event)
        if eventNumberValue >= 0 {
            eventNumber = try scanner.integer(at: eventNumberValue, in: 0...UInt64.max)
        }
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
    }

    /// A number of `unit`s since 1970, with the arithmetic of `EventField.time(epochOrRFC3339:…)`.
    private func fastEpochTime(
        at offset: Int,
        _ scanner: JSONByteScanner,
        unit: JSONFieldMapping.TimeUnit,
        arrival: EventTime
    ) throws(FastPathExit) -> EventTime {
        let number = try scanner.numberValue(at: offset)
        let nanosecondsPerUnit = unit.nanoseconds
        let nanoseconds: Int64
        if let whole = number.integer ?? Int64(exactly: number.double) {
            let (product, overflow) = whole.multipliedReportingOverflow(by: nanosecondsPerUnit)
            guard !overflow else { throw FastPathExit() }
            nanoseconds = product
        } else if let whole = Int64(exactly: number.double.rounded(.down)) {
            let fraction = Int64(((number.double - Double(whole)) * Double(nanosecondsPerUnit)).rounded())
            let (product, productOverflow) = whole.multipliedReportingOverflow(by: nanosecondsPerUnit)
            let (sum, sumOverflow) = product.addingReportingOverflow(fraction)
            guard !productOverflow, !sumOverflow else { throw FastPathExit() }
            nanoseconds = sum
        } else {
            throw FastPathExit()
        }
        return try fastPlausible(EventTime(nanoseconds: nanoseconds), arrival: arrival)
    }
}

extension JSONByteScanner {
    /// `follow(_:from:)` for an optional pointer: -1 without one.
    func follow(_ pointer: FastJSONPointer?, from offset: Int) throws(FastPathExit) -> Int {
        guard let pointer else { return -1 }
        return try follow(pointer, from: offset)
    }

    /// The offset of the value `pointer` names from the value at `offset`, or -1 when it names
    /// nothing or `null` (as `JSONValue.resolving`). The bytes must already be checked.
    func follow(_ pointer: FastJSONPointer, from offset: Int) throws(FastPathExit) -> Int {
        var current = offset
        for token in pointer.tokens {
            var scanner = self
            scanner.index = current
            switch byte(at: current) {
            case UInt8(ascii: "{"):
                var found = -1
                if try scanner.beginObject() {
                    repeat {
                        let name = try scanner.memberName()
                        let isToken = token.bytes.withUnsafeBytes { bytes in
                            name.count == bytes.count
                                && (bytes.isEmpty
                                    || memcmp(base + name.lowerBound, bytes.baseAddress!, bytes.count) == 0)
                        }
                        if isToken {
                            // Which of two equal names wins is the tree parser's business.
                            guard found < 0 else { throw FastPathExit() }
                            found = try scanner.valueStart().offset
                        }
                        try scanner.skipValue()
                    } while try scanner.nextMember()
                }
                guard found >= 0 else { return -1 }
                current = found
            case UInt8(ascii: "["):
                guard let index = token.arrayIndex, try scanner.beginArray() else { return -1 }
                var position = 0
                while true {
                    let element = try scanner.valueStart().offset
                    if position == index {
                        current = element
                        break
                    }
                    try scanner.skipValue()
                    guard try scanner.nextElement() else { return -1 }
                    position += 1
                }
            default:
                return -1
            }
        }
        return byte(at: current) == UInt8(ascii: "n") ? -1 : current
    }
}
