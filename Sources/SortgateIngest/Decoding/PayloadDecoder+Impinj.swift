import SortgateCore
import SortgateConfig

/// The Impinj IoT Device Interface (R700/R720).
///
/// A message is one event object, or the HTTP/webhook batch `{"events":[…]}`; a top-level
/// array of events is accepted too, since bridges that re-publish webhook batches send that.
/// An event is a tag read when its `eventType` is `tagInventory`, or when it has no
/// `eventType` but a `tagInventoryEvent` (the minimal form). Every other event type
/// (`antennaConnected`, `inventoryStatus`, `diagnostic`, `tagLocationEntry`, types added by
/// later firmware, …) is ignored and counted, and `overflow` is also counted as a warning, as
/// is an event without `eventType` that holds an `overflowEvent`. An event with neither an
/// `eventType` nor one of those two bodies says nothing a reader could have meant (`{}`), so it
/// is rejected as `missing-field`, and so is a batch without events (`[]`, `{"events":[]}`).
///
/// In a `tagInventoryEvent` only the EPC is required: `epcHex`, else the base64 `epc` (the
/// reader's `eventConfig` may turn either off). `antennaPort` defaults to 0 and
/// `peakRssiCdbm` is centi-dBm already. Event time is the event's `timestamp`, else the tag's
/// `lastSeenTime`, else the message's arrival. An explicit `null` counts as absent, and of a
/// member given twice the last one counts.
///
/// The message is read in one walk: each event's members are located as its object is
/// scanned, then the event is decoded from them.
extension PayloadDecoder {
    func decodeImpinj(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(JSONSyntaxError) -> Result<DecodeSummary, PayloadRejection> {
        let mark = reads.count
        var summary = DecodeSummary()
        let root = try scanner.valueStart().offset
        switch scanner.byte(at: root) {
        case UInt8(ascii: "{"):
            // The root is a batch when its (last) `events` is not null, else it is the one event.
            var event = ImpinjEvent()
            var events = -1
            if try scanner.beginObject() {
                repeat {
                    let name = try scanner.memberName()
                    if name.is("events", in: scanner) {
                        // A later `events` replaces what an earlier one held.
                        reads.removeSubrange(mark...)
                        summary = DecodeSummary()
                        let value = try scanner.valueStart()
                        events = value.isNull ? -1 : value.offset
                        if scanner.byte(at: value.offset) == UInt8(ascii: "[") {
                            try impinjEvents(&scanner, container: "events", message: message, into: &reads, summary: &summary)
                        } else {
                            try scanner.skipValue()
                        }
                    } else {
                        try event.take(name, &scanner)
                    }
                } while try scanner.nextMember(openedAt: root)
            }
            try scanner.finishText()
            guard let batch = scanner.field(events) else {
                record(impinjEvent(event, scanner, at: .single(.fieldPath), message: message), into: &reads, &summary, eventIndex: nil)
                return finish(summary)
            }
            guard batch.kind == .array else {
                return .failure(EventField.wrongType("events", expected: "an array of events", got: batch))
            }
            return finish(summary, emptyBatch: "events")
        case UInt8(ascii: "["):
            try impinjEvents(&scanner, container: "", message: message, into: &reads, summary: &summary)
            try scanner.finishText()
            return finish(summary, emptyBatch: "top level")
        default:
            try scanner.skipValue()
            try scanner.finishText()
            return .failure(
                EventField.wrongType(
                    "top level",
                    expected: "an Impinj event object or {\"events\":[…]}",
                    got: JSONField(scanner: scanner, offset: root)
                )
            )
        }
    }

    /// Decodes the events of the array at the scanner, `events` or the top level.
    private func impinjEvents(
        _ scanner: inout JSONByteScanner,
        container: String,
        message: MessageStamp,
        into reads: inout [TagRead],
        summary: inout DecodeSummary
    ) throws(JSONSyntaxError) {
        try decodeEventArray(&scanner, container: container, into: &reads, &summary) {
            scanner, location throws(JSONSyntaxError) in
            impinjEvent(try ImpinjEvent(&scanner), scanner, at: location, message: message)
        }
    }

    /// Decodes one event from its located members.
    private func impinjEvent(
        _ event: ImpinjEvent,
        _ scanner: JSONByteScanner,
        at location: EventLocation,
        message: MessageStamp
    ) -> Result<EventOutcome, PayloadRejection> {
        Result { () throws(PayloadRejection) in
            let inventory = scanner.field(event.inventory)
            if let type = scanner.field(event.eventType) {
                try EventField.requireString(type, at: location.path("eventType"))
                if EventField.text(type, equals: "overflow") { return .overflowWarning }
                guard EventField.text(type, equals: "tagInventory") else { return .ignored }
            } else if inventory == nil {
                guard event.overflowEvent < 0 else { return .overflowWarning }
                throw PayloadRejection(
                    reason: .missingField,
                    detail: "\(location.path("eventType")): missing, and no tagInventoryEvent or overflowEvent "
                        + "tells what the event is"
                )
            }
            guard let inventory else {
                throw PayloadRejection(
                    reason: .missingField,
                    detail: "\(location.path("tagInventoryEvent")): missing in an event of type tagInventory"
                )
            }
            try EventField.requireObject(inventory, at: location.path("tagInventoryEvent"))

            let epc: EPC
            if let hex = scanner.field(event.epcHex) {
                epc = try EventField.epc(hex: hex, at: location.path("tagInventoryEvent.epcHex"))
            } else if let base64 = scanner.field(event.epcBase64) {
                epc = try EventField.epc(base64: base64, at: location.path("tagInventoryEvent.epc"))
            } else {
                throw PayloadRejection(
                    reason: .missingField,
                    detail: "\(location.path("tagInventoryEvent")): no EPC, neither epcHex nor epc is present "
                        + "(enable one in the reader's eventConfig)"
                )
            }
            var antenna: UInt16 = 0
            if let value = scanner.field(event.antennaPort) {
                antenna = try EventField.integer(
                    value,
                    in: 0...UInt16.max,
                    at: location.path("tagInventoryEvent.antennaPort")
                )
            }
            var rssi: Int32?
            if let value = scanner.field(event.peakRssiCdbm) {
                rssi = try EventField.rssiCentiDbm(
                    centiDbm: value,
                    at: location.path("tagInventoryEvent.peakRssiCdbm")
                )
            }
            var time = message.arrival
            if let value = scanner.field(event.timestamp) {
                time = try EventField.time(rfc3339: value, at: location.path("timestamp"), arrival: message.arrival)
            } else if let value = scanner.field(event.lastSeenTime) {
                time = try EventField.time(
                    rfc3339: value,
                    at: location.path("tagInventoryEvent.lastSeenTime"),
                    arrival: message.arrival
                )
            }
            return message.read(time: time, epc: epc, antenna: antenna, rssi: rssi)
        }
    }
}

/// Where the members of one Impinj event that the format reads start (-1: absent or `null`).
private struct ImpinjEvent {
    var eventType = -1
    var timestamp = -1
    var overflowEvent = -1
    var inventory = -1
    var epcHex = -1
    var epcBase64 = -1
    var antennaPort = -1
    var peakRssiCdbm = -1
    var lastSeenTime = -1

