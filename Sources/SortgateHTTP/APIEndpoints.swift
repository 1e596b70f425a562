import Foundation
import Hummingbird
import Logging
import SortgateConfig
import SortgateCore
import SortgateStore

/// Marks an alert acknowledged at a time (RFC 3339); false when there is no such alert. The one
/// write of the API: `sortgate run` passes its own store's, so it queues behind the pipeline's
/// commits like any write; `sortgate serve` opens the file for writing for it.
public typealias AlertAcknowledger = @Sendable (_ id: String, _ time: String) throws -> Bool

/// The JSON endpoints under `/api`, `/health` and `/ready`. Every read goes through `database`,
/// a read-only connection pool, on NIO's blocking thread pool (SQLite calls block; the Swift
/// cooperative pool must never wait on them).
struct APIEndpoints: Sendable {
    let site: SiteConfig
    let database: SQLiteStore
    let gateway: (any GatewayStatus)?
    let feed: LiveFeed
    let acknowledge: AlertAcknowledger?
    let workers: APIWorkers
    let logger: Logger

    /// Ranges longer than this are answered with per-minute aggregates.
    static let fullResolutionLimit: Duration = .seconds(6 * 3600)
    static let defaultPageSize = 100
    static let maximumPageSize = 1000

    /// The routes. Each body is read and encoded on the API's workers (`APIWorkers`), below
    /// ingestion's priority and off the cooperative pool.
    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("health") { _, _ in HealthResponse() }
        router.get("ready") { _, context in try await ready(context) }
        let api = router.group("api")
        api.get("inventory") { request, _ in try await workers.json(inventory(request)) }
        api.get("zones") { _, _ in try await workers.json(zones()) }
        api.get("sensors/:sensor/readings") { request, context in
            try await workers.json(readings(sensor: context.parameters.require("sensor"), request))
        }
        api.get("alerts") { request, _ in
            let active = request.uri.queryParameters["active"].map { $0 == "true" } ?? false
            let uncleared = request.uri.queryParameters["uncleared"].map { $0 == "true" } ?? false
            return try await workers.json(
                AlertsResponse(alerts: try await read { try database.alerts(activeOnly: active, unclearedOnly: uncleared) })
            )
        }
        api.post("alerts/:id/ack") { _, context in
            try await acknowledge(id: context.parameters.require("id"), context)
        }
        api.get("transport") { request, _ in try await workers.json(transport(request)) }
        api.get("containers/:epc") { _, context in
            try await workers.json(container(epc: context.parameters.require("epc").uppercased()))
        }
        api.get("sources") { _, _ in sources() }
    }

    /// Runs a blocking read of the database on the API's workers.
    func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await workers.run(body)
        } catch let error as SQLiteStoreError {
            logger.error("database read failed: \(error)")
            throw APIError(status: .internalServerError, message: "\(error)")
        }
    }

    // MARK: - Health

    func ready(_ context: APIRequestContext) async throws -> EditedResponse<ReadyResponse> {
        var reasons = gateway?.snapshot().notReadyReasons ?? []
        do {
            _ = try await read { try database.quarantineCount() }
        } catch {
            reasons.insert("database \(database.path) cannot be read: \(error)", at: 0)
        }
        return EditedResponse(
            status: reasons.isEmpty ? .ok : .serviceUnavailable,
            response: ReadyResponse(ready: reasons.isEmpty, reasons: reasons)
        )
    }

    // MARK: - Inventory and zones

    func inventory(_ request: Request) async throws -> InventoryPage {
        let parameters = request.uri.queryParameters
        var query = InventoryQuery(
            zone: parameters["zone"].map(String.init),
            status: parameters["status"].map(String.init),
            scheme: parameters["scheme"].map(String.init)
        )
        if let status = query.status, status != "present", status != "departed" {
            throw APIError.badRequest("status must be present or departed, got '\(status)'")
        }
        var limit = Self.defaultPageSize
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...Self.maximumPageSize).contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumPageSize), got '\(text)'")
            }
            limit = value
        }
        if let cursor = parameters["cursor"] {
            guard let position = InventoryCursor.decode(String(cursor)) else {
                throw APIError.badRequest("cursor '\(cursor)' is not one this API returned")
            }
            query.after = position
        }
        // One row more than the page tells whether another page follows.
        query.limit = limit + 1
        let fetched = query
        var rows = try await read { try database.inventory(fetched) }
        var next: String?
        if rows.count > limit {
            rows.removeLast(rows.count - limit)
            next = rows.last.map { InventoryCursor.encode(InventoryQuery.Position(zone: $0.zone, epc: $0.epc)) }
        }
        return InventoryPage(items: rows, nextCursor: next)
    }

    func zones() async throws -> ZonesResponse {
        let (present, latest, active) = try await read {
            (try database.presentCounts(), try database.latestReadings(), try database.alerts(activeOnly: true))
        }
        return ZonesResponse(
            zones: site.zones.map { zone in
                ZonesResponse.Zone(
                    zone: zone.name,
                    type: zone.type.rawValue,
                    class: zone.temperatureClass,
                    present: present[zone.name] ?? 0,
                    // The newest reading of any sensor in the zone.
                    temperature: latest.filter { $0.zone == zone.name }.max { $0.at < $1.at },
                    activeAlerts: active.filter { $0.zone == zone.name }.count
                )
            }
        )
    }

    // MARK: - Readings

    func readings(sensor: String, _ request: Request) async throws -> ReadingsResponse {
        let parameters = request.uri.queryParameters
        func time(_ name: String) throws -> EventTime? {
            guard let text = parameters[Substring(name)] else { return nil }
            do {
                return try EventTime(rfc3339: String(text))
            } catch {
                throw APIError.badRequest("\(name): \(error)")
            }
        }
        var from = try time("from")
        var to = try time("to")
        if from == nil || to == nil {
            // Without a range: the hour up to the sensor's latest reading (a replayed database
            // has nothing near the wall clock).
            let latest = try await read { try database.latestReadings() }.first { $0.sensor == sensor }
            guard let latest, let latestTime = try? EventTime(rfc3339: latest.at) else {
                throw APIError.notFound("no readings of sensor '\(sensor)'")
            }
            to = to ?? latestTime + .nanoseconds(1)
            from = from ?? to! - .seconds(3600)
        }
        guard let from, let to, from < to else { throw APIError.badRequest("from must be before to") }
        let perMinute =
            parameters["per_minute"].map(String.init) == "true" || to - from > Self.fullResolutionLimit
        if perMinute {
            let minutes = try await read { try database.readingMinutes(sensor: sensor, from: from, to: to) }
            return ReadingsResponse(sensor: sensor, from: from.rfc3339, to: to.rfc3339, perMinute: minutes)
        }
        let rows = try await read { try database.readings(sensor: sensor, from: from, to: to) }
        return ReadingsResponse(sensor: sensor, from: from.rfc3339, to: to.rfc3339, readings: rows)
    }

    // MARK: - Alerts

    func acknowledge(id: String, _ context: APIRequestContext) async throws -> RowResponse<AlertRecord> {
        guard let acknowledge else {
            throw APIError(status: .serviceUnavailable, message: "this server cannot write to the database")
        }
        let time = EventTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)).rfc3339
        let found = try await read { try acknowledge(id, time) }
        guard found, let alert = try await read({ try database.alert(id: id) }) else {
            throw APIError.notFound("no alert '\(id)'")
        }
        logger.notice(
            "alert acknowledged over HTTP",
            metadata: ["alert": "\(id)", "client": "\(context.clientAddress)", "kind": "\(alert.kind)"]
        )
        feed.publish { [.alert(id: id)] }
        return RowResponse(row: alert)
    }

    // MARK: - Transport

    func transport(_ request: Request) async throws -> TransportResponse {
        let parameters = request.uri.queryParameters
        let shipment = parameters["shipment"].map(String.init)
        let status = parameters["status"].map(String.init)
        return try await read {
            TransportResponse(
                shipments: try database.shipments(shipment: shipment),
                containers: try database.transport(shipment: shipment, status: status),
                anomalies: try database.transportAnomalies(shipment: shipment)
            )
        }
    }

    func container(epc: String) async throws -> ContainerResponse {
        let response = try await read {
            ContainerResponse(
                container: epc,
                transport: try database.transport().first { $0.container == epc },
                movements: try database.movements(epc: epc),
                readings: try database.containerReadings(container: epc),
                alerts: try database.alerts().filter { $0.container == epc },
                anomalies: try database.transportAnomalies().filter { $0.container == epc }
            )
        }
        guard response.transport != nil || !response.movements.isEmpty else {
            throw APIError.notFound("no container '\(epc)' in the database")
        }
        return response
    }

    // MARK: - Sources

    func sources() -> SourcesResponse {
        guard let snapshot = gateway?.snapshot() else {
            // `sortgate serve`: the site's devices, none of them running.
            return SourcesResponse(
                live: false,
                sources: site.devices.map { device in
                    var source = GatewaySnapshot.Source(device: device.id, kind: "mqtt", connected: false)
                    if case .mqtt(let mqtt) = device.connection {
                        source.broker = mqtt.broker
                    } else {
                        source.kind = "modbus"
                    }
                    return .init(source: source)
                },
                brokers: []
            )
        }
        return SourcesResponse(
            live: true,
            sources: snapshot.sources.map { .init(source: $0) },
            brokers: snapshot.brokers.map {
                .init(name: $0.name, connected: $0.connected, subscribed: $0.subscribed, reconnects: $0.reconnects)
            }
        )
    }
}

/// The inventory's page cursor: the last row's (zone, EPC), as URL-safe base64 of a JSON pair.
enum InventoryCursor {
    static func encode(_ position: InventoryQuery.Position) -> String {
        let data = (try? JSONEncoder().encode([position.zone, position.epc])) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> InventoryQuery.Position? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let pair = try? JSONDecoder().decode([String].self, from: data), pair.count == 2
        else { return nil }
        return InventoryQuery.Position(zone: pair[0], epc: pair[1])
    }
}
