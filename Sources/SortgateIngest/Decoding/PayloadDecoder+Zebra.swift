import SortgateCore
import SortgateConfig

/// The Zebra IoT Connector data interface (FX7500/FX9600/ATR7000).
///
/// A message is one event object or a JSON array of them. Events of `type` `SIMPLE` or
/// `CUSTOM` (in any case, or with no `type` but a `data` object) are tag reads; every other
/// type, such as `heartbeat`, is ignored and counted.
///
/// In `data`, only `idHex` is required (hex in either case). `antenna` defaults to 0;
/// `peakRssi` is whole dBm and becomes centi-dBm; `reads` (the reader's SEEN_COUNT since its
/// previous report) becomes the read count, default 1, and must be at least 1: a report of a
/// tag seen zero times contradicts itself, so the event is rejected as `wrong-type` rather
/// than counted as one read. `eventNum` becomes the vendor event number. Event time is the
/// top-level `timestamp` (Zebra's `+0200` offsets included), else the message's arrival.
extension PayloadDecoder {
    func decodeZebra(
        _ root: JSONValue,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(PayloadRejection) -> DecodeSummary {
        switch root {
        case .object:
            return try collect(CollectionOfOne(root), batched: false, into: &reads) {
                event,
                _ throws(PayloadRejection) in
                try zebraEvent(event, at: .single(.fieldPath), message: message)
            }
        case .array(let events):
            return try collect(events, batched: true, into: &reads) { event, index throws(PayloadRejection) in
                try zebraEvent(
                    event,
                    at: EventLocation(style: .fieldPath, container: "", index: index),
                    message: message
                )
            }
        default:
            throw EventField.wrongType("top level", expected: "a Zebra event object or an array of them", got: root)
        }
    }

    private func zebraEvent(
        _ event: JSONValue,
        at location: EventLocation,
        message: MessageStamp
    ) throws(PayloadRejection) -> EventOutcome {
        try EventField.requireObject(event, at: location.eventPath)
        let data = event.member("data")
        if let value = event.member("type") {
            let type = try EventField.string(value, at: location.path("type"))
            switch type.uppercased() {
            case "SIMPLE", "CUSTOM": break
            default: return .ignored
            }
        } else if data == nil {
            return .ignored
        }
        guard let data else {
            throw PayloadRejection(reason: .missingField, detail: "\(location.path("data")): missing in a tag event")
        }
        try EventField.requireObject(data, at: location.path("data"))

        guard let idHex = data.member("idHex") else {
            throw PayloadRejection(
                reason: .missingField,
                detail: "\(location.path("data.idHex")): missing (the tag's EPC)"
            )
        }
        let epc = try EventField.epc(hex: idHex, at: location.path("data.idHex"))
        var antenna: UInt16 = 0
        if let value = data.member("antenna") {
            antenna = try EventField.integer(value, in: 0...UInt16.max, at: location.path("data.antenna"))
        }
        var rssi: Int32?
        if let value = data.member("peakRssi") {
            rssi = try EventField.rssiCentiDbm(dBm: value, at: location.path("data.peakRssi"))
        }
        var readCount: UInt32 = 1
        if let value = data.member("reads") {
            readCount = try EventField.integer(value, in: 1...UInt32.max, at: location.path("data.reads"))
        }
        var eventNumber: UInt64?
        if let value = data.member("eventNum") {
            eventNumber = try EventField.integer(value, in: 0...UInt64.max, at: location.path("data.eventNum"))
        }
        var time = message.arrival
        if let value = event.member("timestamp") {
            time = try EventField.time(rfc3339: value, at: location.path("timestamp"), arrival: message.arrival)
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
