import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// `SQLiteStatement.bind`: every `DatabaseValue` case goes into a real SQLite
/// file with its storage class and exact bytes, survives closing and
/// reopening the file, and a bad index or a bind at the wrong moment is an
/// error, not a silently ignored value.
@Suite struct SQLiteStatementBindingTests {
    /// A fresh database file with one untyped column (no affinity, so SQLite
    /// keeps each value's storage class as bound).
    func table(_ dir: TempDir) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: dir.file("bind.sqlite").path)
        try db.execute("CREATE TABLE t(n INTEGER PRIMARY KEY, v)")
        return db
    }

    /// Inserts each value with one prepared statement (bind, step, reset),
    /// reopens the file and reads the values back in order with their types.
    func roundTrip(_ values: [DatabaseValue]) throws -> [(value: DatabaseValue, type: String)] {
        let dir = TempDir()
        do {
            let db = try table(dir)
            let insert = try db.prepare("INSERT INTO t(v) VALUES (?)")
            for v in values {
                try insert.bind(v, at: 1)
                #expect(try insert.step() == false)
                insert.reset()
            }
        }
        let reopened = try SQLiteConnection(path: dir.file("bind.sqlite").path, readOnly: true)
        return try reopened.rows("SELECT v, typeof(v) FROM t ORDER BY n").map { row in
            guard case .text(let type) = row[1] else { return (row[0], "?") }
            return (row[0], type)
        }
    }

    @Test func nullBindsAsNull() throws {
        let back = try roundTrip([.null])
        #expect(back.map(\.value) == [.null])
        #expect(back.map(\.type) == ["null"])
    }

    @Test func integersKeepEvery64BitValue() throws {
        let values: [Int64] = [0, 1, -1, 42, Int64(Int32.max) + 1, Int64(Int32.min) - 1, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        let back = try roundTrip(values.map { .integer($0) })
        #expect(back.map(\.value) == values.map { .integer($0) })
        #expect(back.allSatisfy { $0.type == "integer" })
        // And SQLite itself sees the bound number, not a truncated one.
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("e.sqlite").path)
        let s = try db.prepare("SELECT ?1 = 9223372036854775807, ?2 = -9223372036854775808, ?1 + 0 > 0, ?2 < 0")
        try s.bind([.integer(.max), .integer(.min)])
        #expect(try s.step())
        #expect((0..<4).map { s.value(at: $0) } == Array(repeating: .integer(1), count: 4))
    }

    @Test func doublesKeepTheirBits() throws {
        let values: [Double] = [0.1, -2.5, 1e308, -1e-308, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .pi, 1.0, 123456789.125]
        let back = try roundTrip(values.map { .real($0) })
        #expect(back.allSatisfy { $0.type == "real" })
        for (v, b) in zip(values, back) {
            guard case .real(let d) = b.value else { Issue.record("\(v) came back as \(b.value)"); continue }
            #expect(d.bitPattern == v.bitPattern, "\(v) came back as \(d)")
        }
        // A whole-valued double stays real: 1.0 is not the integer 1.
        #expect(back[7].value != .integer(1))
    }

    @Test func nanHasNoSQLiteValueAndBindsAsNull() throws {
        let back = try roundTrip([.real(.nan)])
        #expect(back.map(\.type) == ["null"])
    }

    @Test func textKeepsNulBytesUTF8AndEmptiness() throws {
        let values = ["plain", "", "a\u{0}b", "\u{0}", "héllo wörld", "日本語のテキスト", "emoji 🎉👩‍👩‍👧", "quote ' and \" and ;", String(repeating: "x", count: 100_000)]
        let back = try roundTrip(values.map { .text($0) })
        #expect(back.map(\.value) == values.map { .text($0) })
        // The empty string is text, not NULL (an empty buffer has no address).
        #expect(back.allSatisfy { $0.type == "text" })
        // SQLite stores every UTF-8 byte, the NUL and what follows it included.
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("e.sqlite").path)
        let s = try db.prepare("SELECT length(CAST(?1 AS BLOB)), hex(?1)")
        try s.bind(.text("a\u{0}é"), at: 1)
        #expect(try s.step())
        #expect(s.value(at: 0) == .integer(4))
        #expect(s.value(at: 1) == .text("6100C3A9"))
    }

    @Test func blobsKeepEveryByte() throws {
        var bytes = [UInt8](repeating: 0, count: 70_000)
        var x: UInt32 = 12345
        for i in bytes.indices { x = x &* 1_103_515_245 &+ 12345; bytes[i] = UInt8(truncatingIfNeeded: x >> 16) }
        let values: [[UInt8]] = [[], [0], [0, 255, 0], Array(0...255), bytes]
        let back = try roundTrip(values.map { .blob($0) })
        #expect(back.map(\.value) == values.map { .blob($0) })
        // The empty blob is a zero-length blob, not NULL.
        #expect(back.allSatisfy { $0.type == "blob" })
        // Text and blob of the same bytes stay different values.
        #expect(try roundTrip([.blob(Array("31".utf8)), .text("31")]).map(\.type) == ["blob", "text"])
    }

    @Test func bindingAnArrayFillsParametersInOrder() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("e.sqlite").path)
        let s = try db.prepare("SELECT ?, ?, ?, ?, ?")
        let values: [DatabaseValue] = [.integer(7), .null, .real(1.5), .text("t"), .blob([1, 2])]
        try s.bind(values)
        #expect(try s.step())
        #expect((0..<5).map { s.value(at: $0) } == values)
        #expect(try s.step() == false)
    }

    @Test func aWrongIndexIsAnError() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("e.sqlite").path)
        let s = try db.prepare("SELECT ?, ?")
        for index in [0, -1, 3, 1000] {
            #expect(throws: SQLiteError.self, "index \(index)") { try s.bind(.integer(1), at: index) }
            do {
                try s.bind(.text("x"), at: index)
            } catch let error as SQLiteError {
                #expect(error.resultCode == 25, "SQLITE_RANGE for index \(index), got \(error)")
                #expect(error.sql == "SELECT ?, ?")
            }
        }
        // Too many values for the parameters: the extra one is refused.
        #expect(throws: SQLiteError.self) { try s.bind([.integer(1), .integer(2), .integer(3)]) }
        // A statement without parameters takes none.
        let none = try db.prepare("SELECT 1")
        #expect(throws: SQLiteError.self) { try none.bind(.null, at: 1) }
    }

    @Test func bindingWhileSteppedIsRefusedUntilReset() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("e.sqlite").path)
        let s = try db.prepare("SELECT ? UNION ALL SELECT 2")
        try s.bind(.integer(1), at: 1)
        #expect(try s.step())
        // Mid-statement: SQLite refuses the new value (SQLITE_MISUSE).
        #expect(throws: SQLiteError.self) { try s.bind(.integer(9), at: 1) }
        s.reset()
        try s.bind(.integer(9), at: 1)
        #expect(try s.step())
        #expect(s.value(at: 0) == .integer(9))
    }

    @Test func resetKeepsBindingsAndRebindingReplacesThem() throws {
        let dir = TempDir()
        let db = try table(dir)
        let insert = try db.prepare("INSERT INTO t(v) VALUES (?)")
        try insert.bind(.text("first"), at: 1)
        try insert.step()
        insert.reset()
        // Bindings survive reset: the same value goes in again.
        try insert.step()
        insert.reset()
        // A new binding of another type replaces the old one entirely.
        try insert.bind(.blob([1]), at: 1)
        try insert.step()
        insert.reset()
        try insert.bind(.null, at: 1)
        try insert.step()
        #expect(try db.rows("SELECT v FROM t ORDER BY n") == [[.text("first")], [.text("first")], [.blob([1])], [.null]])
        #expect(db.totalChanges == 4)
    }

    @Test func aFailedStepCanBeRetriedAfterRebinding() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("u.sqlite").path)
        try db.execute("CREATE TABLE u(k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        let insert = try db.prepare("INSERT INTO u(k, v) VALUES (?, ?)")
        try insert.bind([.integer(1), .text("one")])
        try insert.step()
        insert.reset()
        try insert.bind([.integer(1), .text("again")])
        #expect(throws: SQLiteError.self) { try insert.step() }
        try insert.bind([.integer(2), .null])
        #expect(throws: SQLiteError.self) { try insert.step() }
        try insert.bind([.integer(2), .text("two")])
        try insert.step()
        #expect(try db.rows("SELECT k, v FROM u ORDER BY k") == [[.integer(1), .text("one")], [.integer(2), .text("two")]])
    }
}
