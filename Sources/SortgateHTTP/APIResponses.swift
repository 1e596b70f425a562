import Foundation
import Hummingbird
import SortgateStore

// The JSON bodies of the API. Rows of the database are served as the store reads them (their
// keys are the column names); these types only frame them. Optional values are written as
// explicit nulls, so every object of a kind has the same keys (`openapi.yaml` documents them).

/// One database row as the whole body.
struct RowResponse<Row: Encodable & Sendable>: ResponseEncodable {
    var row: Row

    func encode(to encoder: any Encoder) throws { try row.encode(to: encoder) }
}

struct HealthResponse: ResponseEncodable {
    var status = "ok"
}

struct ReadyResponse: ResponseEncodable {
    var ready: Bool
    var reasons: [String]
}

struct InventoryPage: ResponseEncodable {
    var items: [InventoryRecord]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

struct ZonesResponse: ResponseEncodable {
    struct Zone: Encodable {
        var zone: String
        var type: String
        var `class`: String?
        var present: Int
        var temperature: ReadingRecord?
        var activeAlerts: Int

        enum CodingKeys: String, CodingKey {
            case zone, type, `class`, present, temperature
            case activeAlerts = "active_alerts"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(zone, forKey: .zone)
            try container.encode(type, forKey: .type)
            try container.encode(`class`, forKey: .class)
            try container.encode(present, forKey: .present)
            try container.encode(temperature, forKey: .temperature)
            try container.encode(activeAlerts, forKey: .activeAlerts)
        }
    }
    var zones: [Zone]
}

struct ReadingsResponse: ResponseEncodable {
    var sensor: String
    /// The range, as RFC 3339; `to` is exclusive.
    var from: String
    var to: String
    /// Every reading, for ranges up to six hours (nil otherwise).
    var readings: [ReadingRecord]?
    /// Per-minute aggregates, for longer ranges or on request (nil otherwise).
    var perMinute: [MinuteRecord]?

    enum CodingKeys: String, CodingKey {
        case sensor, from, to, readings
        case perMinute = "per_minute"
    }
}

struct AlertsResponse: ResponseEncodable {
    var alerts: [AlertRecord]
}

struct TransportResponse: ResponseEncodable {
    var shipments: [ShipmentRecord]
    var containers: [TransportRecord]
    var anomalies: [TransportAnomalyRecord]
}

struct ContainerResponse: ResponseEncodable {
    var container: String
    var transport: TransportRecord?
    var movements: [MovementRecord]
    var readings: [ContainerReadingRecord]
    var alerts: [AlertRecord]
    var anomalies: [TransportAnomalyRecord]

    enum CodingKeys: String, CodingKey { case container, transport, movements, readings, alerts, anomalies }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(container, forKey: .container)
        try c.encode(transport, forKey: .transport)
        try c.encode(movements, forKey: .movements)
        try c.encode(readings, forKey: .readings)
        try c.encode(alerts, forKey: .alerts)
        try c.encode(anomalies, forKey: .anomalies)
    }
}

struct SourcesResponse: ResponseEncodable {
    struct Source: Encodable {
        var source: GatewaySnapshot.Source

        enum CodingKeys: String, CodingKey {
            case device, kind, broker, connected, messages, reads, rejected, dropped, modbus
            case lastMessage = "last_message"
        }
        enum ModbusKeys: String, CodingKey {
            case polls, failures
            case failedPolls = "failed_polls"
            case latePolls = "late_polls"
            case lastError = "last_error"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(source.device, forKey: .device)
            try c.encode(source.kind, forKey: .kind)
            try c.encode(source.broker, forKey: .broker)
            try c.encode(source.connected, forKey: .connected)
            try c.encode(source.lastMessage, forKey: .lastMessage)
            try c.encode(source.messages, forKey: .messages)
            try c.encode(source.reads, forKey: .reads)
            try c.encode(source.rejected, forKey: .rejected)
            try c.encode(source.dropped, forKey: .dropped)
            guard let modbus = source.modbus else {
                try c.encodeNil(forKey: .modbus)
                return
            }
            var m = c.nestedContainer(keyedBy: ModbusKeys.self, forKey: .modbus)
            try m.encode(modbus.polls, forKey: .polls)
            try m.encode(modbus.failedPolls, forKey: .failedPolls)
            try m.encode(modbus.latePolls, forKey: .latePolls)
            try m.encode(modbus.failures, forKey: .failures)
            try m.encode(modbus.lastError, forKey: .lastError)
        }
    }
    struct Broker: Encodable {
        var name: String
        var connected: Bool
        var subscribed: Bool
        var reconnects: UInt64
    }
    /// False for `sortgate serve`, which has no devices running: every count is then 0.
    var live: Bool
    var sources: [Source]
    var brokers: [Broker]
}
