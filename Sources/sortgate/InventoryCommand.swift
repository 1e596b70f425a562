import ArgumentParser
import Foundation
import SortgateDevices
import SortgateStore

/// Output formats of the listing commands.
enum ListingFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `sortgate inventory --config F [--zone Z] [--format table|json|csv]`.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show the current inventory: which tagged object is where, since when."
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Only this zone.")
    var zone: String?

    @Option(name: .long, help: "table, json or csv.")
    var format: ListingFormat = .table

    func run() throws {
        let site = try loadConfigOrExit(config)
        if let zone, !site.zones.contains(where: { $0.name == zone }) {
            printError(
                "sortgate: no zone '\(zone)' in \(config); zones: "
                    + site.zones.map(\.name).joined(separator: ", ")
            )
            throw ExitCode(2)
        }
        guard case .sqlite(let path) = site.database else {
            printError("sortgate: only SQLite databases are supported by this build")
            throw ExitCode(2)
        }
        let rows: [InventoryRecord]
        do {
            rows = try SQLiteStore.openReadOnly(path: path).inventory(zone: zone)
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        }
        let columns = ["epc", "scheme", "uri", "zone", "status", "first_seen", "zone_since", "last_seen", "reads"]
        let cells = rows.map {
            [$0.epc, $0.scheme, $0.uri ?? "", $0.zone, $0.status, $0.firstSeen, $0.zoneSince, $0.lastSeen, "\($0.reads)"]
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .csv:
            print(CSVTable(header: columns, rows: cells).text, terminator: "")
        case .table:
            print(TextTable(header: columns, rows: cells).text)
            let present = rows.filter { $0.status == "present" }.count
            print("\(rows.count) EPC(s): \(present) present, \(rows.count - present) departed")
        }
    }
}
