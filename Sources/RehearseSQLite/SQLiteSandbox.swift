import CSQLite3
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// What SQL written by a user may do on one of rehearse's SQLite connections.
///
/// Every connection gets an authorizer (sqlite3_set_authorizer) that asks this
/// object about each action while a statement is prepared. A script or schema
/// may change the scratch database however it likes, but nothing it runs may
/// name another file: ATTACH, DETACH and VACUUM (which SQLite authorizes as an
/// ATTACH of its target; `VACUUM INTO` would otherwise write a full copy of the
/// database anywhere) are denied, and so are the PRAGMAs that change where or
/// how SQLite writes files. A check may only read. The tool's own statements
/// (``SQLiteConnection/execute(_:)``) and its one reference attach for drift
/// localization are the only exceptions, each allowed by a flag set around it.
package final class SQLiteSandbox {
    package enum Policy: Equatable {
        /// May change the scratch database, may not reach another file.
        /// `context` names the SQL's source in messages ("a rehearsal script").
        case script(context: String)
        /// May only read: SELECT, reading PRAGMAs, harmless functions.
        case check
    }

    package var policy: Policy = .script(context: "a surrogate schema")
    /// Set only while the tool runs its own SQL.
    package var trusted = false
    /// The one file the tool itself may attach, set only around that ATTACH.
    package var allowedAttach: String?
    /// Why the last statement was refused, for the error message.
    package private(set) var lastDenial: String?

    package func clearDenial() { lastDenial = nil }

    /// PRAGMAs whose argument names a table, index or schema instead of setting
    /// anything (SQLite passes table-valued `pragma_table_info('t')` the same way).
    package static let pragmasWithLookupArgument: Set<String> = [
        "table_info", "table_xinfo", "index_info", "index_xinfo", "index_list", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "table_list",
    ]
    /// PRAGMAs a rehearsal script may set: they change only this connection's
    /// behaviour or the database's own header fields, never its files.
    package static let settablePragmas: Set<String> = [
        "foreign_keys", "defer_foreign_keys", "legacy_alter_table", "user_version", "application_id",
        "recursive_triggers", "case_sensitive_like", "ignore_check_constraints", "cache_size", "busy_timeout",
        "reverse_unordered_selects", "automatic_index", "analysis_limit", "optimize", "cell_size_check",
    ]
    /// PRAGMAs a check may read (with no value): none of them changes anything.
    package static let readablePragmas: Set<String> = pragmasWithLookupArgument.union([
        "user_version", "application_id", "schema_version", "data_version", "page_count", "page_size",
        "freelist_count", "max_page_count", "encoding", "collation_list", "function_list", "module_list",
        "pragma_list", "database_list", "compile_options", "foreign_keys", "defer_foreign_keys", "auto_vacuum",
        "journal_mode", "synchronous", "cache_size", "recursive_triggers", "case_sensitive_like",
        "legacy_alter_table", "automatic_index", "busy_timeout",
    ])
    /// Functions with effects beyond their result: loading code, registering a
    /// tokenizer by pointer. Also disabled through sqlite3_db_config.
    package static let unsafeFunctions: Set<String> = ["load_extension", "fts3_tokenizer"]

    /// SQLITE_OK or SQLITE_DENY for one action (see sqlite3_set_authorizer).
    package func authorize(_ action: Int32, _ a1: String?, _ a2: String?) -> Int32 {
        if trusted { return SQLITE_OK }
        let context = switch policy {
        case .script(let context): context
        case .check: "a check"
        }
        func deny(_ what: String, _ why: String) -> Int32 {
            lastDenial = "\(what) is not allowed in \(context): \(why)"
            return SQLITE_DENY
        }
        switch action {
        case SQLITE_ATTACH:
            if let allowed = allowedAttach, a1 == allowed { return SQLITE_OK }
            if let file = a1, !file.isEmpty {
                return deny("ATTACH or VACUUM INTO ('\(file)')", "it would open or write a file outside the scratch database. Remove the statement; rehearse gives SQL only the scratch database")
            }
            return deny("VACUUM", "rehearse owns the scratch database's file. Remove the statement")
        case SQLITE_DETACH:
            return deny("DETACH", "rehearse gives SQL only the scratch database, so there is nothing to detach. Remove the statement")
        case SQLITE_FUNCTION:
            if let name = a2?.lowercased(), Self.unsafeFunctions.contains(name) {
                return deny("The function \(name)()", "it loads code or changes SQLite itself. Remove the call")
            }
            return SQLITE_OK
        case SQLITE_PRAGMA:
            let name = (a1 ?? "").lowercased()
            if policy == .check {
                if a2 == nil ? Self.readablePragmas.contains(name) : Self.pragmasWithLookupArgument.contains(name) { return SQLITE_OK }
                return deny("PRAGMA \(name)\(a2.map { " = \($0)" } ?? "")", "checks only read, and this PRAGMA changes or may change the connection or the database. Query the state you need with SELECT instead")
            }
            if a2 == nil, name != "writable_schema" { return SQLITE_OK }
            if Self.pragmasWithLookupArgument.contains(name) || Self.settablePragmas.contains(name) { return SQLITE_OK }
            return deny("PRAGMA \(name)\(a2.map { " = \($0)" } ?? "")", "it changes how or where SQLite writes files or the schema itself, which rehearse controls. Remove the statement")
        default:
            guard policy == .check else { return SQLITE_OK }
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE: return SQLITE_OK
            // Table-valued PRAGMA functions (pragma_table_info('t')) ask for
            // UPDATE on the schema table while SQLite sets them up; nothing can
            // write that table here (read-only connection, defensive mode).
            case SQLITE_UPDATE where a1 == "sqlite_master" || a1 == "sqlite_temp_master": return SQLITE_OK
            default:
                return deny(Self.actionName(action, a1), "checks run read-only and must not change anything, not even temporary objects. Write the check as one SELECT returning 1 for pass")
            }
        }
    }

    /// The sentence for VACUUM and VACUUM INTO, which the authorizer cannot
    /// tell apart from ATTACH before they run.
    package var vacuumRefusal: String {
        let context = switch policy {
        case .script(let context): context
        case .check: "a check"
        }
        return "VACUUM and VACUUM INTO are not allowed in \(context): VACUUM INTO writes a copy of the database to any file, and rehearse owns the scratch database's file. Remove the statement"
    }

    package static func actionName(_ action: Int32, _ a1: String?) -> String {
        let target = a1.map { " (\($0))" } ?? ""
        switch action {
        case SQLITE_INSERT: return "INSERT" + target
        case SQLITE_UPDATE: return "UPDATE" + target
        case SQLITE_DELETE: return "DELETE" + target
        case SQLITE_TRANSACTION: return "A transaction statement"
        case SQLITE_SAVEPOINT: return "SAVEPOINT"
        case SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TABLE: return "CREATE TABLE" + target
        case SQLITE_CREATE_TEMP_VIEW, SQLITE_CREATE_VIEW: return "CREATE VIEW" + target
        case SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_TRIGGER: return "CREATE TRIGGER" + target
        case SQLITE_CREATE_TEMP_INDEX, SQLITE_CREATE_INDEX: return "CREATE INDEX" + target
        case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE" + target
        case SQLITE_ALTER_TABLE: return "ALTER TABLE"
        case SQLITE_REINDEX: return "REINDEX"
        case SQLITE_ANALYZE: return "ANALYZE"
        default:
            if (SQLITE_DROP_INDEX...SQLITE_DROP_VIEW).contains(action) || action == SQLITE_DROP_VTABLE { return "DROP" + target }
            return "This statement (SQLite action \(action))"
        }
    }
}

