import CLibPQ
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Checks on PostgreSQL: each one read-only query in a read-only
/// transaction, the scratch database closed to new connections meanwhile,
/// and proof afterwards that nothing was written.
extension PostgresScratch {
    package func runChecks(_ script: SQLScript) throws -> [CheckResult] {
        let db = try connectAsOwner()
        // While checks run, the scratch database takes no new connection, not
        // even a superuser's: a check that opened one of its own (dblink, a
        // foreign server) would get a transaction that is not read-only.
        // The check connection is already open; the admin one is elsewhere.
        let admin = try Self.open(server, database: server["dbname"] ?? "postgres")
        let q = PGConnection.quoteIdentifier(database)
        do { try admin.execute("ALTER DATABASE \(q) WITH ALLOW_CONNECTIONS false") } catch {
            throw RehearseError.environment("Cannot close the scratch database \(database) to new connections while checks run: \(error).")
        }
        var reopened = false
        defer { if !reopened { _ = try? admin.execute("ALTER DATABASE \(q) WITH ALLOW_CONNECTIONS true") } }
        // Any change to the database's row (reopened and closed again within
        // one check, say) gives it a new row version: its xmin is the tell.
        let databaseRow = "SELECT xmin::text || '/' || datallowconn::text FROM pg_catalog.pg_database WHERE datname = \(PGConnection.quoteLiteral(database))"
        let rowBefore = try? admin.scalar(databaseRow)
        // A superuser can leave any read-only transaction (dblink to another
        // database that reopens this one, COPY TO PROGRAM): for checks run as
        // one, rows written while they ran are looked for afterwards. Unknown
        // counts as superuser (fail closed).
        let superuser = ((try? db.scalar("SHOW is_superuser")) ?? nil) != "off"
        var horizon: String?
        if superuser {
            do { horizon = try admin.scalar("SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text") } catch {
                throw RehearseError.environment("Cannot read the server's transaction horizon before the checks: \(error).")
            }
        }
        var results: [CheckResult] = []
        for (n, statement) in PostgresScript.statements(script).enumerated() {
            let line = script.line(ofByteOffset: statement.startOffset)
            let name = statement.checkName(number: n + 1, line: line)
            let (passed, returned) = try Self.runCheck(statement, in: script, on: db)
            results.append(CheckResult(name: name, file: script.displayPath, line: line, passed: passed, returned: returned, sql: statement.sql))
        }
        let rowAfter = try? admin.scalar(databaseRow)
        do { try admin.execute("ALTER DATABASE \(q) WITH ALLOW_CONNECTIONS true") } catch {
            throw RehearseError.environment("Cannot reopen the scratch database \(database) after the checks: \(error).")
        }
        reopened = true
        guard let rowBefore, let rowAfter, rowBefore == rowAfter, rowAfter.hasSuffix("/false") else {
            throw RehearseError.refused("While the checks in \(script.displayPath) ran, the scratch database \(database) was changed or reopened to new connections: a check reached outside its read-only transaction. rehearse stops; a check must be one read-only query.")
        }
        if let horizon {
            let written = try Self.written(since: horizon, on: try connect())
            if !written.isEmpty {
                throw RehearseError.refused("While the checks in \(script.displayPath) ran as a superuser, rows were written to \(written.joined(separator: ", ")) in the scratch database, though every check runs read-only: a superuser can leave a read-only transaction (dblink, COPY TO PROGRAM). rehearse stops. Give --pg-url a user without superuser (CREATEDB is enough) so checks cannot write.")
            }
        }
        return results
    }

    /// System catalogs whose rows change with any schema change a check could make.
    package static let watchedCatalogs = ["pg_class", "pg_attribute", "pg_attrdef", "pg_type", "pg_namespace", "pg_proc", "pg_constraint",
                                  "pg_index", "pg_trigger", "pg_rewrite", "pg_policy", "pg_sequence", "pg_extension"]

