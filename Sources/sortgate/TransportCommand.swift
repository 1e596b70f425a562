import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate transport --config F [--shipment S] [--status X] [--site S] [--format table|json|csv]`.
struct TransportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Where each shipment and container is in its journey, and what is wrong with it.",
        discussion: """
            The table shows the shipments (containers expected/received/sorted/loaded/departed), then \
            their containers (status, zone, destination, stage times, temperatures, anomalies), then \
            every anomaly with its time and detail. json gives the three lists; csv the containers. On a \
            hub each row says its site (a journey's is where it was seen last), and --site keeps one site's.
            """
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Only this shipment.")
    var shipment: String?

    @Option(
        name: .long,
        help: "Only containers with this status: expected, received, in-sort, sorted, loaded, departed."
    )
    var status: String?

    @OptionGroup var sites: SiteOption

    @Option(name: .long, help: "table, json or csv.")
    var format: ListingFormat = .table

    static let statuses = ["expected", "received", "in-sort", "sorted", "loaded", "departed"]

    func validate() throws {
        if let status, !Self.statuses.contains(status) {
            throw ValidationError("--status must be one of \(Self.statuses.joined(separator: ", ")), got '\(status)'")
        }
    }

    func run() async throws {
        let site = try loadConfigOrExit(config)
        let (shipments, known, containers, allAnomalies) = try await withFactReader(site) {
            [shipment, status, sites] database in
            let scope = try await sites.scope(site, database)
            return (
                try await database.shipments(shipment: shipment, site: scope),
                try await database.shipments(site: scope).map(\.shipment),
                try await database.transport(shipment: shipment, status: status, site: scope),
                try await database.transportAnomalies(shipment: shipment, site: scope)
            )
        }
        // On a hub every row begins with its site.
        func sited(_ header: [String]) -> [String] { site.isHub ? ["site"] + header : header }
        func sited(_ row: String?, _ cells: [String]) -> [String] { site.isHub ? [row ?? ""] + cells : cells }
        if let shipment, shipments.isEmpty {
            let near = known.min { editDistance($0, shipment) < editDistance($1, shipment) }
            printError(
                "sortgate: no shipment '\(shipment)' in the database"
                    + (near.map { "; did you mean '\($0)'?" } ?? (known.isEmpty ? "; import a manifest first" : ""))
            )
            throw ExitCode(1)
        }
        let anomalies = allAnomalies.filter { anomaly in
            status == nil || containers.contains { $0.container == anomaly.container }
        }
        let columns = [
            "container", "uri", "shipment", "status", "zone", "destination", "received_at", "sorted_at", "loaded_at",
            "departed_at", "min_celsius", "max_celsius", "minutes_out_of_range", "items", "anomalies",
        ]
        func celsius(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "" }
        func cells(_ row: TransportRecord) -> [String] {
            [
                row.container, row.uri ?? "", row.shipment ?? "", row.status, row.zone ?? "", row.destination ?? "",
                row.receivedAt ?? "", row.sortedAt ?? "", row.loadedAt ?? "", row.departedAt ?? "",
                celsius(row.minCelsius), celsius(row.maxCelsius),
                row.minutesOutOfRange.map { String(format: "%.1f", $0) } ?? "", "\(row.items)", row.anomalies,
            ]
        }
        switch format {
        case .csv:
            let rows = containers.map { sited($0.site, cells($0)) }
            print(CSVTable(header: sited(columns), rows: rows).text, terminator: "")
        case .json:
            struct Listing: Encodable {
                var shipments: [ShipmentRecord]
                var containers: [TransportRecord]
                var anomalies: [TransportAnomalyRecord]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let listing = Listing(shipments: shipments, containers: containers, anomalies: anomalies)
            print(String(decoding: try encoder.encode(listing), as: UTF8.self))
        case .table:
            if !shipments.isEmpty {
                print(
                    TextTable(
                        header: sited([
                            "shipment", "status", "destination", "class", "expected_by", "expected", "received",
                            "sorted", "loaded", "departed", "anomalies",
                        ]),
                        rows: shipments.map {
                            sited($0.site, [
                                $0.shipment, $0.status, $0.destination ?? "", $0.temperatureClass ?? "",
                                $0.expectedBy ?? "", "\($0.containersExpected)", "\($0.containersReceived)",
                                "\($0.containersSorted)", "\($0.containersLoaded)", "\($0.containersDeparted)",
                                "\($0.anomalies)",
                            ])
                        }
                    ).text
                )
                print()
            }
            print(
                TextTable(
                    header: sited([
                        "container", "shipment", "status", "zone", "destination", "received", "sorted", "loaded",
                        "departed", "°C min", "°C max", "min out", "anomalies",
                    ]),
                    rows: containers.map {
                        sited($0.site, [
                            $0.uri ?? $0.container, $0.shipment ?? "-", $0.status, $0.zone ?? "", $0.destination ?? "",
                            clock($0.receivedAt), clock($0.sortedAt), clock($0.loadedAt), clock($0.departedAt),
                            celsius($0.minCelsius), celsius($0.maxCelsius),
                            $0.minutesOutOfRange.map { String(format: "%.1f", $0) } ?? "", $0.anomalies,
                        ])
                    }
                ).text
            )
            let wrong = containers.filter { !$0.anomalies.isEmpty }.count
            print("\(containers.count) container(s), \(wrong) with anomalies")
            if !anomalies.isEmpty {
                print()
                print(
                    TextTable(
                        header: sited(["at", "container", "anomaly", "zone", "detail"]),
                        rows: anomalies.map {
                            sited($0.site, [$0.at, $0.container, $0.kind, $0.zone ?? "", $0.detail])
                        }
                    ).text
                )
            }
        }
    }

    /// The time of day of an RFC 3339 time (`08:01:02`), for a narrow table.
    private func clock(_ time: String?) -> String {
        guard let time, let t = time.firstIndex(of: "T") else { return "" }
        return String(time[time.index(after: t)...].prefix(8))
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
