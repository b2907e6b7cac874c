import RehearseCore
import RehearseEvidence

/// The parts of a schema the generator needs, read from the engine's catalog
/// after the schema DDL ran: columns, keys, foreign keys, unique sets.
package struct TableShape: Sendable {
    package var name: String
    package var columns: [ColumnShape]
    package var primaryKey: [String]
    package var foreignKeys: [ForeignKeyShape]
    /// Every UNIQUE or PRIMARY KEY column set.
    package var uniqueSets: [[String]]
    /// The text of every CHECK constraint (column or table), without the
    /// outer parentheses, e.g. `price_cents > 0`. Columns the profile is
    /// silent about get values inside the domains these describe.
    package var checks: [String] = []
    /// PostgreSQL: the partitioned table's key and bounds, so rows land in a partition.
    package var partitions: PartitionLayout? = nil
    /// Constraints other than CHECK the generator does not read (an EXCLUDE
    /// without a `WITH =` column), by text: `CheckPlan` treats their columns
    /// as those of an unread CHECK.
    package var unreadConstraints: [String] = []

    package init(name: String, columns: [ColumnShape], primaryKey: [String], foreignKeys: [ForeignKeyShape], uniqueSets: [[String]], checks: [String] = [], partitions: PartitionLayout? = nil) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.foreignKeys = foreignKeys
        self.uniqueSets = uniqueSets
        self.checks = checks
        self.partitions = partitions
    }
}

package struct ColumnShape: Sendable {
    package enum Affinity: Sendable { case integer, real, text, blob, numeric }
    package var name: String
    package var declaredType: String
    package var notNull: Bool
    /// PostgreSQL: the catalog's type, through domains and arrays; the
    /// default generator comes from it (`ColumnPlan.inferTyped`).
    package var pgType: PostgresTypeFact? = nil
    /// PostgreSQL: the column has a DEFAULT or is an identity column, so the
    /// server can fill it when the generator leaves it out of the COPY.
    package var hasDefault = false

    package var affinity: Affinity {
        if let pgType { return pgType.affinity }
        // SQLite's rules (section 3.1 of its datatype documentation), which also
        // map PostgreSQL's type names sensibly.
        let t = declaredType.uppercased()
        if t.contains("INT") || t.hasPrefix("SERIAL") || t.hasPrefix("BIGSERIAL") { return .integer }
        if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") || t.contains("UUID") { return .text }
        if t.isEmpty || t.contains("BLOB") || t.contains("BYTEA") { return .blob }
        if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") { return .real }
        return .numeric
    }

    package var looksBoolean: Bool { pgType.map { $0.baseName == "bool" } ?? declaredType.uppercased().hasPrefix("BOOL") }

    package init(name: String, declaredType: String, notNull: Bool, pgType: PostgresTypeFact? = nil, hasDefault: Bool = false) {
        self.name = name
        self.declaredType = declaredType
        self.notNull = notNull
        self.pgType = pgType
        self.hasDefault = hasDefault
    }
}

package struct ForeignKeyShape: Sendable {
    package var columns: [String]
    package var parentTable: String
    /// Empty means the parent's primary key.
    package var parentColumns: [String]
    /// PostgreSQL: the OID of the partition the key references, when it
    /// references one partition rather than its root (`parentTable`).
    package var parentLeaf: String? = nil
    /// PostgreSQL: a key declared on partitions of this table to partitions
    /// of the parent: per leaf OID of this table, the parent's leaf OID.
    package var leafMap: [String: String] = [:]

    package init(columns: [String], parentTable: String, parentColumns: [String]) {
        self.columns = columns
        self.parentTable = parentTable
        self.parentColumns = parentColumns
    }
}

extension TableShape {
    /// Whether a column (by name, as SQL compares it) is part of a foreign key.
    package func isForeignKey(_ column: String) -> Bool {
        foreignKeys.contains { $0.columns.contains { $0.lowercased() == column.lowercased() } }
    }
}