extension SQLiteConnection {
    /// Installs the authorizer and turns off what no rehearse connection
    /// needs: extension loading, trusting functions named in the schema, and
    /// attaching other databases.
    package func installSandbox() {
        _ = rehearse_sqlite3_db_config_bool(handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0)
        _ = rehearse_sqlite3_db_config_bool(handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0)
        _ = rehearse_sqlite3_db_config_bool(handle, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0)
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        sqlite3_set_authorizer(handle, { context, action, a1, a2, _, _ in
            guard let context else { return SQLITE_DENY }
            let sandbox = Unmanaged<SQLiteSandbox>.fromOpaque(context).takeUnretainedValue()
            return sandbox.authorize(action, a1.map { String(cString: $0) }, a2.map { String(cString: $0) })
        }, Unmanaged.passUnretained(sandbox).toOpaque())
    }

    /// Restricts the connection for SQL a user wrote: the policy, plus
    /// defensive mode (no writable_schema, no journal_mode=OFF, no writes to
    /// sqlite_dbpage or shadow tables). Set after the tool's own setup.
    package func restrict(to policy: SQLiteSandbox.Policy) {
        _ = rehearse_sqlite3_db_config_bool(handle, SQLITE_DBCONFIG_DEFENSIVE, 1)
        sandbox.policy = policy
    }

    /// Attaches the tool's own reference database: the only ATTACH any
    /// connection allows, and only for this file while this call runs.
    package func attachReference(_ file: String, as name: String) throws {
        sandbox.allowedAttach = file
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 1)
        defer {
            sandbox.allowedAttach = nil
            sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        }
        // A literal, not a bound parameter: the authorizer sees a literal's
        // text and can compare it with the one allowed file.
        try prepare("ATTACH DATABASE '\(file.replacingOccurrences(of: "'", with: "''"))' AS \(name)").step()
    }
}
