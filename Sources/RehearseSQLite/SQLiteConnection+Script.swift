import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

extension SQLiteConnection {
    /// Runs every statement of a script in order, timing each. A failure names
    /// the file, line and column, the statement, and SQLite's message. With
    /// `inTransaction`, the caller's transaction must still be open after
    /// every statement: a `COMMIT; …; BEGIN;` pair would otherwise run what
    /// lies between outside it and look, at the end, as if nothing happened.
    package static let endedTransaction = "the script ended the surrounding transaction (COMMIT or ROLLBACK inside it); remove its own transaction statements, rehearse runs it in one transaction"

    package func runScript(_ script: SQLScript, inTransaction: Bool = false) throws(ScriptFailure) -> [StatementRecord] {
        var records: [StatementRecord] = []
        do {
            try forEachStatement(of: script) { statement, stmt in
                let clock = ContinuousClock.now
                let changesBefore = totalChanges
                while try stmt.step() {}
                let elapsed = ContinuousClock.now - clock
                if inTransaction && !isInTransaction {
                    throw ScriptFailure(in: script, atByteOffset: statement.startOffset, statement: statement.sql,
                                        engineMessage: Self.endedTransaction)
                }
                records.append(StatementRecord(
                    line: script.line(ofByteOffset: statement.startOffset),
                    durationMicros: elapsed.microseconds,
                    // The delta of total changes counts only rows that INSERT, UPDATE and
                    // DELETE touched (triggers included); sqlite3_changes() would
                    // repeat the last DML statement's count after DDL.
                    rowsChanged: totalChanges - changesBefore,
                    excerpt: SQLExcerpt.of(statement.sql, limit: 80)))
            }
        } catch let failure as ScriptFailure {
            throw failure
        } catch {
            throw ScriptFailure(unlocatedIn: script, engineMessage: "\(error)")
        }
        return records
    }

    /// Prepares each statement of the script in turn and hands it to `body`.
    /// Errors from preparing or from `body` come back as a ``ScriptFailure``
    /// located at the statement (or, for syntax errors, at the offending token).
    package func forEachStatement(of script: SQLScript, _ body: (ScriptStatement, SQLiteStatement) throws -> Void) throws {
        let bytes = Array(script.text.utf8) + [0]
        var offset = 0
        while true {
            let (start, comments) = ScriptBlank.skip(bytes, from: offset, nestedComments: false)
            if start >= bytes.count - 1 { break }
            var stmtHandle: OpaquePointer?
            var tailOffset = start
            var errorOffset: Int32 = -1
            sandbox.clearDenial()
            let rc = bytes.withUnsafeBufferPointer { buf -> Int32 in
                let base = UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(handle, base + start, -1, &stmtHandle, &tail)
                if let tail { tailOffset = base.distance(to: tail) }
                if rc != SQLITE_OK { errorOffset = sqlite3_error_offset(handle) }
                return rc
            }
            let statementText = String(decoding: bytes[start..<max(start, min(tailOffset, bytes.count - 1))], as: UTF8.self)
            if rc != SQLITE_OK {
                let denied = sandbox.lastDenial != nil
                let message = refusalMessage
                sqlite3_finalize(stmtHandle)
                let at = errorOffset >= 0 ? start + Int(errorOffset) : start
                let fullStatement = statementText.isEmpty ? String(decoding: bytes[start..<(bytes.count - 1)], as: UTF8.self) : statementText
                throw ScriptFailure(in: script, atByteOffset: at, statement: fullStatement,
                                    engineMessage: denied ? message : "SQLite error \(rc): \(message)")
            }
            guard let stmtHandle else { break }
            let statement = SQLiteStatement(handle: stmtHandle, connection: self, sql: statementText)
            // VACUUM has no authorizer action of its own: SQLite asks only at
            // run time, for the ATTACH of its target, after refusing it inside
            // a transaction with its own message. Refuse it here, by name.
            if SQLNormalizer.tokens(String(statementText.prefix(16))).first == "vacuum" {
                throw ScriptFailure(in: script, atByteOffset: start, statement: statementText, engineMessage: sandbox.vacuumRefusal)
            }
            let scriptStatement = ScriptStatement(startOffset: start, sql: statementText, leadingComments: comments)
            do {
                try body(scriptStatement, statement)
            } catch let error as SQLiteError {
                throw ScriptFailure(in: script, atByteOffset: start, statement: statementText,
                                    engineMessage: "SQLite error \(error.resultCode): \(error.message)")
            }
            offset = tailOffset
        }
    }
}
