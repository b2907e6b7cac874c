import RehearseCore

/// What a load put into the scratch database.
public struct LoadRecord: Sendable {
    public var rowsPerTable: [String: Int64]
    public var totalRows: Int64
    public var specDigest: String
    public var seed: UInt64
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
