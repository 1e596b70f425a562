import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate readings --config F [--sensor S] [--latest] [--site S] [--format table|json|csv]`.
struct ReadingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readings",
        abstract: "Show temperature readings (°C): a sensor's history, or the latest of every sensor."
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Only this sensor (device id).")
    var sensor: String?

    @Flag(name: .long, help: "Only the latest reading of each sensor.")
    var latest = false

    @OptionGroup var sites: SiteOption

    @Option(name: .long, help: "table, json or csv.")
    var format: ListingFormat = .table

    func run() async throws {
        let site = try loadConfigOrExit(config)
        if let sensor, !site.devices.isEmpty, !site.devices.contains(where: { $0.id == sensor }) {
            printError("sortgate: no device '\(sensor)' in \(config)")
            throw ExitCode(2)
        }
        var rows = try await withFactReader(site) { [latest, sensor, sites] database in
            let scope = try await sites.scope(site, database)
            if let sensor { try await sites.requireOneSite(sensor: sensor, site, database) }
            return latest
                ? try await database.latestReadings(site: scope)
                : try await database.readings(sensor: sensor, site: scope)
        }
        if latest, let sensor { rows = rows.filter { $0.sensor == sensor } }
        try printListing(
            rows,
            columns: ["sensor", "zone", "at", "celsius"],
            cells: { [$0.sensor, $0.zone ?? "", $0.at, String(format: "%.2f", $0.celsius)] },
            format: format,
            site: site.isHub ? \.site : nil
        )
    }
}
