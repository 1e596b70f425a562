import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate inventory --config F [--zone Z] [--site S] [--format table|json|csv]`.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show the current inventory: which tagged object is where, since when."
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Only this zone.")
    var zone: String?

    @OptionGroup var sites: SiteOption

    @Option(name: .long, help: "table, json or csv.")
    var format: ListingFormat = .table

    func run() async throws {
        let site = try loadConfigOrExit(config)
        if let zone, !site.zones.isEmpty, !site.zones.contains(where: { $0.name == zone }) {
            printError(
                "sortgate: no zone '\(zone)' in \(config); zones: "
                    + site.zones.map(\.name).joined(separator: ", ")
            )
            throw ExitCode(2)
        }
        let rows = try await withFactReader(site) { [zone, sites] database in
            try await database.inventory(zone: zone, site: try await sites.scope(site, database))
        }
        let present = rows.filter { $0.status == "present" }.count
        try printListing(
            rows,
            columns: ["epc", "scheme", "uri", "zone", "status", "first_seen", "zone_since", "last_seen", "reads"],
            cells: {
                [
                    $0.epc, $0.scheme, $0.uri ?? "", $0.zone, $0.status, $0.firstSeen, $0.zoneSince, $0.lastSeen,
                    "\($0.reads)",
                ]
            },
            format: format,
            footer: "\(rows.count) EPC(s): \(present) present, \(rows.count - present) departed",
            site: site.isHub ? \.site : nil
        )
    }
}
