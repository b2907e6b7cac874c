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
public enum SQLiteProfiler {
    public static func learn(file: URL) throws -> [LearnedProfile.Table] {
        let db = try SQLiteFingerprint.open(file: file)
        let reader = SQLiteSchemaReader(db: db)
        let q = SQLiteFingerprinter.quote
        var tables: [LearnedProfile.Table] = []
        for shape in try reader.tables() where shape.name.lowercased() != SurrogateTag.provenanceTable {
            let rows = try count(db, "SELECT count(*) FROM main.\(q(shape.name))")
            let keyColumns = Set(shape.primaryKey.map { $0.lowercased() } + shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
            var columns: [LearnedProfile.Column] = []
            for c in shape.columns {
                let col = q(c.name)
                let r = try db.rows("""
                    SELECT count(\(col)), count(DISTINCT \(col)), coalesce(avg(length(\(col))), 0), coalesce(max(length(\(col))), 0),
                           min(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                           max(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                           coalesce(sum(typeof(\(col)) = 'real' AND \(col) <> CAST(\(col) AS INTEGER)), 0),
                           coalesce(sum(typeof(\(col)) IN ('integer', 'real')), 0)
                    FROM main.\(q(shape.name))
                    """)[0]
                let nonNull = r[0].int64 ?? 0
                var range: (Int64, Int64, Bool)?
                if let lo = r[4].double, let hi = r[5].double, (r[7].int64 ?? 0) == nonNull, nonNull > 0 {
                    range = (LearnedProfile.bucketDown(lo), LearnedProfile.bucketUp(hi), (r[6].int64 ?? 0) > 0)
                }
                columns.append(LearnedProfile.Column(name: c.name, notNull: c.notNull, isKey: keyColumns.contains(c.name.lowercased()), affinity: c.affinity,
                                      nullFraction: rows == 0 ? 0 : Double(rows - nonNull) / Double(rows),
                                      distinct: r[1].int64 ?? 0, averageWidth: r[2].double ?? 0, maximumWidth: r[3].int64 ?? 0, range: range))
            }
            var fanOuts: [LearnedProfile.FanOut] = []
            for fk in shape.foreignKeys {
                let parentKey = fk.parentColumns.isEmpty ? try reader.table(fk.parentTable).primaryKey : fk.parentColumns
                guard parentKey.count == fk.columns.count else { continue }
                let on = zip(fk.columns, parentKey).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                let perCount = try db.rows("""
                    SELECT n, count(*) FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM main.\(q(fk.parentTable)) p
                          LEFT JOIN main.\(q(shape.name)) c ON \(on) GROUP BY \(parentKey.map { "p." + q($0) }.joined(separator: ", ")))
                    GROUP BY n ORDER BY n
                    """)
                fanOuts.append(LearnedProfile.FanOut(columns: fk.columns, parent: fk.parentTable,
                                      histogram: LearnedProfile.histogram(perCount.map { ($0[0].int64 ?? 0, $0[1].int64 ?? 0) })))
            }
            tables.append(LearnedProfile.Table(name: shape.name, rows: rows, columns: columns, fanOuts: fanOuts))
        }
        return tables
    }

    package static func count(_ db: SQLiteConnection, _ sql: String) throws -> Int64 {
        try db.rows(sql)[0][0].int64 ?? 0
    }

    /// The database's DDL (tables first, then indexes, views and triggers),
    /// without rehearse's own provenance table.
    public static func schemaDDL(file: URL) throws -> String {
        let db = try SQLiteFingerprint.open(file: file)
        let rows = try db.rows("""
            SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?
            ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
            """, [.text(SurrogateTag.provenanceTable)])
        return rows.compactMap { $0.first?.textValue }.map { $0 + ";\n\n" }.joined()
    }
}
