import Foundation
import GRDB
import SortgateCore
@testable import SortgateStore
import Testing

/// The writer's direct binding: the values SQLite stores are the ones GRDB's arguments stored,
/// and a failing row leaves the statement usable for the next.
@Suite("Row statements bound from the scratch buffer")
struct RowStatementTests {
    @Test("EPC, times, names, integers, reals and NULLs are stored as given")
    func storesValues() throws {
        let queue = try DatabaseQueue()
        let scratch = RowScratch()
        let epc = try EPC(hex: "3074257BF7194E4000001A85")
        let early = try EventTime(rfc3339: "2026-03-14T09:26:53.000000001Z")
        let late = try EventTime(rfc3339: "2026-12-07T13:40:36.123456789+01:00")
        let rows = try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (epc TEXT, at TEXT, name TEXT NOT NULL, n INTEGER, x REAL, maybe TEXT)")
            var row = RowStatement(try db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)"), scratch: scratch)
            row.bind(1, epc)
            row.bind(2, early)
            row.bind(3, "chute-12 ❄︎")
            row.bind(4, Int64.min)
            row.bind(5, -18.25)
            row.bind(6, nil as String?)
            try row.step(db)
            // The second row overwrites the scratch buffer; the first row's text is SQLite's by now.
            row.bind(1, try EPC(hex: "E2"))
            row.bind(2, late)
            row.bind(3, "")
            row.bind(4, 42 as Int64?)
            row.bind(5, 4.5)
            row.bind(6, "x" as String?)
            try row.step(db)
            return try Row.fetchAll(db, sql: "SELECT * FROM t ORDER BY rowid")
        }
        #expect(rows.count == 2)
        #expect(rows[0]["epc"] as String? == "3074257BF7194E4000001A85")
        #expect(rows[0]["at"] as String? == "2026-03-14T09:26:53.000000001Z")
        #expect(rows[0]["name"] as String? == "chute-12 ❄︎")
        #expect(rows[0]["n"] as Int64? == Int64.min)
        #expect(rows[0]["x"] as Double? == -18.25)
        #expect(rows[0]["maybe"] as String? == nil)
        #expect(rows[1]["epc"] as String? == "E2")
        #expect(rows[1]["at"] as String? == "2026-12-07T12:40:36.123456789Z")
        #expect(rows[1]["name"] as String? == "")
        #expect(rows[1]["n"] as Int64? == 42)
        #expect(rows[1]["maybe"] as String? == "x")
    }

    @Test("A row SQLite refuses throws its error with the SQL; the next row is written")
    func failureLeavesStatementUsable() throws {
        let queue = try DatabaseQueue()
        let scratch = RowScratch()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (name TEXT NOT NULL UNIQUE)")
            var row = RowStatement(try db.cachedStatement(sql: "INSERT INTO t (name) VALUES (?)"), scratch: scratch)
            row.bind(1, "dock-in-3")
            try row.step(db)
            row.bind(1, "dock-in-3")
            let error = try #require(throws: DatabaseError.self) { try row.step(db) }
            #expect(error.resultCode == .SQLITE_CONSTRAINT)
            #expect(error.message?.contains("UNIQUE constraint failed: t.name") == true)
            #expect(error.sql == "INSERT INTO t (name) VALUES (?)")
            row.bindNull(1)
            #expect(throws: DatabaseError.self) { try row.step(db) }
            row.bind(1, "sorter-1")
            try row.step(db)
            #expect(try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") == ["dock-in-3", "sorter-1"])
        }
    }
}