    init() {}

    /// Scans the event object at the scanner, noting its members.
    init(_ scanner: inout JSONByteScanner) throws(JSONSyntaxError) {
        let opening = scanner.index
        guard try scanner.beginObject() else { return }
        repeat {
            try take(try scanner.memberName(), &scanner)
        } while try scanner.nextMember(openedAt: opening)
    }

    /// Takes one member of an event object (the scanner is after its name): notes where the
    /// members the format reads start and skips every value, looking into `tagInventoryEvent`.
    mutating func take(_ name: JSONByteScanner.MemberName, _ scanner: inout JSONByteScanner) throws(JSONSyntaxError) {
        if name.is("eventType", in: scanner) {
            try scanner.note(&eventType)
        } else if name.is("timestamp", in: scanner) {
            try scanner.note(&timestamp)
        } else if name.is("overflowEvent", in: scanner) {
            try scanner.note(&overflowEvent)
        } else if name.is("tagInventoryEvent", in: scanner) {
            // The last `tagInventoryEvent` counts, with only its own members.
            (epcHex, epcBase64, antennaPort, peakRssiCdbm, lastSeenTime) = (-1, -1, -1, -1, -1)
            inventory = try scanner.noteObject { inner, scanner throws(JSONSyntaxError) in
                if inner.is("epcHex", in: scanner) {
                    try scanner.note(&epcHex)
                } else if inner.is("epc", in: scanner) {
                    try scanner.note(&epcBase64)
                } else if inner.is("antennaPort", in: scanner) {
                    try scanner.note(&antennaPort)
                } else if inner.is("peakRssiCdbm", in: scanner) {
                    try scanner.note(&peakRssiCdbm)
                } else if inner.is("lastSeenTime", in: scanner) {
                    try scanner.note(&lastSeenTime)
                } else {
                    try scanner.skipValue()
                }
            }
        } else {
            try scanner.skipValue()
        }
    }
}

extension JSONByteScanner {
    /// Notes where the member value at the scanner starts (-1 for `null`) and skips it.
    @inline(__always)
    mutating func note(_ offset: inout Int) throws(JSONSyntaxError) {
        let value = try valueStart()
        offset = value.isNull ? -1 : value.offset
        try skipValue()
    }

    /// Where the member value at the scanner starts (-1 for `null`), like `note`; when it is an
    /// object, each of its members is handed to `take` (the scanner after the member's name).
    mutating func noteObject(
        _ take: (MemberName, inout JSONByteScanner) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) -> Int {
        let value = try valueStart()
        guard byte(at: value.offset) == UInt8(ascii: "{") else {
            try skipValue()
            return value.isNull ? -1 : value.offset
        }
        if try beginObject() {
            repeat {
                let name = try memberName()
                try take(name, &self)
            } while try nextMember(openedAt: value.offset)
        }
        return value.offset
    }
}
