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
/// by the database's column names). `footer` follows a table. With `site` (on a hub) the table and
/// the CSV begin with the row's site (JSON has it as a key already).
func printListing<Row: Encodable>(
    _ rows: [Row],
    columns: [String],
    cells: (Row) -> [String],
    format: ListingFormat,
    footer: String? = nil,
    site: KeyPath<Row, String?>? = nil
) throws {
    let columns = site == nil ? columns : ["site"] + columns
    let cells = { (row: Row) in site.map { [row[keyPath: $0] ?? ""] + cells(row) } ?? cells(row) }
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
/// query exits with its reason (status 1), a `ListingRefusal` with its own (status 2).
func withFactReader<T: Sendable>(
    _ site: SiteConfig,
    _ body: @escaping @Sendable (any FactReader) async throws -> T
) async throws -> T {
    do {
        switch site.database {
        case .sqlite(let path):
            return try await body(SQLiteFactReader(try openDatabaseForReading(path: path)))
        case .postgres(let server):
            return try await openCentral(server).withRunningClient { try await body($0) }
        }
    } catch let refusal as ListingRefusal {
        printError("sortgate: \(refusal)")
        throw ExitCode(2)
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("sortgate: \(error)")
        throw ExitCode(1)
    }
}
