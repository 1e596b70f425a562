import Foundation
import GRDB

/// One row of `alerts`, as stored.
public struct AlertRecord: Codable, Sendable, Hashable {
    public var id: String
    public var kind: String
    public var subject: String
    public var sensor: String?
    public var zone: String?
    public var `class`: String?
    public var container: String?
    public var startedAt: String
    public var confirmedAt: String
    public var clearedAt: String?
    public var peakCelsius: Double?
    public var status: String
    public var acknowledgedAt: String?
    /// The site the row came from: set on a hub's PostgreSQL only (a site's database holds one).
    public var site: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, subject, sensor, zone, `class`, container, status, site
        case startedAt = "started_at"
        case confirmedAt = "confirmed_at"
        case clearedAt = "cleared_at"
        case peakCelsius = "peak_celsius"
        case acknowledgedAt = "acknowledged_at"
    }

    public func encode(to encoder: any Encoder) throws {
        // Absent values as explicit nulls, so every JSON object has the same keys.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(subject, forKey: .subject)
        try container.encode(sensor, forKey: .sensor)
        try container.encode(zone, forKey: .zone)
        try container.encode(`class`, forKey: .class)
        try container.encode(self.container, forKey: .container)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(confirmedAt, forKey: .confirmedAt)
        try container.encode(clearedAt, forKey: .clearedAt)
        try container.encode(peakCelsius, forKey: .peakCelsius)
        try container.encode(status, forKey: .status)
        try container.encode(acknowledgedAt, forKey: .acknowledgedAt)
        try container.encodeIfPresent(site, forKey: .site)
    }
}

extension SQLiteStore {
    /// Alerts in order of confirmation; only those not cleared nor acknowledged when `activeOnly`.
    public func alerts(activeOnly: Bool = false, unclearedOnly: Bool = false) throws(SQLiteStoreError) -> [AlertRecord] {
        try rows(FactQueries.alerts(activeOnly: activeOnly, unclearedOnly: unclearedOnly)).map(AlertRecord.init(row:))
    }

    /// The alert `id`; nil when there is none.
    public func alert(id: String) throws(SQLiteStoreError) -> AlertRecord? {
        try rows(FactQueries.alert(id: id)).first.map(AlertRecord.init(row:))
    }

    /// Marks an alert acknowledged by an operator at `time`; false when there is no such alert.
    ///
    /// With `shipsToCentral` the alert's key goes into the central outbox in the same transaction,
    /// so the hub sees the acknowledgement with the next shipment, not only with the alert's next
    /// transition.
    public func acknowledgeAlert(id: String, at time: String) throws(SQLiteStoreError) -> Bool {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot acknowledge")
        }
        return try attempt("acknowledging alert \(id)") {
            try writer.write { db in
                try db.execute(
                    sql: "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ? WHERE id = ?",
                    arguments: [time, id]
                )
                guard db.changesCount > 0 else { return false }
                if shipsToCentral {
                    try recordCentralChange(CentralChange(alerts: [id], rows: 1), db)
                }
                return true
            }
        }
    }
}
