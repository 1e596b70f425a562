import ArgumentParser
import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate manifest import FILE --config F`.
struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Import shipment manifests: the containers expected, their destinations and packed items.",
        subcommands: [ManifestImportCommand.self]
    )
}

struct ManifestImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a manifest (CSV or JSON) into the database.",
        discussion: """
            Columns (CSV header, or JSON keys): container (24-hex EPC, SSCC-18, urn:epc:id:sscc:… or \
            urn:epc:id:grai:…), shipment, destination (a chute or dock-out of the site), and optionally \
            class (a cold-chain class), expected_by (RFC 3339), items (SGTIN EPCs or URIs, separated by \
            spaces or ';' in CSV, an array in JSON). Importing the same manifest again changes nothing; \
            a container listed again takes its new row. Bad rows are reported as file:line[:column] and \
            skipped, the good ones imported; the exit status is 1 when any row was rejected. A running \
            gateway picks the change up within a second or two.
            """
    )

    @Argument(help: "The manifest file (.csv or .json).")
    var file: String

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "Digits of the GS1 company prefix of SSCC-18 numbers in the manifest (6 to 12).")
    var companyPrefixLength = 7

    func validate() throws {
        guard (6...12).contains(companyPrefixLength) else {
            throw ValidationError("--company-prefix-length must be 6 to 12, got \(companyPrefixLength)")
        }
    }

    func run() throws {
        let site = try loadConfigOrExit(config)
        let manifest: ManifestFile
        do {
            manifest = try ManifestFile.load(path: file, site: site, companyPrefixLength: companyPrefixLength)
        } catch {
            printError("sortgate: \(error)")
            throw ExitCode(2)
        }
        for problem in manifest.problems { printError(problem.description) }
        let store = try openStore(site)
        let records = manifest.rows.map(\.record)
        let now = EventTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9))
        let result = try query { try store.importManifest(records, at: now) }
        let shipments = Set(manifest.rows.map(\.shipment)).count
        print(
            "imported \(file): \(records.count) container(s) of \(shipments) shipment(s): \(result.added) added, "
                + "\(result.changed) changed, \(result.unchanged) unchanged; rejected \(manifest.problems.count); "
                + "manifest generation \(result.generation)"
        )
        if !manifest.problems.isEmpty { throw ExitCode(1) }
    }
}
