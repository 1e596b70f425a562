import Foundation
import GRDB
import SortgateCore

/// The JSON a cold-chain monitor receives for each alert transition, on every route (MQTT topic,
/// webhook body). `id` is the alert's stable id: a redelivered notification carries the same id
/// and transition, so a receiver can drop duplicates.
///
/// ```json
/// {"id":"9F3C…","transition":"raised","kind":"excursion-high","subject":"sensor:coldroom-a-t1",
///  "sensor":"coldroom-a-t1","zone":"cold-room-a","class":"chilled","container":null,
///  "started_at":"…","confirmed_at":"…","cleared_at":null,"peak_celsius":11.0,"at":"…"}
/// ```
public struct AlertNotification: Codable, Sendable, Hashable {
    public var id: String
    public var transition: String
    public var kind: String
    public var subject: String
    public var sensor: String?
    public var zone: String?
    public var `class`: String?
    public var container: String?
    public var started_at: String
    public var confirmed_at: String
    public var cleared_at: String?
    public var peak_celsius: Double?
    /// When this transition happened (event time).
    public var at: String

    init(_ fact: AlertFact, subject: String, sensor: String?, zone: String?) {
        let event = fact.event
        id = event.id.fingerprintHex
        transition = event.transition.rawValue
        kind = event.kind.rawValue
        self.subject = subject
        self.sensor = sensor
        self.zone = zone
        self.class = fact.className
        container = fact.container?.hex
        started_at = event.startedAt.rfc3339
        confirmed_at = event.confirmedAt.rfc3339
        cleared_at = event.clearedAt?.rfc3339
        peak_celsius = event.peakCelsius
        at = event.at.rfc3339
    }

    public func encode(to encoder: any Encoder) throws {
        // Every key always present (null when absent), in a fixed order for readers and diffs.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(transition, forKey: .transition)
        try container.encode(kind, forKey: .kind)
        try container.encode(subject, forKey: .subject)
        try container.encode(sensor, forKey: .sensor)
        try container.encode(zone, forKey: .zone)
        try container.encode(`class`, forKey: .class)
        try container.encode(self.container, forKey: .container)
        try container.encode(started_at, forKey: .started_at)
        try container.encode(confirmed_at, forKey: .confirmed_at)
        try container.encode(cleared_at, forKey: .cleared_at)
        try container.encode(peak_celsius, forKey: .peak_celsius)
        try container.encode(at, forKey: .at)
    }

    /// The notification as compact JSON.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// One pending notification of the outbox.
public struct OutboxEntry: Sendable, Hashable {
    public var seq: Int64
    public var route: String
    public var alertID: String
    public var transition: String
    /// The JSON body (`AlertNotification`).
    public var payload: String
    public var attempts: Int
}

extension SQLiteStore {
    /// The oldest pending notifications of `route`, in order.
    public func pendingNotifications(route: String, limit: Int = 100) throws(SQLiteStoreError) -> [OutboxEntry] {
        try attempt("reading the alert outbox") {
            try reader.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seq, route, alert_id, transition, payload, attempts FROM alert_outbox
                        WHERE route = ? ORDER BY seq LIMIT ?
                        """,
                    arguments: [route, limit]
                ).map {
                    OutboxEntry(
                        seq: $0["seq"],
                        route: $0["route"],
                        alertID: $0["alert_id"],
                        transition: $0["transition"],
                        payload: $0["payload"],
                        attempts: $0["attempts"]
                    )
                }
            }
        }
    }

    /// How many notifications wait for each route (routes with none are absent).
    public func outboxDepth() throws(SQLiteStoreError) -> [String: Int] {
        try attempt("counting the alert outbox") {
            try reader.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT route, count(*) AS n FROM alert_outbox GROUP BY route")
                return Dictionary(uniqueKeysWithValues: rows.map { ($0["route"], $0["n"]) })
            }
        }
    }

    /// Removes a notification its route acknowledged.
    public func notificationDelivered(seq: Int64) throws(SQLiteStoreError) {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot update the outbox")
        }
        try attempt("removing a delivered notification") {
            try writer.write { db in try db.execute(sql: "DELETE FROM alert_outbox WHERE seq = ?", arguments: [seq]) }
        }
    }

    /// Counts a failed delivery attempt of a notification (it stays first in line).
    public func notificationFailed(seq: Int64) throws(SQLiteStoreError) {
        guard let writer else {
            throw SQLiteStoreError(kind: .readOnly, path: path, message: "opened read-only; cannot update the outbox")
        }
        try attempt("counting a failed delivery") {
            try writer.write { db in
                try db.execute(sql: "UPDATE alert_outbox SET attempts = attempts + 1 WHERE seq = ?", arguments: [seq])
            }
        }
    }
}
