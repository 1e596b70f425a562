public import SortgateCore

extension SQLiteStore {
    /// The journeys of containers that were seen, as pipeline state, so a restarted gateway keeps
    /// their stages, stage times and past anomalies (`dwell`, `temperature`,
    /// `left-without-loading`; the others are derived again from the manifest).
    ///
    /// Rows never seen (only `expected`), or whose EPC or times cannot be parsed, are skipped;
    /// a zone no longer in `zoneNames` is dropped from the journey.
    public func transportJourneys(zoneNames: [String]) throws(SQLiteStoreError) -> [TransportJourney] {
        var zoneIDs: [String: ZoneID] = [:]
        for (index, name) in zoneNames.enumerated() { zoneIDs[name] = ZoneID(index) }
        let anomalies = Dictionary(grouping: try transportAnomalies(), by: \.container)
        func time(_ text: String?) -> EventTime? { text.flatMap { try? EventTime(rfc3339: $0) } }
        return try transport().compactMap { row -> TransportJourney? in
            guard let epc = try? EPC(hex: row.container), let status = TransportStage(rawValue: row.status),
                let received = time(row.receivedAt)
            else { return nil }
            let recorded = (anomalies[row.container] ?? []).compactMap { record -> TransportAnomaly? in
                guard let kind = TransportAnomalyKind(rawValue: record.kind),
                    [.dwell, .temperature, .leftWithoutLoading].contains(kind), let at = time(record.at)
                else { return nil }
                return TransportAnomaly(kind: kind, at: at, zone: record.zone.flatMap { zoneIDs[$0] })
            }
            return TransportJourney(
                container: epc,
                manifest: nil,
                status: status,
                zone: row.zone.flatMap { zoneIDs[$0] },
                zoneSince: time(row.zoneSince),
                receivedAt: received,
                sortedAt: time(row.sortedAt),
                sortedTo: row.sortedTo.flatMap { zoneIDs[$0] },
                loadedAt: time(row.loadedAt),
                departedAt: time(row.departedAt),
                anomalies: recorded
            )
        }
    }
}
