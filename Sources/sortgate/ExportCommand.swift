import ArgumentParser
import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate export epcis --config F --since T [--until T] [--out FILE]`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export facts for partners' systems (EPCIS 2.0).",
        subcommands: [EPCISExportCommand.self]
    )
}

struct EPCISExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epcis",
        abstract: "Write the movements of a period as an EPCIS 2.0 document (JSON-LD).",
        discussion: """
            One ObjectEvent per arrival, move and departure (CBV 2.0 bizStep and disposition by zone \
            type, readPoint/bizLocation the zone's SGLN from transport.epcis.location or the zone's sgln), \
            temperature summaries of containers' stays as sensorElementList, and an AggregationEvent per \
            container packed with manifest items. Event ids depend only on the movement, so exporting \
            again gives the same ids.
            """
    )

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Start of the period (RFC 3339, inclusive).")
    var since: String

    @Option(name: .long, help: "End of the period (RFC 3339, exclusive); default: everything after --since.")
    var until: String?

    @Option(name: .long, help: "Write the document here instead of standard output.")
    var out: String?

    func run() async throws {
        let site = try loadConfigOrExit(config)
        let start: EventTime
        var end: EventTime?
        do {
            start = try EventTime(rfc3339: since)
            end = try until.map { try EventTime(rfc3339: $0) }
        } catch {
            printError("sortgate: --since/--until: \(error)")
            throw ExitCode(2)
        }
        let locations = site.zoneLocations
        if locations.isEmpty {
            printError(
                "sortgate: \(config): no zone has an SGLN for EPCIS readPoint/bizLocation; set "
                    + "transport: {epcis: {location: urn:epc:id:sgln:…}} (or sgln: per zone)"
            )
            throw ExitCode(2)
        }
        let configuration = EPCISExportConfiguration(
            zoneLocations: locations.mapValues(\.description),
            zoneRoles: Dictionary(uniqueKeysWithValues: site.zones.map { ($0.name, $0.type) })
        )
        let now = EventTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1000) * 1_000_000)
        let export = try await withFactReader(site) { [end] in
            try await $0.epcisExport(since: start, until: end, configuration: configuration, creationDate: now)
        }
        let text = export.document.text(indent: 2) + "\n"
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                printError("sortgate: cannot write '\(out)': \(error.localizedDescription)")
                throw ExitCode(1)
            }
            printError(
                "wrote \(out): \(export.objectEvents) ObjectEvent(s), \(export.aggregationEvents) AggregationEvent(s)"
            )
        } else {
            print(text, terminator: "")
        }
        for zone in export.zonesWithoutLocation.sorted() {
            printError("warning: zone '\(zone)' has no SGLN; its events carry no readPoint")
        }
    }
}
