import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Learns a shape profile from an SQLite database without reading a single
/// value into the output: row counts, null fractions, distinct counts,
/// average and maximum widths, numeric ranges rounded out to powers of ten,
/// and foreign-key fan-out histograms. No most-common values, no histogram
/// bounds, no sample rows.
package enum SQLiteProfiler {
    package static func learn(file: URL) throws -> [LearnedProfile.Table] {
        let db = try SQLiteFingerprint.open(file: file)
        return try LearnedProfile.learn(with: Hooks(db: db, reader: SQLiteSchemaReader(db: db)))
    }

    /// The profiler loop's questions, in SQLite's SQL.
    private struct Hooks: ProfilerHooks {
        let db: SQLiteConnection
        let reader: SQLiteSchemaReader
        let q = SQLiteFingerprinter.quote

        func tables() throws -> [(shape: TableShape, relation: String)] {
            try reader.tables().map { ($0, "main.\(q($0.name))") }
        }

        func rowCount(_ relation: String) throws -> Int64 {
            try SQLiteProfiler.count(db, "SELECT count(*) FROM \(relation)")
        }

        func measure(_ c: ColumnShape, of relation: String) throws -> ColumnMeasure {
            let col = q(c.name)
            let r = try db.rows("""
                SELECT count(\(col)), count(DISTINCT \(col)), coalesce(avg(length(\(col))), 0), coalesce(max(length(\(col))), 0),
                       min(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                       max(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                       coalesce(sum(typeof(\(col)) = 'real' AND \(col) <> CAST(\(col) AS INTEGER)), 0),
                       coalesce(sum(typeof(\(col)) IN ('integer', 'real')), 0)
                FROM \(relation)
                """)[0]
            let nonNull = r[0].int64 ?? 0
            var range: (low: Double, high: Double, fractional: Bool)?
            if let lo = r[4].double, let hi = r[5].double, (r[7].int64 ?? 0) == nonNull, nonNull > 0 {
                range = (lo, hi, (r[6].int64 ?? 0) > 0)
            }
            return ColumnMeasure(nonNull: nonNull, distinct: r[1].int64 ?? 0, averageWidth: r[2].double ?? 0, maximumWidth: r[3].int64 ?? 0, numericRange: range)
        }

        func childrenPerParent(_ fk: ForeignKeyShape, child: String) throws -> [(children: Int64, parents: Int64)]? {
            let parentKey = fk.parentColumns.isEmpty ? try reader.table(fk.parentTable).primaryKey : fk.parentColumns
            guard parentKey.count == fk.columns.count else { return nil }
            let on = zip(fk.columns, parentKey).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
            return try db.rows("""
                SELECT n, count(*) FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM main.\(q(fk.parentTable)) p
                      LEFT JOIN \(child) c ON \(on) GROUP BY \(parentKey.map { "p." + q($0) }.joined(separator: ", ")))
                GROUP BY n ORDER BY n
                """).map { ($0[0].int64 ?? 0, $0[1].int64 ?? 0) }
        }
    }

    package static func count(_ db: SQLiteConnection, _ sql: String) throws -> Int64 {
        try db.rows(sql)[0][0].int64 ?? 0
    }

    /// The database's DDL (tables first, then indexes, views and triggers),
    /// without rehearse's own provenance table.
    package static func schemaDDL(file: URL) throws -> String {
        let db = try SQLiteFingerprint.open(file: file)
        let rows = try db.rows("""
            SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?
            ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
            """, [.text(SurrogateTag.provenanceTable)])
        return rows.compactMap { $0.first?.textValue }.map { $0 + ";\n\n" }.joined()
    }
}
