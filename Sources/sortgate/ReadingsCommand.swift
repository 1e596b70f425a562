import ArgumentParser
import Foundation
import SortgateDevices
import SortgateStore

/// `sortgate readings --config F [--sensor S] [--latest] [--format table|json|csv]`.
struct ReadingsCommand: ParsableCommand {
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

    func run() throws {
        let site = try loadConfigOrExit(config)
        if let sensor, !site.devices.contains(where: { $0.id == sensor }) {
            printError("sortgate: no device '\(sensor)' in \(config)")
            throw ExitCode(2)
        }
        guard case .sqlite(let path) = site.database else {
            printError("sortgate: only SQLite databases are supported by this build")
            throw ExitCode(2)
        }
        var rows: [ReadingRecord]
        do {
            let store = try SQLiteStore.openReadOnly(path: path)
            rows = latest ? try store.latestReadings() : try store.readings(sensor: sensor)
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        }
        if latest, let sensor { rows = rows.filter { $0.sensor == sensor } }
        let columns = ["sensor", "zone", "at", "celsius"]
        let cells = rows.map { [$0.sensor, $0.zone ?? "", $0.at, String(format: "%.2f", $0.celsius)] }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .csv:
            print(CSVTable(header: columns, rows: cells).text, terminator: "")
        case .table:
            print(TextTable(header: columns, rows: cells).text)
        }
    }
}
