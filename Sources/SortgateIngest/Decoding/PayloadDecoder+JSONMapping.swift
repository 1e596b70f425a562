import SortgateCore
import SortgateConfig

/// A ``JSONFieldMapping`` with its pointers parsed, built once per decoder.
struct CompiledJSONMapping: Sendable {
    var events: JSONPointer?
    var epc: JSONPointer
    var epcEncoding: JSONFieldMapping.EPCEncoding
    var antenna: JSONPointer?
    var rssi: JSONPointer?
    var rssiUnit: JSONFieldMapping.RSSIUnit
    var time: JSONPointer?
    var timeUnit: JSONFieldMapping.TimeUnit
    var reads: JSONPointer?
    var eventNumber: JSONPointer?
    /// The pointers prepared for the fast path; nil when one has a non-ASCII token.
    var fast: FastJSONMapping?

    init(_ mapping: JSONFieldMapping) throws(JSONPointerError) {
        func compile(_ text: String?, field: String) throws(JSONPointerError) -> JSONPointer? {
            guard let text else { return nil }
            do throws(JSONPointerError) {
                return try JSONPointer(text)
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
        fast = FastJSONMapping(self)
    }
}

/// The generic JSON-pointer mapping, for readers without a built-in decoder.
///
/// With an `events` pointer the message must hold an array there, and each element is one
/// event; without one, a top-level array is a batch of events and anything else is one event.
/// Field pointers are relative to the event, and rejections name the absolute pointer
/// (`/tags/3/rssi`) so that it can be compared with the message directly.
///
/// Only the EPC is required (`missing-field` without it). Antenna defaults to 0, read count
/// to 1 (and must be at least 1, as for Zebra); RSSI is converted from dBm (rounded to the
/// nearest centi-dBm) or taken as centi-dBm. `time` may point at an RFC 3339 string or at a
/// number of `timeUnit`s since 1970 (fractions allowed); without it, or when absent from the
/// event, event time is the arrival. An explicit `null` counts as absent. There is no notion
/// of a non-tag event here, so nothing is ever ignored.
extension PayloadDecoder {
    func decodeMapped(
        _ root: JSONValue,
        mapping: CompiledJSONMapping,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(PayloadRejection) -> DecodeSummary {
        let events: [JSONValue]
        let container: String
        if let pointer = mapping.events {
            let eventsPath = EventLocation.single(.jsonPointer).path(pointer.text)
            guard let found = root.resolving(pointer) else {
                throw PayloadRejection(reason: .missingField, detail: "\(eventsPath): no events array in the message")
            }
            guard case .array(let list) = found else {
                throw EventField.wrongType(eventsPath, expected: "an array of events", got: found)
            }
            events = list
            container = pointer.text
        } else if case .array(let list) = root {
            events = list
            container = ""
        } else {
            return try collect(CollectionOfOne(root), batched: false, into: &reads) {
                event,
                _ throws(PayloadRejection) in
                try mappedEvent(event, mapping: mapping, at: .single(.jsonPointer), message: message)
            }
        }
        return try collect(events, batched: true, into: &reads) { event, index throws(PayloadRejection) in
            let location = EventLocation(style: .jsonPointer, container: container, index: index)
            return try mappedEvent(event, mapping: mapping, at: location, message: message)
        }
    }

    private func mappedEvent(
        _ event: JSONValue,
        mapping: CompiledJSONMapping,
        at location: EventLocation,
        message: MessageStamp
    ) throws(PayloadRejection) -> EventOutcome {
        guard let epcValue = event.resolving(mapping.epc) else {
            throw PayloadRejection(reason: .missingField, detail: "\(location.path(mapping.epc.text)): no EPC")
        }
        let epc: EPC
        switch mapping.epcEncoding {
        case .hex: epc = try EventField.epc(hex: epcValue, at: location.path(mapping.epc.text))
        case .base64: epc = try EventField.epc(base64: epcValue, at: location.path(mapping.epc.text))
        }

        var antenna: UInt16 = 0
        if let pointer = mapping.antenna, let value = event.resolving(pointer) {
            antenna = try EventField.integer(value, in: 0...UInt16.max, at: location.path(pointer.text))
        }
        var rssi: Int32?
        if let pointer = mapping.rssi, let value = event.resolving(pointer) {
            switch mapping.rssiUnit {
            case .dBm: rssi = try EventField.rssiCentiDbm(dBm: value, at: location.path(pointer.text))
            case .centiDbm: rssi = try EventField.rssiCentiDbm(centiDbm: value, at: location.path(pointer.text))
            }
        }
        var time = message.arrival
        if let pointer = mapping.time, let value = event.resolving(pointer) {
            time = try EventField.time(
                epochOrRFC3339: value,
                unit: mapping.timeUnit,
                at: location.path(pointer.text),
                arrival: message.arrival
            )
        }
        var readCount: UInt32 = 1
        if let pointer = mapping.reads, let value = event.resolving(pointer) {
            readCount = try EventField.integer(value, in: 1...UInt32.max, at: location.path(pointer.text))
        }
        var eventNumber: UInt64?
        if let pointer = mapping.eventNumber, let value = event.resolving(pointer) {
            eventNumber = try EventField.integer(value, in: 0...UInt64.max, at: location.path(pointer.text))
        }
        return .read(
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
}
