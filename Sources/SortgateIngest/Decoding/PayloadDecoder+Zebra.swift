import SortgateCore
import SortgateConfig

/// The Zebra IoT Connector data interface (FX7500/FX9600/ATR7000).
///
/// A message is one event object or a JSON array of them. Events of `type` `SIMPLE` or
/// `CUSTOM` (in any case, or with no `type` but a `data` object) are tag reads; every other
/// type, such as `heartbeat`, is ignored and counted. An event with neither `type` nor `data`
/// (`{}`) says nothing a reader could have meant, so it is rejected as `missing-field`, and so
/// is an empty array.
///
/// In `data`, only `idHex` is required (hex in either case). `antenna` defaults to 0;
/// `peakRssi` is whole dBm and becomes centi-dBm; `reads` (the reader's SEEN_COUNT since its
/// previous report) becomes the read count, default 1, and must be at least 1: a report of a
/// tag seen zero times contradicts itself, so the event is rejected as `wrong-type` rather
/// than counted as one read. `eventNum` becomes the vendor event number. Event time is the
/// top-level `timestamp` (Zebra's `+0200` offsets included), else the message's arrival. An
/// explicit `null` counts as absent, and of a member given twice the last one counts.
///
/// The message is read in one walk, as the Impinj format is.
extension PayloadDecoder {
    func decodeZebra(
        _ scanner: inout JSONByteScanner,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(JSONSyntaxError) -> Result<DecodeSummary, PayloadRejection> {
        var summary = DecodeSummary()
        let root = try scanner.valueStart().offset
        switch scanner.byte(at: root) {
        case UInt8(ascii: "{"):
            let event = try ZebraEvent(&scanner)
            try scanner.finishText()
            record(zebraEvent(event, scanner, at: .single(.fieldPath), message: message), into: &reads, &summary, eventIndex: nil)
            return finish(summary)
        case UInt8(ascii: "["):
            try decodeEventArray(&scanner, container: "", into: &reads, &summary) {
                scanner, location throws(JSONSyntaxError) in
                zebraEvent(try ZebraEvent(&scanner), scanner, at: location, message: message)
            }
            try scanner.finishText()
            return finish(summary, emptyBatch: "top level")
        default:
            try scanner.skipValue()
            try scanner.finishText()
            return .failure(
                EventField.wrongType(
                    "top level",
                    expected: "a Zebra event object or an array of them",
                    got: JSONField(scanner: scanner, offset: root)
                )
            )
        }
    }

    /// Decodes one event from its located members.
    private func zebraEvent(
        _ event: ZebraEvent,
        _ scanner: JSONByteScanner,
        at location: EventLocation,
        message: MessageStamp
    ) -> Result<EventOutcome, PayloadRejection> {
        Result { () throws(PayloadRejection) in
            let data = scanner.field(event.data)
            if let type = scanner.field(event.type) {
                try EventField.requireString(type, at: location.path("type"))
                guard EventField.text(type, uppercasedEquals: "SIMPLE") || EventField.text(type, uppercasedEquals: "CUSTOM")
                else { return .ignored }
            } else if data == nil {
                throw PayloadRejection(
                    reason: .missingField,
                    detail: "\(location.path("type")): missing, and no data to read a tag from"
                )
            }
            guard let data else {
                throw PayloadRejection(reason: .missingField, detail: "\(location.path("data")): missing in a tag event")
            }
            try EventField.requireObject(data, at: location.path("data"))

            guard let idHex = scanner.field(event.idHex) else {
                throw PayloadRejection(
                    reason: .missingField,
                    detail: "\(location.path("data.idHex")): missing (the tag's EPC)"
                )
            }
            let epc = try EventField.epc(hex: idHex, at: location.path("data.idHex"))
            var antenna: UInt16 = 0
            if let value = scanner.field(event.antenna) {
                antenna = try EventField.integer(value, in: 0...UInt16.max, at: location.path("data.antenna"))
            }
            var rssi: Int32?
            if let value = scanner.field(event.peakRssi) {
                rssi = try EventField.rssiCentiDbm(dBm: value, at: location.path("data.peakRssi"))
            }
            var readCount: UInt32 = 1
            if let value = scanner.field(event.reads) {
                readCount = try EventField.integer(value, in: 1...UInt32.max, at: location.path("data.reads"))
            }
            var eventNumber: UInt64?
            if let value = scanner.field(event.eventNumber) {
                eventNumber = try EventField.integer(value, in: 0...UInt64.max, at: location.path("data.eventNum"))
            }
            var time = message.arrival
            if let value = scanner.field(event.timestamp) {
                time = try EventField.time(rfc3339: value, at: location.path("timestamp"), arrival: message.arrival)
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

/// Where the members of one Zebra event that the format reads start (-1: absent or `null`).
private struct ZebraEvent {
    var type = -1
    var timestamp = -1
    var data = -1
    var idHex = -1
    var antenna = -1
    var peakRssi = -1
    var reads = -1
    var eventNumber = -1

    /// Scans the event object at the scanner, noting its members.
    init(_ scanner: inout JSONByteScanner) throws(JSONSyntaxError) {
        let opening = scanner.index
        guard try scanner.beginObject() else { return }
        repeat {
            let name = try scanner.memberName()
            if name.is("type", in: scanner) {
                try scanner.note(&type)
            } else if name.is("timestamp", in: scanner) {
                try scanner.note(&timestamp)
            } else if name.is("data", in: scanner) {
                // The last `data` counts, with only its own members.
                (idHex, antenna, peakRssi, reads, eventNumber) = (-1, -1, -1, -1, -1)
                data = try scanner.noteObject { inner, scanner throws(JSONSyntaxError) in
                    if inner.is("idHex", in: scanner) {
                        try scanner.note(&idHex)
                    } else if inner.is("antenna", in: scanner) {
                        try scanner.note(&antenna)
                    } else if inner.is("peakRssi", in: scanner) {
                        try scanner.note(&peakRssi)
                    } else if inner.is("reads", in: scanner) {
                        try scanner.note(&reads)
                    } else if inner.is("eventNum", in: scanner) {
                        try scanner.note(&eventNumber)
                    } else {
                        try scanner.skipValue()
                    }
                }
            } else {
                try scanner.skipValue()
            }
        } while try scanner.nextMember(openedAt: opening)
    }
}
