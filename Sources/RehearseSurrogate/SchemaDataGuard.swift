import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// A surrogate's schema file defines structure only. Every row of a surrogate
/// must come from the generator: rows written by the schema file would be
/// loaded under `HOLD_REAL_DATA` and tagged as generated, so real data could
/// pass for a surrogate. Three checks close that:
///
/// - ``check(_:dialect:)``, before anything is provisioned, refuses every
///   top-level statement that writes or brings in rows: INSERT, REPLACE,
///   UPSERT, UPDATE, DELETE, MERGE, COPY; the psql meta-commands that bring
///   rows or files in (`\copy`, `\i`, `\ir`, `\!`, ...; any other one but
///   pg_dump's `\restrict`/`\unrestrict` is bad input, exit 2, as it is not
///   SQL); CREATE TABLE … AS unless `WITH NO DATA`; a CREATE MATERIALIZED
///   VIEW whose rows come from no table (VALUES, a SELECT without FROM; one
///   derived from tables is made after the data and is structure, like a
///   view); REFRESH MATERIALIZED VIEW; SELECT … INTO; WITH … INSERT; EXPLAIN
///   ANALYZE or PREPARE of a write; EXECUTE; ATTACH; VACUUM INTO; CREATE
///   FOREIGN TABLE; IMPORT FOREIGN SCHEMA; CREATE EVENT TRIGGER; CREATE
///   SUBSCRIPTION; calls that read outside the database (`lo_import`,
///   `pg_read_file`, ...); and a SELECT that sets a setting (the loader
///   replays it on every loading connection, after rows are in) calling any
///   other function. Bodies of functions, procedures, triggers and rules are
///   code, not data, and are not refused. A DO block is code too and allowed
///   (schemas use it to create types conditionally); it runs before the data,
///   so what it does is caught by the two checks below.
/// - ``verifyNoTriggers(_:schema:)`` before the rows go in: no trigger,
///   rule or event trigger exists yet (the loader makes the schema's own
///   after the data, so one that exists was made by code, and could rewrite
///   every generated value while the counts stay right), and no CHECK calls a
///   volatile function of the user's (it would run for every row).
/// - ``verifyRows(_:plan:schema:)`` after the load counts the rows of every
///   table: each must hold exactly the rows the generator wrote, and a table
///   the generator does not fill must be empty. That catches rows that
///   any statement the first check does not recognise wrote.
///
/// Rows written as literals in a definition are data too, whatever holds
/// them: a view or materialized view whose query yields rows from no table
/// (a VALUES list anywhere in it, or a SELECT branch with no FROM that
/// selects a literal: `SELECT 'a@x' UNION ALL …`), and a set-returning
/// function whose body does the same (a VALUES list, `RETURN QUERY SELECT
/// 'a'`): each would hand real values to anyone who queries the surrogate.
/// They are refused naming the object. Single literal values inside
/// definitions (a DEFAULT, a CHECK, a comment, a WHERE) are structure: they
/// are in the fingerprint, not rows.
/// All three refuse with exit 3 (governance), naming the file and line, or
/// the table and the counts.
package enum SchemaDataGuard {
    /// Statements that write rows.
    package static let writeVerbs: Set<String> = ["insert", "replace", "upsert", "update", "delete", "merge", "copy"]
    /// Functions that read data from outside the scratch database.
    package static let outsideReaders: Set<String> = ["lo_import", "lo_from_bytea", "lo_put", "pg_read_file", "pg_read_binary_file",
                                              "dblink", "dblink_exec", "readfile", "load_extension"]
    /// psql meta-commands that bring rows or other files in.
    package static let dataMetaCommands: Set<String> = ["\\copy", "\\i", "\\ir", "\\include", "\\include_relative", "\\lo_import", "\\!", "\\g", "\\gexec"]
    /// Kinds of CREATE whose body is code, run only when called or fired.
    package static let codeKinds: Set<String> = ["function", "procedure", "trigger", "rule", "aggregate"]

    /// Refuses the first data-bearing statement of `schema`, naming its file,
    /// line and column.
    package static func check(_ schema: SQLScript, dialect: Dialect) throws {
        let statements: [ScriptStatement]
        if dialect == .sqlite {
            guard let split = SQLiteStatements.split(schema.text) else {
                throw RehearseError.refused("\(schema.displayPath): the schema has too many statement ends inside trigger bodies to check that it carries no data (more than \(SQLiteStatements.maxScanBytes >> 20) MiB to scan). Split the schema file, or shorten its triggers.")
            }
            statements = split
        } else {
            statements = PostgresScript.statements(schema)
        }
        for statement in statements {
            // Located only when refused: the column costs its line's bytes.
            var loc: (line: Int, column: Int) { schema.location(ofByteOffset: statement.startOffset) }
            // A psql meta-command that brings in no rows is simply not SQL:
            // bad input, as the loader says it.
            if statement.sql.hasPrefix("\\"), refusal(statement.sql) != nil {
                let command = statement.sql.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? statement.sql
                if !dataMetaCommands.contains(command) {
                    throw RehearseError.badInput("\(schema.displayPath):\(loc.line): \(command) is a psql meta-command, not SQL. Remove it from the schema file.")
                }
            }
            guard let why = refusal(statement.sql) else { continue }
            throw RehearseError.refused("\(schema.displayPath):\(loc.line):\(loc.column): \(why) - in statement `\(head(statement.sql))` (its values are not shown: they may be real). A schema file defines structure only: under \(Lane.holdRealData.rawValue) every row of a surrogate must come from the generator, and rows from the schema could be real data presented as generated. Remove the statement and describe the data's shape in the profile instead.")
        }
    }

    /// A statement's leading words, up to its first literal (at most eight).
    package static func head(_ sql: String) -> String {
        var words: [String] = []
        for token in SQLNormalizer.lex(sql) {
            let first = token.text.utf8.first ?? 0
            if !token.quoted && (first == UInt8(ascii: "'") || first == UInt8(ascii: "$") || (48...57).contains(first)) || words.count == 8 { break }
            words.append(token.quoted ? "\"" + token.text + "\"" : token.text)
        }
        return words.joined(separator: " ") + " …"
    }

    /// Why a top-level statement carries data, or nil when it is structure.
    package static func refusal(_ sql: String) -> String? {
        if sql.hasPrefix("\\") {
            let command = sql.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? sql
            if command == "\\restrict" || command == "\\unrestrict" { return nil }
            return "\(command) is a psql meta-command that brings rows or other files in (\\copy loads rows, \\i reads another file, \\! runs a program)"
        }
        var t = SQLNormalizer.tokens(sql)
        while t.last == ";" { t.removeLast() }
        guard let first = t.first else { return nil }
        func atTopLevel(_ word: String) -> Bool {
            var depth = 0
            for token in t {
                if token == "(" { depth += 1 } else if token == ")" { depth -= 1 } else if depth == 0 && token == word { return true }
            }
            return false
        }
        let noData = t.count >= 3 && Array(t.suffix(3)) == ["with", "no", "data"]
        var kindIndex = 1
        while kindIndex < t.count, ["or", "replace", "temp", "temporary", "unlogged", "global", "local", "recursive"].contains(t[kindIndex]) { kindIndex += 1 }
        let kind = first == "create" && kindIndex < t.count ? t[kindIndex] : ""
        if first == "create", kind == "function" || kind == "procedure", let why = LiteralRows.inSetReturningFunction(sql, tokens: t) {
            return why
        }
        if !(first == "create" && codeKinds.contains(kind)) {
            for (i, token) in t.enumerated() where outsideReaders.contains(token) && i + 1 < t.count && t[i + 1] == "(" {
                return "it calls \(token)(), which reads data from outside the scratch database"
            }
        }
        switch first {
        case _ where writeVerbs.contains(first):
            return "it writes rows (\(first.uppercased()))"
        case "with":
            if let verb = t.first(where: { writeVerbs.contains($0) }) { return "it writes rows (WITH … \(verb.uppercased()))" }
            if atTopLevel("into") { return "SELECT … INTO creates a table filled with rows" }
        case "select", "values", "table":
            if atTopLevel("into") { return "SELECT … INTO creates a table filled with rows" }
            // The loader replays a SELECT that sets a setting on every loading
            // connection, some opened after tables are filled: it may call
            // nothing but set_config and current_setting.
            if t.contains("set_config"), let call = calls(t).first(where: { !["set_config", "current_setting"].contains($0) }) {
                return "a SELECT that sets a setting runs again on every loading connection, after rows are in, and this one also calls \(call)(), which could write rows or rewrite them; set the setting alone"
            }
        case "explain":
            if let verb = t.first(where: { writeVerbs.contains($0) || $0 == "into" }) {
                return "EXPLAIN ANALYZE runs the statement it explains, which writes rows (\(verb.uppercased()))"
            }
        case "prepare":
            if let verb = t.first(where: { writeVerbs.contains($0) }) { return "it prepares a statement that writes rows (\(verb.uppercased()))" }
        case "execute":
            return "EXECUTE runs a prepared statement, which may write rows"
        case "attach":
            return "ATTACH opens another database file, whose rows would join the surrogate"
        case "vacuum":
            if atTopLevel("into") { return "VACUUM INTO writes the database to another file" }
        case "import":
            return "IMPORT FOREIGN SCHEMA makes tables whose rows live outside the scratch database"
        case "refresh":
            return "REFRESH MATERIALIZED VIEW fills a view with rows at load time"
        case "create":
            switch kind {
            case "table" where atTopLevel("as") && !noData:
                return "CREATE TABLE … AS fills the new table with rows (only WITH NO DATA is structure)"
            case "materialized" where !noData:
                // A materialized view made after the data is derived from the
                // generated tables by its query, as a view is; one whose rows
                // come from no table (VALUES, a SELECT without FROM) holds
                // rows written in the schema.
                let query = t.drop { $0 != "as" }
                if query.contains("values") || !query.contains("from") || LiteralRows.in(Array(query.dropFirst())) != nil {
                    return "CREATE MATERIALIZED VIEW \(LiteralRows.name(t, after: kindIndex + 1)) fills the view with rows written in the schema (VALUES or a SELECT from no table), not derived from the generated tables"
                }
            case "view":
                let query = Array(t.drop { $0 != "as" }.dropFirst())
                if let why = LiteralRows.in(query) {
                    return "CREATE VIEW \(LiteralRows.name(t, after: kindIndex)) yields rows written in the schema (\(why)), not derived from the generated tables"
                }
            case "foreign" where kindIndex + 1 < t.count && t[kindIndex + 1] == "table":
                return "CREATE FOREIGN TABLE makes a table whose rows live outside the scratch database"
            case "event":
                return "CREATE EVENT TRIGGER runs code on later DDL, rehearse's own included, and could rewrite the generated rows"
            case "subscription":
                return "CREATE SUBSCRIPTION copies rows from another server"
            default:
                break
            }
        default:
            break
        }
        return nil
    }

    /// Words a SELECT follows with a parenthesis without calling a function.
    package static let notCalls: Set<String> = ["in", "exists", "values", "any", "all", "some", "cast", "coalesce", "nullif", "greatest", "least",
                                        "row", "array", "select", "from", "where", "and", "or", "not", "as", "over", "filter", "within",
                                        "case", "when", "then", "else", "on", "using", "join", "lateral", "by", "with", "is", "between"]

    /// The names a statement's tokens call: a word followed by `(`.
    package static func calls(_ t: [String]) -> [String] {
        t.indices.dropLast().compactMap { i in
            let w = t[i]
            guard t[i + 1] == "(", let c = w.unicodeScalars.first, CharacterSet.letters.contains(c) || c == "_",
                  !notCalls.contains(w) else { return nil }
            return w
        }
    }

    package static func triggerBeforeData(_ schema: SQLScript, _ what: String) -> RehearseError {
        .refused("\(schema.displayPath): \(what) exists before the generator's rows are loaded, so it would fire on them and could rewrite them with values of its own. rehearse creates the schema's triggers and rules after the data; this one was made by other code (a DO block, a function called at load time). Create it with a plain CREATE statement in the schema file.")
    }

    package static func unexpectedRows(_ schema: SQLScript, table: String, holds: Int64, wrote: Int64) -> RehearseError {
        .refused("\(schema.displayPath): after the load, table \(table) holds \(holds) rows, but the generator wrote \(wrote). Something in the schema file (a trigger, rule, default, DO block or other code) wrote rows the generator did not; under \(Lane.holdRealData.rawValue) every row must come from the generator. Remove the code that writes rows from the schema file.")
    }

    /// Rows each generated table must hold: the planned count where the
    /// loader wrote rows, 0 where it wrote none.
    package static func expectedRows(_ plan: SurrogatePlan) -> [String: Int64] {
        var expected: [String: Int64] = [:]
        for table in plan.tables { expected[table.name] = table.rows > 0 && !table.columns.isEmpty ? table.rows : 0 }
        return expected
    }

}
