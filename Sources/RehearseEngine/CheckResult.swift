import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// The outcome of one check: a query that must return exactly one row whose
/// one value is true.
public struct CheckResult: Sendable, Equatable {
    public var name: String
    public var file: String
    public var line: Int
    public var passed: Bool
    /// What the query returned, in words (`1 row: 0`, `0 rows`, an error).
    public var returned: String
    public var sql: String

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
