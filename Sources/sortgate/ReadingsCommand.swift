import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate readings --config F [--sensor S] [--latest] [--format table|json|csv]`.
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

    @Option(name: .long, help: "table, json or csv.")
    var format: ListingFormat = .table

    func run() async throws {
        let site = try loadConfigOrExit(config)
        if let sensor, !site.devices.isEmpty, !site.devices.contains(where: { $0.id == sensor }) {
            printError("sortgate: no device '\(sensor)' in \(config)")
            throw ExitCode(2)
        }
        var rows = try await withFactReader(site) { [latest, sensor] in
            latest ? try await $0.latestReadings() : try await $0.readings(sensor: sensor)
        }
        if latest, let sensor { rows = rows.filter { $0.sensor == sensor } }
        try printListing(
            rows,
            columns: ["sensor", "zone", "at", "celsius"],
            cells: { [$0.sensor, $0.zone ?? "", $0.at, String(format: "%.2f", $0.celsius)] },
            format: format
        )
    }
}
