import Foundation
import SortgateCore
import SortgateConfig

/// A ``JSONPointer`` prepared for following through message bytes: each token's text, its
/// UTF-8 bytes when it is ASCII (compared with plain member names as bytes), and its array
/// index when it is one.
struct CompiledJSONPointer: Sendable {
    struct Token: Sendable {
        var text: String
        /// The token's bytes when it is all ASCII; nil otherwise (compared as a `String`).
        var asciiBytes: [UInt8]?
        var arrayIndex: Int?
    }

    var pointer: JSONPointer
    var tokens: [Token]
    var text: String { pointer.text }

    init(_ pointer: JSONPointer) {
        self.pointer = pointer
        tokens = pointer.tokens.map { token in
            let bytes = Array(token.utf8)
            return Token(
                text: token,
                asciiBytes: bytes.allSatisfy({ $0 < 0x80 }) ? bytes : nil,
                arrayIndex: JSONPointer.arrayIndex(token)
            )
        }
    }
}

/// A ``JSONFieldMapping`` with its pointers parsed, built once per decoder.
struct CompiledJSONMapping: Sendable {
    var events: CompiledJSONPointer?
    var epc: CompiledJSONPointer
    var epcEncoding: JSONFieldMapping.EPCEncoding
    var antenna: CompiledJSONPointer?
    var rssi: CompiledJSONPointer?
    var rssiUnit: JSONFieldMapping.RSSIUnit
    var time: CompiledJSONPointer?
    var timeUnit: JSONFieldMapping.TimeUnit
    var reads: CompiledJSONPointer?
    var eventNumber: CompiledJSONPointer?

    init(_ mapping: JSONFieldMapping) throws(JSONPointerError) {
        func compile(_ text: String?, field: String) throws(JSONPointerError) -> CompiledJSONPointer? {
            guard let text else { return nil }
            do throws(JSONPointerError) {
                return CompiledJSONPointer(try JSONPointer(text))
            } catch {
                var named = error
                named.field = field
                throw named
            }
        }
        events = try compile(mapping.events, field: "events")
        // `compile` returns a pointer for every non-nil text.
        epc = try compile(mapping.epc, field: "epc")!
        epcEncoding = mapping.epcEncoding
        antenna = try compile(mapping.antenna, field: "antenna")
        rssi = try compile(mapping.rssi, field: "rssi")
        rssiUnit = mapping.rssiUnit
        time = try compile(mapping.time, field: "time")
        timeUnit = mapping.timeUnit
        reads = try compile(mapping.reads, field: "reads")
        eventNumber = try compile(mapping.eventNumber, field: "eventNumber")
    }
}

