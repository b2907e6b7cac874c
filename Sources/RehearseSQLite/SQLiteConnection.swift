import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Owns one `sqlite3*` handle and closes it on every path.
///
/// A connection is not thread-safe: use it from one thread at a time.
package final class SQLiteConnection {
    package let handle: OpaquePointer
    package let path: String
    /// What user-written SQL may do here; see ``SQLiteSandbox``.
    package let sandbox = SQLiteSandbox()

    /// Process-wide settings, applied once before the first connection.
    private static let configured: Bool = {
        _ = rehearse_sqlite3_disable_memstatus()
        return true
    }()

    package init(path: String, readOnly: Bool = false, create: Bool = true, uri: Bool = false) throws {
        _ = Self.configured
        var db: OpaquePointer?
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        if uri { flags |= SQLITE_OPEN_URI }
        flags |= SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(resultCode: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        installSandbox()
    }

    deinit { sqlite3_close_v2(handle) }

    /// The linked library's version, e.g. "3.40.1".
    package static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    package var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    package func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(resultCode: rc, message: refusalMessage, sql: sql)
    }

    /// Runs SQL that returns no rows of interest (one or more statements).
    /// Only for the tool's own SQL: it runs outside the sandbox's policy
    /// (the loader's `journal_mode = OFF`, the script's `BEGIN IMMEDIATE`).
    /// User-written SQL goes through ``forEachStatement(of:_:)`` or ``prepare(_:)``.
    package func execute(_ sql: String) throws {
        sandbox.trusted = true
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 10)
        defer {
            sandbox.trusted = false
            sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        }
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errmsg)
            throw SQLiteError(resultCode: rc, message: message, sql: sql)
        }
    }

    /// Why SQLite refused the last statement: the sandbox's sentence when its
    /// authorizer denied it (SQLite itself says only "not authorized"), else
    /// SQLite's own message. The denial is cleared before each prepare.
    package var refusalMessage: String {
        sandbox.lastDenial ?? lastErrorMessage
    }

    package func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// All rows of a query, as typed values. For catalog queries and checks,
    /// never for bulk data (use ``SQLiteStatement/step()`` there).
    package func rows(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> [[DatabaseValue]] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var result: [[DatabaseValue]] = []
        while try statement.step() {
            result.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return result
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    package var changes: Int64 { Int64(sqlite3_changes64(handle)) }

    package var totalChanges: Int64 { Int64(sqlite3_total_changes64(handle)) }

    package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Column metadata SQLite keeps but does not expose through PRAGMAs,
    /// notably the collation.
    package func columnMetadata(table: String, column: String) throws -> (declaredType: String, collation: String, notNull: Bool, primaryKey: Bool, autoIncrement: Bool) {
        var type: UnsafePointer<CChar>?
        var coll: UnsafePointer<CChar>?
        var notNull: Int32 = 0, pk: Int32 = 0, autoinc: Int32 = 0
        let rc = sqlite3_table_column_metadata(handle, "main", table, column, &type, &coll, &notNull, &pk, &autoinc)
        guard rc == SQLITE_OK else { throw error(rc, sql: nil) }
        return (type.map { String(cString: $0) } ?? "", coll.map { String(cString: $0) } ?? "BINARY",
                notNull != 0, pk != 0, autoinc != 0)
    }
}

/// A prepared statement, finalized when released. Reuse it across rows with
/// ``reset()``: preparing once is what keeps bulk loads fast.
package final class SQLiteStatement {
    package let handle: OpaquePointer
    package unowned let connection: SQLiteConnection
    package let sql: String

    package init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    package convenience init(connection: SQLiteConnection, sql: String) throws {
        var stmt: OpaquePointer?
        connection.sandbox.clearDenial()
        let rc = sqlite3_prepare_v2(connection.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            sqlite3_finalize(stmt)
            throw connection.error(rc, sql: sql)
        }
        self.init(handle: stmt, connection: connection, sql: sql)
    }

    deinit { sqlite3_finalize(handle) }

    package var columnCount: Int { Int(sqlite3_column_count(handle)) }

    package func columnName(_ index: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(index))) }

    package var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    package func reset() {
        sqlite3_reset(handle)
    }

    package func bind(_ values: [DatabaseValue]) throws {
        for (i, v) in values.enumerated() { try bind(v, at: i + 1) }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    package func bind(_ value: DatabaseValue, at index: Int) throws {
        let i = Int32(index)
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, i)
        case .integer(let v): rc = sqlite3_bind_int64(handle, i, v)
        case .real(let v): rc = sqlite3_bind_double(handle, i, v)
        case .text(let s):
            var s = s
            rc = s.withUTF8 { buf -> Int32 in
                // An empty buffer may have no address; SQLite would bind NULL for a
                // null pointer, so give it a real (empty) one.
                guard let base = buf.baseAddress else { return sqlite3_bind_text(handle, i, "", 0, SQLiteStatement.transient) }
                return sqlite3_bind_text(handle, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buf.count), SQLiteStatement.transient)
            }
        case .blob(let b):
            rc = b.withUnsafeBytes { buf in
                sqlite3_bind_blob(handle, i, buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buf.count), SQLiteStatement.transient)
            }
        }
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
    }

    /// Advances to the next row; false when done.
    @discardableResult
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let err = connection.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw err
        }
    }

    package func columnType(at index: Int) -> Int32 { sqlite3_column_type(handle, Int32(index)) }
    /// Whether the column's value is text or a blob (not NULL or a number).
    package func isTextOrBlob(at index: Int) -> Bool {
        let type = columnType(at: index)
        return type == SQLITE_TEXT || type == SQLITE_BLOB
    }

    package func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    package func value(at index: Int) -> DatabaseValue {
        let i = Int32(index)
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            let n = Int(sqlite3_column_bytes(handle, i))
            guard let p = sqlite3_column_text(handle, i) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(handle, i))
            guard n > 0, let p = sqlite3_column_blob(handle, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }

    /// Raw bytes of a TEXT or BLOB column, valid until the next step; no copy.
    package func withBytes<R>(at index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let i = Int32(index)
        let p: UnsafeRawPointer? = sqlite3_column_type(handle, i) == SQLITE_BLOB
            ? sqlite3_column_blob(handle, i) : sqlite3_column_text(handle, i).map { UnsafeRawPointer($0) }
        let n = Int(sqlite3_column_bytes(handle, i))
        return body(UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }
}

@available(*, unavailable) extension SQLiteConnection: Sendable {}
@available(*, unavailable) extension SQLiteStatement: Sendable {}
