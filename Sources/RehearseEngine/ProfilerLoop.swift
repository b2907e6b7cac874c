import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// What one column measured: counts and widths, and the raw numeric
/// bounds before they are rounded out (never stored as such).
package struct ColumnMeasure {
    package var nonNull: Int64
    package var distinct: Int64
    package var averageWidth: Double
    package var maximumWidth: Int64
    /// The smallest and largest value when every non-null value is a
    /// number, and whether any has a fractional part.
    package var numericRange: (low: Double, high: Double, fractional: Bool)?
    /// PostgreSQL: the declared type and its type-level facts.
    package var type: String?
    package var typeDetail: String?

    package init(nonNull: Int64, distinct: Int64, averageWidth: Double, maximumWidth: Int64,
                 numericRange: (low: Double, high: Double, fractional: Bool)?, type: String? = nil, typeDetail: String? = nil) {
        self.nonNull = nonNull
        self.distinct = distinct
        self.averageWidth = averageWidth
        self.maximumWidth = maximumWidth
        self.numericRange = numericRange
        self.type = type
        self.typeDetail = typeDetail
    }
}

/// The engine hooks of the profiler loop (`LearnedProfile.learn`): each
/// engine answers the questions in its own SQL; the walk over tables,
/// columns and foreign keys, and what is made of the answers, is written once.
package protocol ProfilerHooks {
    /// How the engine names a table in its queries.
    associatedtype Relation
    /// The tables to profile, in order, each with its relation.
    func tables() throws -> [(shape: TableShape, relation: Relation)]
    func rowCount(_ relation: Relation) throws -> Int64
    func measure(_ column: ColumnShape, of relation: Relation) throws -> ColumnMeasure
    /// A learned range (already rounded out) brought inside what the column's type holds.
    func fit(_ range: (low: Int64, high: Int64, fractional: Bool), to column: ColumnShape) -> (low: Int64, high: Int64, fractional: Bool)
    /// Parents by number of children for one foreign key, or nil when the
    /// key cannot be joined (its parent or parent key is unknown).
    func childrenPerParent(_ fk: ForeignKeyShape, child: Relation) throws -> [(children: Int64, parents: Int64)]?
    /// Leaf partitions of a partitioned table and how many hold rows (nil otherwise).
    func partitions(_ relation: Relation) throws -> (count: Int64, withRows: Int64)?
}

extension ProfilerHooks {
    package func fit(_ range: (low: Int64, high: Int64, fractional: Bool), to column: ColumnShape) -> (low: Int64, high: Int64, fractional: Bool) { range }
    package func partitions(_ relation: Relation) throws -> (count: Int64, withRows: Int64)? { nil }
}

extension LearnedProfile {
    /// The profiler loop, for every engine: tables (without rehearse's
    /// provenance table) → row count → each column's measures → each foreign
    /// key's fan-out → partitions.
    package static func learn<Hooks: ProfilerHooks>(with hooks: Hooks) throws -> [Table] {
        var tables: [Table] = []
        for (shape, relation) in try hooks.tables() where shape.name.lowercased() != SurrogateTag.provenanceTable {
            let rows = try hooks.rowCount(relation)
            // Partition key columns count as keys: the generator steers
            // them into the partitions' bounds, so no learned range may override that.
            let keyColumns = Set(shape.primaryKey.map { $0.lowercased() } + shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } }
                                 + (shape.partitions?.keyColumns ?? []).map { $0.lowercased() })
            var columns: [Column] = []
            for c in shape.columns {
                let m = try hooks.measure(c, of: relation)
                let range = m.numericRange.map { hooks.fit((bucketDown($0.low), bucketUp($0.high), $0.fractional), to: c) }
                columns.append(Column(name: c.name, notNull: c.notNull, isKey: keyColumns.contains(c.name.lowercased()), affinity: c.affinity,
                                      nullFraction: rows == 0 ? 0 : Double(rows - m.nonNull) / Double(rows), distinct: m.distinct,
                                      averageWidth: m.averageWidth, maximumWidth: m.maximumWidth, range: range, type: m.type, typeDetail: m.typeDetail))
            }
            var fanOuts: [FanOut] = []
            for fk in shape.foreignKeys {
                guard let perCount = try hooks.childrenPerParent(fk, child: relation) else { continue }
                fanOuts.append(FanOut(columns: fk.columns, parent: fk.parentTable, histogram: histogram(perCount)))
            }
            var table = Table(name: shape.name, rows: rows, columns: columns, fanOuts: fanOuts)
            table.partitions = try hooks.partitions(relation)
            tables.append(table)
        }
        return tables
    }
}
