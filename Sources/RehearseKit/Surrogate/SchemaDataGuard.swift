import CSQLite3
import Foundation

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
/// Literal values inside definitions (a view's VALUES, a DEFAULT, a CHECK,
/// a comment) are structure: they are in the fingerprint, not in rows.
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
    package static func check(_ schema: SQLScript, dialect: String) throws {
        let statements = dialect == "sqlite" ? sqliteStatements(schema.text) : PostgresScript.statements(schema)
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
            throw RehearseError.refused("\(schema.displayPath):\(loc.line):\(loc.column): \(why) - in statement `\(SQLiteError.excerpt(statement.sql))`. A schema file defines structure only: under \(Lane.holdRealData.rawValue) every row of a surrogate must come from the generator, and rows from the schema could be real data presented as generated. Remove the statement and describe the data's shape in the profile instead.")
        }
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
        while kindIndex < t.count, ["or", "replace", "temp", "temporary", "unlogged", "global", "local"].contains(t[kindIndex]) { kindIndex += 1 }
        let kind = first == "create" && kindIndex < t.count ? t[kindIndex] : ""
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
                if query.contains("values") || !query.contains("from") {
                    return "CREATE MATERIALIZED VIEW fills the view with rows written in the schema (VALUES or a SELECT from no table), not derived from the generated tables"
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

    /// The statements of an SQLite script, split where SQLite's own
    /// `sqlite3_complete` says a statement ends (so a trigger's
    /// `BEGIN … END;` and semicolons in strings or comments stay inside).
    package static func sqliteStatements(_ text: String) -> [ScriptStatement] {
        var bytes = Array(text.utf8) + [0]
        let end = bytes.count - 1
        var out: [ScriptStatement] = []
        var offset = 0
        while true {
            let (start, comments) = SQLiteConnection.skipBlank(bytes, from: offset)
            if start >= end { break }
            var stop = end
            var j = start
            // sqlite3_complete rescans from the statement's start, so it is
            // asked only at a semicolon outside quotes and comments (a
            // trigger body's few): a string of many semicolons stays linear.
            var quote: UInt8 = 0
            while j < end {
                let c = bytes[j]
                if quote != 0 {
                    if c == quote { quote = 0 }
                } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    quote = c
                } else if c == UInt8(ascii: "[") {
                    quote = UInt8(ascii: "]")
                } else if c == UInt8(ascii: "-"), bytes[j + 1] == UInt8(ascii: "-") {
                    while j < end && bytes[j] != 0x0a { j += 1 }
                    continue
                } else if c == UInt8(ascii: "/"), bytes[j + 1] == UInt8(ascii: "*") {
                    j += 2
                    while j < end && !(bytes[j] == UInt8(ascii: "*") && bytes[j + 1] == UInt8(ascii: "/")) { j += 1 }
                    j += 2
                    continue
                } else if c == UInt8(ascii: ";") {
                    // Ends the text at the semicolon for the call, in place.
                    let saved = bytes[j + 1]
                    bytes[j + 1] = 0
                    let complete = bytes.withUnsafeBufferPointer { buf in
                        sqlite3_complete(UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self)) != 0
                    }
                    bytes[j + 1] = saved
                    if complete { stop = j + 1; break }
                }
                j += 1
            }
            stop = min(stop, end)
            out.append(ScriptStatement(startOffset: start, sql: String(decoding: bytes[start..<stop], as: UTF8.self), leadingComments: comments))
            offset = stop
        }
        return out
    }

    package static func triggerBeforeData(_ schema: SQLScript, _ what: String) -> RehearseError {
        .refused("\(schema.displayPath): \(what) exists before the generator's rows are loaded, so it would fire on them and could rewrite them with values of its own. rehearse creates the schema's triggers and rules after the data; this one was made by other code (a DO block, a function called at load time). Create it with a plain CREATE statement in the schema file.")
    }

    /// SQLite: no trigger may exist when the rows go in (the loader makes
    /// the schema's triggers after the data).
    package static func verifyNoTriggers(_ db: SQLiteConnection, schema: SQLScript) throws {
        if let row = try db.rows("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").first {
            throw triggerBeforeData(schema, "the trigger \(row[0].textValue ?? "?") on table \(row[1].textValue ?? "?")")
        }
    }

    /// PostgreSQL: no user trigger and no rule on a table may exist when the
    /// rows go in. The loader makes the schema's triggers and rules after the
    /// data, so one that exists now was made by code (a DO block's EXECUTE,
    /// a function a SELECT called), and a BEFORE INSERT trigger could rewrite
    /// every generated value while the row count stays right.
    package static func verifyNoTriggers(_ db: PGConnection, schema: SQLScript) throws {
        do {
            if let row = try db.rows("""
                SELECT t.tgname, c.relname FROM pg_catalog.pg_trigger t
                JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE NOT t.tgisinternal AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw triggerBeforeData(schema, "the trigger \(row[0] ?? "?") on table \(row[1] ?? "?")")
            }
            if let row = try db.rows("SELECT evtname FROM pg_catalog.pg_event_trigger ORDER BY 1 LIMIT 1").first {
                throw triggerBeforeData(schema, "the event trigger \(row[0] ?? "?")")
            }
            // A CHECK (of a table or a domain) runs for every row COPY writes;
            // a volatile function of the user's in it could write to tables
            // already loaded. Built-in functions and non-volatile ones cannot
            // write (PostgreSQL runs a stable or immutable function read-only).
            if let row = try db.rows("""
                SELECT con.conname, coalesce(c.relname, t.typname), p.proname
                FROM pg_catalog.pg_constraint con
                JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = con.oid
                     AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
                JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
                LEFT JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
                LEFT JOIN pg_catalog.pg_type t ON t.oid = con.contypid
                WHERE con.contype = 'c' AND p.provolatile = 'v' AND pn.nspname NOT IN ('pg_catalog', 'information_schema')
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw RehearseError.refused("\(schema.displayPath): the CHECK constraint \(row[0] ?? "?") on \(row[1] ?? "?") calls the volatile function \(row[2] ?? "?")(), which runs for every generated row and could write rows or rewrite values. A CHECK must not change data; declare the function IMMUTABLE or STABLE (PostgreSQL then runs it read-only).")
            }
            if let row = try db.rows("""
                SELECT r.rulename, c.relname FROM pg_catalog.pg_rewrite r
                JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE r.rulename <> '_RETURN' AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw triggerBeforeData(schema, "the rule \(row[0] ?? "?") on table \(row[1] ?? "?")")
            }
        } catch let error as PGError {
            throw RehearseError.environment("Reading the PostgreSQL catalog failed: \(error).")
        }
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

    /// SQLite: every table of the main database holds exactly the generated
    /// rows (SQLite's own `sqlite_` tables, the provenance table, virtual
    /// tables and their shadow tables aside), and no other database is attached.
    package static func verifyRows(_ db: SQLiteConnection, plan: SurrogatePlan, schema: SQLScript) throws {
        let expected = Dictionary(expectedRows(plan).map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: max)
        if let other = try db.rows("SELECT name FROM pragma_database_list WHERE name NOT IN ('main', 'temp')").first {
            throw RehearseError.refused("\(schema.displayPath): after the load, the database \(other[0].textValue ?? "?") is attached. A schema file may not attach other databases; remove the ATTACH.")
        }
        let all = try db.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        let virtual = all.filter { ($0[1].textValue ?? "").uppercased().hasPrefix("CREATE VIRTUAL") }.compactMap { $0[0].textValue?.lowercased() }
        for row in all {
            guard let name = row[0].textValue, name.lowercased() != SurrogateTag.provenanceTable else { continue }
            let lower = name.lowercased()
            if virtual.contains(where: { lower == $0 || lower.hasPrefix($0 + "_") }) { continue }
            let count = try db.rows("SELECT count(*) FROM \(SQLiteFingerprinter.quote(name))").first?[0]
            guard case .integer(let holds)? = count else { continue }
            let wrote = expected[lower] ?? 0
            if holds != wrote { throw unexpectedRows(schema, table: name, holds: holds, wrote: wrote) }
        }
    }

    /// PostgreSQL: every table of the user's schemas (extension-owned ones
    /// aside; materialized views are derived) holds exactly the generated rows:
    /// a partitioned table counts its partitions' rows, an ordinary table only
    /// its own (ONLY). Row security is off for the count, so a policy cannot
    /// hide rows (the server refuses the count instead). No large object may exist.
    package static func verifyRows(_ db: PGConnection, plan: SurrogatePlan, schema: SQLScript) throws {
        let expected = expectedRows(plan)
        do {
            _ = try db.execute("SET row_security = off")
            // The schema may have defined public.count or an operator and put
            // public first on the role's search_path: a count it answers could
            // hide rows. pg_catalog first, and count schema-qualified.
            _ = try db.execute("SET search_path = pg_catalog, pg_temp")
            defer { _ = try? db.execute("RESET row_security"); _ = try? db.execute("RESET search_path") }
            let relations = try db.rows("""
                SELECT n.nspname, c.relname, c.relkind::text, c.relispartition::text
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY n.nspname, c.relname
                """)
            for r in relations {
                guard let nsp = r[0], let name = r[1], r[3] != "true" else { continue }
                if nsp == "public" && name == SurrogateTag.provenanceTable { continue }
                let qualified = PostgresCatalog.qualified(schema: nsp, name: name)
                let holds = Int64(try db.scalar("SELECT pg_catalog.count(*) FROM \(r[2] == "r" ? "ONLY " : "")\(qualified)") ?? "") ?? -1
                let display = PostgresCatalog.displayName(schema: nsp, name: name)
                let wrote = expected[display] ?? 0
                if holds != wrote { throw unexpectedRows(schema, table: display, holds: holds, wrote: wrote) }
            }
            let objects = try db.scalar("SELECT pg_catalog.count(*) FROM pg_catalog.pg_largeobject_metadata") ?? "0"
            if objects != "0" {
                throw RehearseError.refused("\(schema.displayPath): after the load, the database holds \(objects) large objects, which the generator never writes. Something in the schema file created them; remove it.")
            }
        } catch let error as PGError {
            throw RehearseError.refused("\(schema.displayPath): counting the rows of the loaded surrogate failed: \(error). A schema that hides rows from the count (a row security policy, say) cannot be verified; remove what blocks the count.")
        }
    }
}
