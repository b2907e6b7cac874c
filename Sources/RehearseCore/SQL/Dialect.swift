/// The SQL dialect of an engine: how its scripts split into statements,
/// which `.sqlite.sql` / `.postgres.sql` variant of an input it reads, and the
/// engine name evidence records.
public enum Dialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}
