import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What a migration script holds that changes how it can be rehearsed, and
/// the text rehearse runs for it, per dialect:
///
/// - psql meta-commands (`\copy … from program`, `\i`, ...) are never run:
///   rehearse runs no program and reads no file a script names. A step with
///   one is reported not rehearsable, at the line.
/// - A script wrapped whole in its own `BEGIN; … COMMIT;` (the Sqitch shape)
///   runs with that pair blanked out (same bytes count, so every line keeps
///   its number): rehearse's own transaction takes its place. The guard that
///   a birth or rollback keeps rehearse's transaction open is not weakened.
/// - Any other transaction statement (a COMMIT in the middle, a SAVEPOINT)
///   and `CONCURRENTLY` mean the script runs outside one transaction: on
///   PostgreSQL statement by statement (`transactional: false`); SQLite
///   always runs a script in one transaction, so there the step is reported
///   not rehearsable.
package enum MigrationScan {
    package static let beginWords: Set<String> = ["begin", "begin transaction", "begin work", "start transaction", "begin immediate",
                                          "begin deferred", "begin exclusive", "begin isolation level serializable"]
    package static let endWords: Set<String> = ["commit", "commit transaction", "commit work", "end", "end transaction", "end work"]
    package static let controlWords: Set<String> = ["begin", "start", "commit", "end", "rollback", "savepoint", "release", "abort"]

    /// The engine a directory is read for: every split of a migration script
    /// (placeholder detection, meta-commands, transaction statements) follows
    /// that engine's rules, never PostgreSQL's on a SQLite walk. Set by
    /// ``MigrationLayout/read(_:dialect:)``.
    @TaskLocal package static var dialect: Dialect?

    /// Classifies a step a reader built (see ``MigrationStep/classify()``).
    package static func mark(_ step: inout MigrationStep) { step.classify() }

    package static func statements(_ text: String, dialect: Dialect) -> [ScriptStatement] {
        // A script too costly to split is looked at as one statement.
        dialect == .sqlite ? SQLiteStatements.split(text) ?? [ScriptStatement(startOffset: 0, sql: text, leadingComments: [])]
            : PostgresScript.statements(of: text)
    }

    package static func words(_ sql: String) -> String {
        var t = SQLNormalizer.tokens(sql).map { $0.lowercased() }
        while t.last == ";" { t.removeLast() }
        return t.joined(separator: " ")
    }

    package static func isTransactionControl(_ sql: String) -> Bool {
        guard let first = SQLNormalizer.tokens(sql).first?.lowercased(), controlWords.contains(first) else { return false }
        // `BEGIN` opening a PL block is not reachable at top level; `END` alone is COMMIT.
        return true
    }

    /// A script prepared to run: its text (with a wrapping pair blanked),
    /// whether it must run outside a transaction, and why not at all.
    package struct Prepared {
        package var script: MigrationScript
        package var ownTransactions = false
        /// A `BEGIN; … COMMIT;` pair wrapping the whole script was blanked.
        package var wrapped = false
        package var concurrently = false
        package var metaCommand: String?
        package var notes: [String] = []
    }

    /// `history`: every transaction statement is blanked (building the
    /// schema for later steps needs only the scripts' net effect).
    package static func prepare(_ script: MigrationScript, dialect: Dialect, wrapperEnds: Set<String> = endWords, history: Bool = false) -> Prepared {
        var out = Prepared(script: script)
        let list = statements(script.text, dialect: dialect)
        func fileLine(_ s: ScriptStatement) -> Int {
            script.line + script.text.utf8.prefix(s.startOffset).reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
        }
        // psql's rule: a backslash starting a statement is a meta-command
        // running to the end of its line. Statements are found by the
        // engine's own splitter (a SQLite script is not split by psql's rules).
        for s in list where s.sql.hasPrefix("\\") {
            out.metaCommand = "\(script.file):\(fileLine(s)): `\(SQLExcerpt.of(s.sql))` is a psql meta-command; rehearse never runs them (they run programs and read files)"
            return out
        }
        var blank: [ScriptStatement] = []
        if list.count >= 2, beginWords.contains(words(list.first!.sql)), wrapperEnds.contains(words(list.last!.sql)),
           !list.dropFirst().dropLast().contains(where: { isTransactionControl($0.sql) }) {
            blank = [list.first!, list.last!]
            out.wrapped = true
            out.notes.append("\(script.file): its own BEGIN (line \(fileLine(list.first!))) and \(words(list.last!.sql).uppercased()) (line \(fileLine(list.last!))) wrap the whole script; rehearse's transaction takes their place")
        } else if history {
            blank = list.filter { isTransactionControl($0.sql) }
        } else if let control = list.first(where: { isTransactionControl($0.sql) }) {
            out.ownTransactions = true
            out.notes.append("\(script.file):\(fileLine(control)): `\(SQLExcerpt.of(control.sql))` controls transactions inside the script")
        }
        if let c = list.first(where: { SQLNormalizer.tokens($0.sql).contains { $0.lowercased() == "concurrently" } }) {
            out.concurrently = true
            out.notes.append("\(script.file):\(fileLine(c)): CONCURRENTLY cannot run inside a transaction block")
        }
        if !blank.isEmpty {
            var bytes = Array(script.text.utf8)
            for s in blank {
                var i = s.startOffset
                // Blank the statement and its terminating semicolon, keeping newlines.
                let end = min(bytes.count, s.startOffset + s.sql.utf8.count)
                while i < end { if bytes[i] != 0x0a { bytes[i] = 0x20 }; i += 1 }
                var j = end
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: ";") { bytes[j] = 0x20 }
            }
            out.script.text = String(decoding: bytes, as: UTF8.self)
        }
        return out
    }
}
