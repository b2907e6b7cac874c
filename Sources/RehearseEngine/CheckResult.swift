import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// The outcome of one check: a query that must return exactly one row whose
/// one value is true.
public struct CheckResult: Sendable, Equatable {
    /// The check's name: its last leading comment (less a `check:` prefix), else `check N (line L)`.
    public var name: String
    /// The checks file's display path.
    public var file: String
    /// The 1-based line where the check's statement starts.
    public var line: Int
    /// True when the query returned one row whose one value is true.
    public var passed: Bool
    /// What the query returned, in words (`1 row: 0`, `0 rows`, an error).
    public var returned: String
    /// The check's SQL as it ran.
    public var sql: String

    /// The evidence form: name, file, line, `outcome` (`pass` or `fail`) and returned; not the SQL.
    public var json: JSONValue {
        ["name": .string(name), "file": .string(file), "line": .integer(Int64(line)),
         "outcome": .string(passed ? "pass" : "fail"), "returned": .string(returned)]
    }

    package init(name: String, file: String, line: Int, passed: Bool, returned: String, sql: String) {
        self.name = name
        self.file = file
        self.line = line
        self.passed = passed
        self.returned = returned
        self.sql = sql
    }
}
