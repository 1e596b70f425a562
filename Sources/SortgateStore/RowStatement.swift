import GRDB
import GRDBSQLite
import SortgateCore

/// The writer's text buffer for one row's values: EPCs, times and names are formatted into it and
/// bound from it (SQLite copies nothing: `SQLITE_STATIC`), so a row costs no `String` and no
/// argument array. It holds one row at a time; `RowStatement.step` has finished with it when it
/// returns.
///
/// `@unchecked Sendable`: it is used only inside the writer's transaction, which GRDB runs on its
/// one writer queue, one at a time.
final class RowScratch: @unchecked Sendable {
    /// Enough for the widest row (the inventory: an EPC twice, a URI, a zone name, three times).
    static let capacity = 4096
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: RowScratch.capacity)

    deinit { buffer.deallocate() }
}

/// One row of a cached statement, bound and executed through SQLite's C API: GRDB's
/// `execute(arguments:)` builds an array of `DatabaseValue`s (and our callers a `String` per EPC,
/// time and URI) for every row, which the writer of a busy site paid for each fact.
///
/// Every parameter must be bound for every row (a parameter left from the previous row would point
/// into the scratch buffer's old contents). The statement stays GRDB's: it is prepared once per
/// connection in GRDB's cache, and the transaction is GRDB's.
struct RowStatement: ~Copyable {
    private let handle: OpaquePointer
    private let statement: Statement
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    private var used = 0

    init(_ statement: Statement, scratch: RowScratch) {
        self.statement = statement
        self.handle = statement.sqliteStatement
        self.scratch = scratch.buffer
    }

    /// Binds text written by `write` into the scratch buffer (given `capacity` bytes).
    mutating func bindText(_ index: Int32, capacity: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        precondition(used + capacity <= scratch.count, "a row's text exceeds the \(scratch.count)-byte buffer")
        let start = scratch.baseAddress! + used
        let count = write(UnsafeMutableBufferPointer(start: start, count: capacity))
        used += count
        sqlite3_bind_text(handle, index, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), Int32(count), nil)
    }

    mutating func bind(_ index: Int32, _ epc: EPC) {
        bindText(index, capacity: epc.hexDigitCount) { epc.writeHex(into: $0) }
    }

    mutating func bind(_ index: Int32, _ time: EventTime) {
        bindText(index, capacity: EventTime.rfc3339Length) { time.writeRFC3339(into: $0) }
    }

    mutating func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bindText(index, capacity: utf8.count) { destination in
                if let base = utf8.baseAddress { destination.baseAddress!.update(from: base, count: utf8.count) }
                return utf8.count
            }
        }
    }

    mutating func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { bindNull(index) }
    }

    mutating func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { bindNull(index) }
    }

    mutating func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    mutating func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Runs the statement for the values bound, then readies it (and the scratch buffer) for the
    /// next row. A failure is GRDB's `DatabaseError`, with SQLite's code and message and the SQL.
    mutating func step(_ db: Database) throws {
        let code = sqlite3_step(handle)
        used = 0
        guard code == SQLITE_DONE else {
            // The statement's error is the connection's; reset returns the same code.
            let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }
}
