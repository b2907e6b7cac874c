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

/// `ConnectionPool`, the PostgreSQL loader's worker pool, on a real server:
/// every task runs exactly once, one connection and many agree, one
/// connection runs the tasks in order, connections are opened only when a
/// worker needs one and then reused, and the first failure (of a task or of
/// opening a connection) is thrown and stops new tasks.
@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct ConnectionPoolTests {
    struct Boom: Error, Equatable { var n: Int }

    /// A fresh database with a table the tasks write to; `seq` records the
    /// order the rows went in, `pid` the backend (connection) that wrote each.
    static func database() throws -> (name: String, drop: () -> Void, first: PGConnection) {
        let (name, drop) = try TestPostgres.database()
        let first = try TestPostgres.connect(name)
        _ = try first.execute("CREATE TABLE t (seq bigserial PRIMARY KEY, i integer NOT NULL, pid integer NOT NULL DEFAULT pg_backend_pid())")
        return (name, drop, first)
    }

    static func insert(_ i: Int) -> (PGConnection) throws -> Void {
        { conn in _ = try conn.execute("INSERT INTO t (i) VALUES (\(i))") }
    }

    @Test func everyTaskRunsOnceAndOneOrManyConnectionsAgree() throws {
        let (name, drop, first) = try Self.database()
        defer { drop() }
        var results: [Int: [String?]] = [:]
        for size in [1, 2, 4] {
            _ = try first.execute("TRUNCATE t")
            let opened = CallCounter()
            let pool = ConnectionPool(first: first, open: { opened.add(); return try TestPostgres.connect(name) }, size: size)
            try pool.run((0..<80).map(Self.insert))
            let rows = try first.rows("SELECT i FROM t ORDER BY i").map { $0[0] }
            #expect(rows == (0..<80).map { String($0) }, "size \(size): every task once")
            let pids = try first.rows("SELECT count(DISTINCT pid) FROM t")[0][0].flatMap { Int($0) } ?? -1
            #expect(pids >= 1 && pids <= size, "size \(size): \(pids) connections wrote")
            #expect(opened.value <= size - 1, "size \(size): the first connection is the caller's")
            results[size] = rows
            if size == 1 {
                // One connection: the tasks ran in the order given.
                #expect(try first.rows("SELECT i FROM t ORDER BY seq").map { $0[0] } == (0..<80).map { String($0) })
                #expect(opened.value == 0)
            }
        }
        #expect(Set(results.values.map { $0.compactMap { $0 } }).count == 1)
    }

    @Test func connectionsAreOpenedOnlyWhenNeededAndReused() throws {
        let (name, drop, first) = try Self.database()
        defer { drop() }
        let opened = CallCounter()
        let open: @Sendable () throws -> PGConnection = { opened.add(); return try TestPostgres.connect(name) }
        // No task: nothing opened, nothing thrown.
        try ConnectionPool(first: first, open: open, size: 4).run([])
        #expect(opened.value == 0)
        // Two tasks on a pool of four: two workers, so at most one opened.
        try ConnectionPool(first: first, open: open, size: 4).run([Self.insert(1), Self.insert(2)])
        #expect(opened.value <= 1)
        // Slow tasks: the second worker opens its connection once and keeps it.
        let before = opened.value
        let pool = ConnectionPool(first: first, open: open, size: 2)
        try pool.run((0..<12).map { i in { conn in _ = try conn.execute("INSERT INTO t (i) SELECT \(i) FROM pg_sleep(0.02)") } })
        try pool.run((12..<24).map(Self.insert))
        #expect(opened.value - before <= 1, "one connection opened across both runs")
        #expect(try first.scalar("SELECT count(*) FROM t WHERE i BETWEEN 0 AND 23") == "26")
    }

    @Test func aFailingTaskIsThrownAndStopsNewTasks() throws {
        let (name, drop, first) = try Self.database()
        defer { drop() }
        // One connection: the tasks after the failure never start.
        let pool = ConnectionPool(first: first, open: { try TestPostgres.connect(name) }, size: 1)
        #expect(throws: Boom(n: 1)) {
            try pool.run([Self.insert(0), { _ in throw Boom(n: 1) }, Self.insert(2), { _ in throw Boom(n: 3) }])
        }
        #expect(try first.rows("SELECT i FROM t").map { $0[0] } == ["0"])
        // Many connections: the one failure is what comes back.
        let wide = ConnectionPool(first: first, open: { try TestPostgres.connect(name) }, size: 4)
        #expect(throws: Boom(n: 5)) {
            try wide.run((0..<40).map { i -> (PGConnection) throws -> Void in i == 5 ? { _ in throw Boom(n: 5) } : Self.insert(100 + i) })
        }
        #expect(try first.scalar("SELECT count(*) FROM t WHERE i = 105") == "0")
        #expect((Int(try first.scalar("SELECT count(*) FROM t WHERE i >= 100") ?? "") ?? 99) < 40)
    }

    @Test func aServerErrorInATaskComesBackAsItsSQLState() throws {
        let (name, drop, first) = try Self.database()
        defer { drop() }
        let pool = ConnectionPool(first: first, open: { try TestPostgres.connect(name) }, size: 3)
        do {
            try pool.run([Self.insert(1), { conn in _ = try conn.execute("SELECT 1 / 0") }, Self.insert(2)])
            Issue.record("no error")
        } catch let error as PGError {
            #expect(error.sqlstate == "22012", "\(error)")
        }
    }

    @Test func aConnectionThatCannotBeOpenedIsThrown() throws {
        let (_, drop, first) = try Self.database()
        defer { drop() }
        // Slow tasks, so the second worker surely asks for its connection.
        let pool = ConnectionPool(first: first, open: { throw Boom(n: 42) }, size: 2)
        #expect(throws: Boom(n: 42)) {
            try pool.run((0..<10).map { i in { conn in _ = try conn.execute("INSERT INTO t (i) SELECT \(i) FROM pg_sleep(0.05)") } })
        }
        #expect((Int(try first.scalar("SELECT count(*) FROM t") ?? "") ?? 99) < 10)
    }
}
