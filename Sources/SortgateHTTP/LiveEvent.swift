public import SortgateCore

/// One thing the live stream (`/api/stream`) tells its clients, from a committed batch or an ack.
public enum LiveEvent: Sendable, Hashable {
    /// An arrival, move or departure. `zone` is where the EPC is now (nil after a departure),
    /// `fromZone` where it was (nil for an arrival).
    case fact(kind: String, epc: String, zone: String?, fromZone: String?, time: String)
    /// A temperature reading.
    case reading(sensor: String, zone: String?, celsius: Double, time: String)
    /// An alert was raised, cleared or acknowledged; the stream sends the alert as stored.
    case alert(id: String)

    /// The events of a committed batch, in its order: movements, then readings, then alert
    /// transitions. Zone and source ids are named with the site's `zoneNames` and `sourceNames`
    /// (indexed by `ZoneID.index` / `SourceID.index`, as the store names them).
    public static func events(of batch: FactBatch, zoneNames: [String], sourceNames: [String]) -> [LiveEvent] {
        func zone(_ id: ZoneID?) -> String? {
            guard let id, id.index < zoneNames.count else { return nil }
            return zoneNames[id.index]
        }
        var events: [LiveEvent] = []
        events.reserveCapacity(batch.movements.count + batch.readings.count + batch.alerts.count)
        for movement in batch.movements {
            events.append(
                .fact(
                    kind: movement.kind.rawValue,
                    epc: movement.epc.hex,
                    zone: zone(movement.to),
                    fromZone: zone(movement.from),
                    time: movement.at.rfc3339
                )
            )
        }
        for reading in batch.readings where reading.sensor.index < sourceNames.count {
            events.append(
                .reading(
                    sensor: sourceNames[reading.sensor.index],
                    zone: zone(reading.zone),
                    celsius: reading.celsius,
                    time: reading.at.rfc3339
                )
            )
        }
        for alert in batch.alerts { events.append(.alert(id: alert.event.id.fingerprintHex)) }
        return events
    }
}
