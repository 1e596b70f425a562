import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// Output formats of the listing commands.
enum ListingFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// Opens a site's SQLite read-only for a listing command, or exits with the reason.
func openDatabaseForReading(path: String) throws -> SQLiteStore {
    do {
        return try SQLiteStore.openReadOnly(path: path)
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(1)
    }
}

/// Runs a query of a listing command, exiting with the reason when it fails.
func query<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(1)
    }
}

/// Prints rows as a table, CSV (with `columns` as header) or JSON (the records themselves, keyed
/// by the database's column names). `footer` follows a table.
func printListing<Row: Encodable>(
    _ rows: [Row],
    columns: [String],
    cells: (Row) -> [String],
    format: ListingFormat,
    footer: String? = nil
) throws {
    switch format {
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(rows), as: UTF8.self))
    case .csv:
        print(CSVTable(header: columns, rows: rows.map(cells)).text, terminator: "")
    case .table:
        print(TextTable(header: columns, rows: rows.map(cells)).text)
        if let footer { print(footer) }
    }
}

/// Runs `body` with the config's database as a `FactReader`: the site's SQLite file, read-only, or
/// a hub's PostgreSQL (`database: {postgres: URL}`), its client running meanwhile. A failing
/// query exits with its reason.
func withFactReader<T: Sendable>(
    _ site: SiteConfig,
    _ body: @escaping @Sendable (any FactReader) async throws -> T
) async throws -> T {
    switch site.database {
    case .sqlite(let path):
        let reader = SQLiteFactReader(try openDatabaseForReading(path: path))
        do {
            return try await body(reader)
        } catch let error as SQLiteStoreError {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        }
    case .postgres(let server):
        return try await runCentral(try openCentral(server)) { try await body($0) }
    }
}
