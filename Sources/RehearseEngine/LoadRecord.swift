import RehearseCore

/// What a load put into the scratch database.
public struct LoadRecord: Sendable {
    /// Rows loaded, by table name.
    public var rowsPerTable: [String: Int64]
    /// Rows loaded in all tables.
    public var totalRows: Int64
    /// What determines the data: the surrogate's spec digest, or for a dump clone the dump's SHA-256.
    public var specDigest: String
    /// The generator's seed (0 for a dump clone).
    public var seed: UInt64
    /// The scale the row counts were multiplied by (1 for a dump clone).
    public var scale: Double
    /// Roles a PostgreSQL schema file named and what stands for each in the
    /// scratch cluster: `scratch owner` (mapped), `created NOLOGIN` or
    /// `existing` (PgDumpSchemaPlan); recorded as evidence `source.roles`.
    public var roles: [String: String] = [:]

    package init(rowsPerTable: [String: Int64], totalRows: Int64, specDigest: String, seed: UInt64, scale: Double, roles: [String: String] = [:]) {
        self.rowsPerTable = rowsPerTable
        self.totalRows = totalRows
        self.specDigest = specDigest
        self.seed = seed
        self.scale = scale
        self.roles = roles
    }
}
