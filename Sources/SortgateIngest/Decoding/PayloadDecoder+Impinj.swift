import SortgateCore
import SortgateConfig

/// The Impinj IoT Device Interface (R700/R720).
///
/// A message is one event object, or the HTTP/webhook batch `{"events":[…]}`; a top-level
/// array of events is accepted too, since bridges that re-publish webhook batches send that.
/// An event is a tag read when its `eventType` is `tagInventory`, or when it has no
/// `eventType` but a `tagInventoryEvent` (the minimal form). Every other event type
/// (`antennaConnected`, `inventoryStatus`, `diagnostic`, `tagLocationEntry`, types added by
/// later firmware, …) is ignored and counted, and `overflow` is also counted as a warning.
///
/// In a `tagInventoryEvent` only the EPC is required: `epcHex`, else the base64 `epc` (the
/// reader's `eventConfig` may turn either off). `antennaPort` defaults to 0 and
/// `peakRssiCdbm` is centi-dBm already. Event time is the event's `timestamp`, else the tag's
/// `lastSeenTime`, else the message's arrival. An explicit `null` counts as absent.
extension PayloadDecoder {
    func decodeImpinj(
        _ root: JSONValue,
        message: MessageStamp,
        into reads: inout [TagRead]
    ) throws(PayloadRejection) -> DecodeSummary {
        switch root {
        case .object:
            guard let batch = root.member("events") else {
                return try collect(CollectionOfOne(root), batched: false, into: &reads) {
                    event,
                    _ throws(PayloadRejection) in
                    try impinjEvent(event, at: .single(.fieldPath), message: message)
                }
            }
            guard case .array(let events) = batch else {
                throw EventField.wrongType("events", expected: "an array of events", got: batch)
            }
            return try collect(events, batched: true, into: &reads) { event, index throws(PayloadRejection) in
                try impinjEvent(
                    event,
                    at: EventLocation(style: .fieldPath, container: "events", index: index),
                    message: message
                )
            }
        case .array(let events):
            return try collect(events, batched: true, into: &reads) { event, index throws(PayloadRejection) in
                try impinjEvent(
                    event,
                    at: EventLocation(style: .fieldPath, container: "", index: index),
                    message: message
                )
            }
        default:
            throw EventField.wrongType(
                "top level",
                expected: "an Impinj event object or {\"events\":[…]}",
                got: root
            )
        }
    }

    private func impinjEvent(
        _ event: JSONValue,
        at location: EventLocation,
        message: MessageStamp
    ) throws(PayloadRejection) -> EventOutcome {
        try EventField.requireObject(event, at: location.eventPath)
        var eventType: String?
        if let value = event.member("eventType") {
            eventType = try EventField.string(value, at: location.path("eventType"))
        }
        let inventory = event.member("tagInventoryEvent")
        switch eventType {
        case "tagInventory":
            break
        case nil where inventory != nil:
            break
        case "overflow":
            return .overflowWarning
        case nil where event.member("overflowEvent") != nil:
            return .overflowWarning
        default:
            return .ignored
        }
        guard let inventory else {
            throw PayloadRejection(
                reason: .missingField,
                detail: "\(location.path("tagInventoryEvent")): missing in an event of type tagInventory"
            )
        }
        try EventField.requireObject(inventory, at: location.path("tagInventoryEvent"))

        let epc: EPC
        if let hex = inventory.member("epcHex") {
            epc = try EventField.epc(hex: hex, at: location.path("tagInventoryEvent.epcHex"))
        } else if let base64 = inventory.member("epc") {
            epc = try EventField.epc(base64: base64, at: location.path("tagInventoryEvent.epc"))
        } else {
            throw PayloadRejection(
                reason: .missingField,
                detail: "\(location.path("tagInventoryEvent")): no EPC, neither epcHex nor epc is present "
                    + "(enable one in the reader's eventConfig)"
            )
        }

        var antenna: UInt16 = 0
        if let value = inventory.member("antennaPort") {
            antenna = try EventField.integer(
                value,
                in: 0...UInt16.max,
                at: location.path("tagInventoryEvent.antennaPort")
            )
        }
        var rssi: Int32?
        if let value = inventory.member("peakRssiCdbm") {
            rssi = try EventField.rssiCentiDbm(centiDbm: value, at: location.path("tagInventoryEvent.peakRssiCdbm"))
        }
        let time: EventTime
        if let value = event.member("timestamp") {
            time = try EventField.time(rfc3339: value, at: location.path("timestamp"), arrival: message.arrival)
        } else if let value = inventory.member("lastSeenTime") {
            time = try EventField.time(
                rfc3339: value,
                at: location.path("tagInventoryEvent.lastSeenTime"),
                arrival: message.arrival
            )
        } else {
            time = message.arrival
        }
        return .read(
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
    }
}
