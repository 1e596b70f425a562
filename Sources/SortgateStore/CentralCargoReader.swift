import GRDB
import SortgateCore

/// Reads the cargo of the next batches to ship, inside one read transaction (see
/// `SQLiteStore.centralCargo(after:maxRows:)`).
struct CentralCargoReader {
    let db: Database
    let mark: CentralMark?
    let maxRows: Int

    /// The keys the chosen batches changed, per keyed table.
    private struct ChangedKeys {
        var inventory: Set<String> = []
        var alerts: Set<String> = []
        var transport: Set<String> = []
        var shipments: Set<String> = []
        var manifests: Set<String> = []
        /// (minute, sensor).
        var minutes: Set<[String]> = []
    }

    func read() throws -> CentralCargo? {
        let start = mark ?? CentralMark(seq: 0, movementsThrough: 0, readingsThrough: 0, quarantineThrough: 0)
        var end = start
        var keys = ChangedKeys()
        var batches = 0
        var committedAt: [EventTime] = []
        var rows = 0
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, committed_at, movements_through, readings_through, quarantine_through, inventory, alerts, transport,
                       shipments, minutes, manifests, rows
                FROM central_outbox WHERE seq > ? ORDER BY seq
                """,
            arguments: [start.seq]
        )
        while rows < maxRows, let row = try cursor.next() {
            end = CentralMark(
                seq: row["seq"],
                movementsThrough: row["movements_through"],
                readingsThrough: row["readings_through"],
                // Batches recorded before the quarantine was shipped say 0.
                quarantineThrough: max(end.quarantineThrough, row["quarantine_through"])
            )
            keys.inventory.formUnion(Self.split(row["inventory"], ","))
            keys.alerts.formUnion(Self.split(row["alerts"], ","))
            keys.transport.formUnion(Self.split(row["transport"], ","))
            keys.shipments.formUnion(Self.split(row["shipments"], "\n"))
            keys.manifests.formUnion(Self.split(row["manifests"], ","))
            for line in Self.split(row["minutes"], "\n") {
                let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                if parts.count == 2 { keys.minutes.insert(parts) }
            }
            batches += 1
            if let time = try? EventTime(rfc3339: row["committed_at"] as String) { committedAt.append(time) }
            rows += row["rows"] as Int
        }
        let firstContact = mark == nil
        if firstContact {
            // Everything this database held before shipping began (or before this central server).
            end.movementsThrough = max(end.movementsThrough, try maxID("movements"))
            end.readingsThrough = max(end.readingsThrough, try maxID("readings"))
            end.quarantineThrough = max(end.quarantineThrough, try maxID("quarantine"))
        }
        if batches == 0 && !firstContact { return nil }
        let givenUpThrough =
            try Int64.fetchOne(db, sql: "SELECT readings_given_up_through FROM central_state WHERE id = 1") ?? 0
        var loads: [CentralCargo.Load] = []
        func add(_ table: CentralTable, _ load: (rows: Int, json: String)) {
            if load.rows > 0 { loads.append(CentralCargo.Load(table: table, json: load.json, rows: load.rows)) }
        }
        add(.movements, try idRange(.movements, after: start.movementsThrough, through: end.movementsThrough))
        add(
            .readings,
            try idRange(.readings, after: max(start.readingsThrough, givenUpThrough), through: end.readingsThrough)
        )
        add(.quarantine, try idRange(.quarantine, after: start.quarantineThrough, through: end.quarantineThrough))
        if firstContact {
            for table in [
                CentralTable.inventory, .alerts, .readingMinutes, .transport, .transportAnomalies, .shipments,
                .manifestContainers, .manifestItems,
            ] {
                add(table, try all(table))
            }
        } else {
            add(.inventory, try keyed(.inventory, keys.inventory))
            add(.alerts, try keyed(.alerts, keys.alerts))
            add(.readingMinutes, try minutes(keys.minutes))
            add(.transport, try keyed(.transport, keys.transport))
            add(.transportAnomalies, try keyed(.transportAnomalies, keys.transport))
            add(.shipments, try keyed(.shipments, keys.shipments))
            // Containers before their items: a container's load clears its items centrally.
            add(.manifestContainers, try keyed(.manifestContainers, keys.manifests))
            add(.manifestItems, try keyed(.manifestItems, keys.manifests))
        }
        return CentralCargo(mark: end, batches: batches, committedAt: committedAt, loads: loads)
    }

    private static func split(_ text: String, _ separator: Character) -> [String] {
        text.isEmpty ? [] : text.split(separator: separator).map(String.init)
    }

    private func maxID(_ table: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM \(table)") ?? 0
    }

    private func idRange(_ table: CentralTable, after: Int64, through: Int64) throws -> (rows: Int, json: String) {
        guard through > after else { return (0, "[]") }
        return try json(
            table,
            sql: "SELECT \(table.localSelectList) FROM \(table.rawValue) WHERE id > ? AND id <= ? ORDER BY id",
            arguments: [after, through]
        )
    }

    private func all(_ table: CentralTable) throws -> (rows: Int, json: String) {
        try json(table, sql: "SELECT \(table.localSelectList) FROM \(table.rawValue)\(table.localOrder)", arguments: [])
    }

    /// The current rows of `keys`, a few hundred keys per statement (SQLite's limit on arguments).
    private func keyed(_ table: CentralTable, _ keys: Set<String>) throws -> (rows: Int, json: String) {
        guard case .keys(let column) = table.selection, !keys.isEmpty else { return (0, "[]") }
        var writer = JSONRowsWriter(columns: table.columns.map(\.name))
        let sorted = keys.sorted()
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = Array(sorted[start..<min(start + 500, sorted.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(table.localSelectList) FROM \(table.rawValue) WHERE \(column) IN (\(marks))\(table.localOrder)
                    """,
                arguments: StatementArguments(chunk)
            )
            while let row = try cursor.next() { writer.append(row) }
        }
        return (writer.rows, writer.finish())
    }

    private func minutes(_ keys: Set<[String]>) throws -> (rows: Int, json: String) {
        guard !keys.isEmpty else { return (0, "[]") }
        let table = CentralTable.readingMinutes
        var writer = JSONRowsWriter(columns: table.columns.map(\.name))
        let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
        for start in stride(from: 0, to: sorted.count, by: 400) {
            let chunk = sorted[start..<min(start + 400, sorted.count)]
            let marks = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ",")
            let cursor = try Row.fetchCursor(
                db,
                sql: "SELECT \(table.columnList) FROM reading_minutes WHERE (minute, sensor) IN (VALUES \(marks))",
                arguments: StatementArguments(chunk.flatMap { $0 })
            )
            while let row = try cursor.next() { writer.append(row) }
        }
        return (writer.rows, writer.finish())
    }

    private func json(_ table: CentralTable, sql: String, arguments: StatementArguments) throws -> (rows: Int, json: String) {
        var writer = JSONRowsWriter(columns: table.columns.map(\.name))
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() { writer.append(row) }
        return (writer.rows, writer.finish())
    }
}

/// Writes SQLite rows as a JSON array of objects keyed by column name, the input of PostgreSQL's
/// `json_to_recordset`: one text parameter carries any number of rows, NULLs included.
struct JSONRowsWriter {
    private let keys: [String]
    private var text = "["
    private(set) var rows = 0

    init(columns: [String]) {
        keys = columns.map { "\"\($0)\":" }
    }

    mutating func append(_ row: Row) {
        text += rows == 0 ? "{" : ",{"
        for (index, key) in keys.enumerated() {
            if index > 0 { text += "," }
            text += key
            switch (row[index] as DatabaseValue).storage {
            case .null: text += "null"
            case .int64(let value): text += String(value)
            case .double(let value): text += value.isFinite ? "\(value)" : "null"
            case .string(let value): text += value.jsonLiteral
            case .blob(let data): text += String(decoding: data, as: UTF8.self).jsonLiteral
            }
        }
        text += "}"
        rows += 1
    }

    mutating func finish() -> String {
        text += "]"
        return text
    }
}