    /// Tables (the fingerprint's, and the catalogs a schema change writes)
    /// holding a row version created by a transaction at or after `horizon`
    /// (an xid8): xmin is 32 bits, compared modulo 2^32 within half the
    /// range, as the server compares xids; frozen and bootstrap ids (< 3)
    /// are never new. In-place updates (VACUUM, ANALYZE) keep xmin.
    package static func written(since horizon: String, on db: PGConnection) throws -> [String] {
        guard let h = UInt64(horizon) else { throw RehearseError.environment("The server's transaction horizon '\(horizon)' is not a number.") }
        let low = h & 0xffff_ffff
        let newer = "x.xmin::text::bigint >= 3 AND ((x.xmin::text::bigint - \(low) + 4294967296) % 4294967296) < 2147483648"
        func refuse(_ error: PGError) -> RehearseError {
            .refused("Cannot tell whether the checks wrote to the scratch database (\(error)); rehearse stops rather than assume they did not.")
        }
        let rows: [[String?]]
        do {
            rows = try db.rows("""
                SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'm') AND \(PostgresCatalog.userSchema) ORDER BY 1, 2
                """)
        } catch { throw refuse(error) }
        let tables = rows.map { PostgresCatalog.qualified(schema: $0[0]!, name: $0[1]!) } + watchedCatalogs.map { "pg_catalog.\($0)" }
        var found: [String] = []
        for table in tables {
            let hit: String?
            do { hit = try db.scalar("SELECT EXISTS (SELECT 1 FROM ONLY \(table) AS x WHERE \(newer))::text") } catch { throw refuse(error) }
            if hit == "true" { found.append(table) }
        }
        return found
    }

    package static let checkSavepoint = "rehearse_check"

    /// Runs one check so that it can look but never change anything the
    /// fingerprint sees: inside `BEGIN TRANSACTION READ ONLY` and a savepoint
    /// (in a subtransaction even `SET TRANSACTION READ WRITE` is refused),
    /// as one extended-protocol call (the server refuses several commands,
    /// so nothing can follow a COMMIT hidden in the text), then rolled back.
    /// Afterwards the connection must still be in that same transaction,
    /// read-only, with the savepoint in place; if the check ended or changed
    /// it (COMMIT, COMMIT AND CHAIN, ROLLBACK, RELEASE SAVEPOINT, SET
    /// TRANSACTION READ WRITE), the check fails, whatever it returned. If the
    /// tool cannot restore a clean read-only state for the next check, the
    /// run stops (fail closed).
    package static func runCheck(_ statement: ScriptStatement, in script: SQLScript, on db: PGConnection) throws -> (Bool, String) {
        do {
            try db.execute("BEGIN TRANSACTION READ ONLY")
            try db.execute("SAVEPOINT \(checkSavepoint)")
        } catch {
            throw RehearseError.environment("Cannot open the read-only transaction a check runs in: \(error).")
        }
        var returned: String
        var passed = false
        do {
            let result = try db.executeStatement(statement.sql)
            let rows = result.rows
            let text = rows.first?.first ?? nil
            let value: CheckJudgement.Value
            switch (text, result.columnCount > 0 ? result.columnType(0) : 0) {
            case (nil, _): value = .null
            case (let t?, PGResult.booleanType): value = .boolean(t == "t")
            case (let t?, let type) where PGResult.integerTypes.contains(type): value = Int64(t).map { .integer($0) } ?? .other
            default: value = .other
            }
            (passed, returned) = CheckJudgement.judge(rows: rows.count, columns: result.columnCount, value: value, shown: text ?? "NULL")
        } catch {
            if error.sqlstate == "42601" && error.message.contains("multiple commands") {
                returned = "error: the check is several SQL commands (\(error.message)); a check must be exactly one read-only query, so it was not run"
            } else {
                let failure = PostgresScript.failure(error, statement: statement, in: script)
                returned = "error at \(failure.line):\(failure.column): \(error)"
            }
        }
        // The same read-only transaction, savepoint included, must still be there.
        var escaped: String?
        let status = db.transactionStatus
        if status != PQTRANS_INTRANS && status != PQTRANS_INERROR {
            escaped = "it ended the read-only transaction it runs in (COMMIT, ROLLBACK or the like)"
        } else {
            do {
                try db.execute("ROLLBACK TO SAVEPOINT \(checkSavepoint)")
                if try db.scalar("SHOW transaction_read_only") != "on" {
                    escaped = "it made its transaction writable"
                }
            } catch {
                escaped = "it left the transaction it runs in (COMMIT AND CHAIN, RELEASE SAVEPOINT or the like)"
            }
        }
        if let escaped {
            passed = false
            returned = "refused: \(escaped); a check must be exactly one read-only query and change nothing. \(returned)"
        }
        _ = try? db.execute("ROLLBACK")
        guard db.transactionStatus == PQTRANS_IDLE else {
            throw RehearseError.environment("After a check, the connection could not return to a clean state (after the check at \(script.displayPath):\(script.line(ofByteOffset: statement.startOffset))); rehearse stops rather than run the next check in an unknown transaction.")
        }
        return (passed, returned)
    }
}
