import ArgumentParser
import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate alerts --config F [--active] [--format …]` and `sortgate alerts ack ID --config F`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Cold-chain alerts: list them, or acknowledge one.",
        subcommands: [ListAlerts.self, AcknowledgeAlert.self],
        defaultSubcommand: ListAlerts.self
    )

    /// `sortgate alerts [list]`.
    struct ListAlerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List alerts in order of confirmation (the default)."
        )

        @Option(name: .long, help: "The site config.")
        var config: String

        @Flag(name: .long, help: "Only alerts neither cleared nor acknowledged.")
        var active = false

        @OptionGroup var sites: SiteOption

        @Option(name: .long, help: "table, json or csv.")
        var format: ListingFormat = .table

        func run() async throws {
            let site = try loadConfigOrExit(config)
            let rows = try await withFactReader(site) { [active, sites] database in
                try await database.alerts(activeOnly: active, site: try await sites.scope(site, database))
            }
            try printListing(
                rows,
                columns: [
                    "id", "kind", "subject", "zone", "class", "started_at", "confirmed_at", "cleared_at",
                    "peak_celsius",
                    "status",
                ],
                cells: {
                    [
                        $0.id, $0.kind, $0.subject, $0.zone ?? "", $0.class ?? "", $0.startedAt, $0.confirmedAt,
                        $0.clearedAt ?? "", $0.peakCelsius.map { String(format: "%.2f", $0) } ?? "", $0.status,
                    ]
                },
                format: format,
                footer: "\(rows.count) alert(s), \(rows.filter { $0.status == "active" }.count) active",
                site: site.isHub ? \.site : nil
            )
        }
    }

    /// `sortgate alerts ack ID`.
    struct AcknowledgeAlert: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack",
            abstract: "Acknowledge an alert (it stays acknowledged when it later clears)."
        )

        @Argument(help: "The alert id, as `sortgate alerts` lists it.")
        var id: String

        @Option(name: .long, help: "The site config.")
        var config: String

        func run() throws {
            let site = try loadConfigOrExit(config)
            // A hub holds copies of what the sites shipped: an acknowledgement written there would
            // never reach the gateway whose alert it is, and its next shipment would overwrite it.
            if case .postgres = site.database {
                printError(
                    "sortgate: \(config) is a hub's config (database: postgres), which only reads what the sites "
                        + "shipped; acknowledge the alert at the gateway that raised it: "
                        + "`sortgate alerts ack \(id) --config SITE.yaml` on that site"
                )
                throw ExitCode(2)
            }
            let store = try openStore(site)
            let found = try query { try store.acknowledgeAlert(id: id, at: EventTime.wallClockNow().rfc3339) }
            guard found else {
                printError("sortgate: no alert '\(id)'; `sortgate alerts --config \(config)` lists them")
                throw ExitCode(1)
            }
            print("acknowledged \(id)")
        }
    }
}