/// The generic JSON-pointer mapping, for readers without a built-in decoder.
///
/// With an `events` pointer the message must hold an array there, and each element is one
/// event; without one, a top-level array is a batch of events and anything else is one event.
/// An empty array of events is rejected as `missing-field`: such a message yields nothing.
/// Field pointers are relative to the event, and rejections name the absolute pointer
/// (`/tags/3/rssi`) so that it can be compared with the message directly.
///
/// Only the EPC is required (`missing-field` without it). Antenna defaults to 0, read count
/// to 1 (and must be at least 1, as for Zebra); RSSI is converted from dBm (rounded to the
/// nearest centi-dBm) or taken as centi-dBm. `time` may point at an RFC 3339 string or at a
/// number of `timeUnit`s since 1970 (fractions allowed); without it, or when absent from the
/// event, event time is the arrival. An explicit `null` counts as absent, and of a member
/// given twice the last one counts. There is no notion of a non-tag event here, so nothing is
/// ever ignored.
///
/// The whole message is checked by skipping it once; then each pointer is followed from its
/// event by scanning (through an object to its end, comparing member names; through an array
/// up to the index), so a field is found in time proportional to the event's size, with no
/// allocation.
extension PayloadDecoder {
    func decodeMapped(
        _ scanner: inout JSONByteScanner,
        mapping: CompiledJSONMapping,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(JSONSyntaxError) -> Result<DecodeSummary, PayloadRejection> {
        let root = try scanner.valueStart().offset
        try scanner.skipValue()
        try scanner.finishText()
        var summary = DecodeSummary()
        let events: Int
        let container: String
        if let pointer = mapping.events {
            let eventsPath = EventLocation.single(.jsonPointer).path(pointer.text)
            guard let found = scanner.field(scanner.follow(pointer, from: root)) else {
                return .failure(
                    PayloadRejection(reason: .missingField, detail: "\(eventsPath): no events array in the message")
                )
            }
            guard found.kind == .array else {
                return .failure(EventField.wrongType(eventsPath, expected: "an array of events", got: found))
            }
            events = found.offset
            container = pointer.text
        } else if scanner.kind(at: root) == .array {
            events = root
            container = ""
        } else {
            let outcome = mappedEvent(at: root, scanner, mapping: mapping, location: .single(.jsonPointer), message: message)
            record(outcome, into: &reads, &summary, eventIndex: nil)
            return finish(summary)
        }
        var elements = scanner.at(events)
        if try elements.beginArray() {
            var index = 0
            repeat {
                let event = try elements.valueStart().offset
                try elements.skipValue()
                let location = EventLocation(style: .jsonPointer, container: container, index: index)
                let outcome = mappedEvent(at: event, scanner, mapping: mapping, location: location, message: message)
                record(outcome, into: &reads, &summary, eventIndex: index)
                index += 1
            } while try elements.nextElement(openedAt: events)
        }
        return finish(summary, emptyBatch: EventLocation.single(.jsonPointer).path(container))
    }

    private func mappedEvent(
        at event: Int,
        _ scanner: JSONByteScanner,
        mapping: CompiledJSONMapping,
        location: EventLocation,
        message: MessageStamp
    ) -> Result<EventOutcome, PayloadRejection> {
        Result { () throws(PayloadRejection) in
            guard let epcValue = scanner.field(scanner.follow(mapping.epc, from: event)) else {
                throw PayloadRejection(reason: .missingField, detail: "\(location.path(mapping.epc.text)): no EPC")
            }
            let epc: EPC
            switch mapping.epcEncoding {
            case .hex: epc = try EventField.epc(hex: epcValue, at: location.path(mapping.epc.text))
            case .base64: epc = try EventField.epc(base64: epcValue, at: location.path(mapping.epc.text))
            }

            var antenna: UInt16 = 0
            if let pointer = mapping.antenna, let value = scanner.field(scanner.follow(pointer, from: event)) {
                antenna = try EventField.integer(value, in: 0...UInt16.max, at: location.path(pointer.text))
            }
            var rssi: Int32?
            if let pointer = mapping.rssi, let value = scanner.field(scanner.follow(pointer, from: event)) {
                switch mapping.rssiUnit {
                case .dBm: rssi = try EventField.rssiCentiDbm(dBm: value, at: location.path(pointer.text))
                case .centiDbm: rssi = try EventField.rssiCentiDbm(centiDbm: value, at: location.path(pointer.text))
                }
            }
            var time = message.arrival
            if let pointer = mapping.time, let value = scanner.field(scanner.follow(pointer, from: event)) {
                time = try EventField.time(
                    epochOrRFC3339: value,
                    unit: mapping.timeUnit,
                    at: location.path(pointer.text),
                    arrival: message.arrival
                )
            }
            var readCount: UInt32 = 1
            if let pointer = mapping.reads, let value = scanner.field(scanner.follow(pointer, from: event)) {
                readCount = try EventField.integer(value, in: 1...UInt32.max, at: location.path(pointer.text))
            }
            var eventNumber: UInt64?
            if let pointer = mapping.eventNumber, let value = scanner.field(scanner.follow(pointer, from: event)) {
                eventNumber = try EventField.integer(value, in: 0...UInt64.max, at: location.path(pointer.text))
            }
            return message.read(
                time: time,
                epc: epc,
                antenna: antenna,
                rssi: rssi,
                readCount: readCount,
                eventNumber: eventNumber
            )
        }
    }
}

extension JSONByteScanner {
    /// The offset of the value `pointer` names from the checked value at `offset`, or -1 when
    /// it names nothing or `null` (RFC 6901: an array index is digits without a leading zero).
    /// Of two members with the name, the last counts.
    func follow(_ pointer: CompiledJSONPointer, from offset: Int) -> Int {
        var current = offset
        for token in pointer.tokens {
            var scanner = at(current)
            // The text was checked whole before any pointer is followed, so no scan fails here.
            do throws(JSONSyntaxError) {
                switch byte(at: current) {
                case UInt8(ascii: "{"):
                    var found = -1
                    if try scanner.beginObject() {
                        repeat {
                            let name = try scanner.memberName()
                            if scanner.name(name, equals: token) {
                                found = try scanner.valueStart().offset
                            }
                            try scanner.skipValue()
                        } while try scanner.nextMember(openedAt: current)
                    }
                    guard found >= 0 else { return -1 }
                    current = found
                case UInt8(ascii: "["):
                    guard let index = token.arrayIndex, try scanner.beginArray() else { return -1 }
                    var position = 0
                    while position < index {
                        try scanner.skipValue()
                        guard try scanner.nextElement(openedAt: current) else { return -1 }
                        position += 1
                    }
                    current = try scanner.valueStart().offset
                default:
                    return -1
                }
            } catch {
                return -1
            }
        }
        return byte(at: current) == UInt8(ascii: "n") ? -1 : current
    }

    /// Whether a member name is a pointer's token, as Swift `String` equality has it.
    private func name(_ name: MemberName, equals token: CompiledJSONPointer.Token) -> Bool {
        if name.token.plainASCII, let bytes = token.asciiBytes {
            return name.token.content.count == bytes.count
                && bytes.withUnsafeBytes { bytes in
                    bytes.isEmpty || memcmp(base + name.token.content.lowerBound, bytes.baseAddress!, bytes.count) == 0
                }
        }
        return withString(name.token) { String(decoding: $0, as: UTF8.self) } == token.text
    }
}
