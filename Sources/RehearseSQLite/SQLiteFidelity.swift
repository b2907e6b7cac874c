import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Measures a generated surrogate against its profile: row counts, null
/// fractions and distinct counts per column, and per foreign key the share
/// of parents with no children, or the children per parent and the NULL
/// share a fan-out asked for.
package enum SQLiteFidelity {
    package static func measure(file: URL, profile: ShapeProfile, rows: [String: Int64]) throws -> [FidelityRow] {
        let db = try SQLiteFingerprint.open(file: file)
        return try FidelityRow.measure(profile: profile, rows: rows, with: Hooks(db: db, reader: SQLiteSchemaReader(db: db)))
    }

    /// The fidelity report's questions, in SQLite's SQL.
    private struct Hooks: FidelityHooks {
        let db: SQLiteConnection
        let reader: SQLiteSchemaReader
        let q = SQLiteFingerprinter.quote

        func table(_ name: String) throws -> (shape: TableShape, relation: String)? {
            let shape = try reader.table(name)
            return (shape, "main.\(q(shape.name))")
        }

        func rowCount(_ relation: String) throws -> Int64 {
            try SQLiteProfiler.count(db, "SELECT count(*) FROM \(relation)")
        }

        func counts(_ column: ColumnShape, of relation: String) throws -> (nonNull: Int64, distinct: Int64) {
            let r = try db.rows("SELECT count(\(q(column.name))), count(DISTINCT \(q(column.name))) FROM \(relation)")[0]
            return (r[0].int64 ?? 0, r[1].int64 ?? 0)
        }

        func tableRows(_ shape: TableShape, _ relation: String, profile tp: TableProfile, rows n: Int64) throws -> [FidelityRow] {
            var out: [FidelityRow] = []
            func f(_ x: Double) -> String { String(format: "%.3f", x) }
            // Fan-outs the profile asks for: the children per parent and the NULL share.
            for spec in tp.fanOuts {
                guard let fk = shape.foreignKeys.first(where: { $0.columns.map { $0.lowercased() } == spec.columns.map { $0.lowercased() } }) else { continue }
                let parentKey = fk.parentColumns.isEmpty ? try reader.table(fk.parentTable).primaryKey : fk.parentColumns
                let on = zip(fk.columns, parentKey).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                let r = try db.rows("""
                    SELECT coalesce(min(n), 0), coalesce(max(n), 0) FROM (
                      SELECT count(c.\(q(fk.columns[0]))) AS n FROM main.\(q(fk.parentTable)) p
                      LEFT JOIN main.\(q(shape.name)) c ON \(on) GROUP BY \(parentKey.map { "p." + q($0) }.joined(separator: ", ")))
                    """)[0]
                let least = r[0].int64 ?? 0, most = r[1].int64 ?? 0
                let subject = "\(shape.name)(\(spec.columns.joined(separator: ", "))) → \(fk.parentTable)"
                let bound = spec.maxChildren.map { "\(spec.minChildren)...\($0)" } ?? "≥ \(spec.minChildren)"
                out.append(FidelityRow(subject: subject, metric: "children per parent", target: bound, achieved: "\(least)...\(most)",
                                       tolerance: "exact", withinTolerance: least >= spec.minChildren && spec.maxChildren.map { most <= $0 } != false))
                if let p = spec.nullFraction {
                    let nulls = try SQLiteProfiler.count(db, "SELECT count(*) FROM main.\(q(shape.name)) WHERE \(q(fk.columns[0])) IS NULL")
                    let achieved = n == 0 ? 0 : Double(nulls) / Double(n)
                    let tol = 1 / Double(max(n, 1))
                    out.append(FidelityRow(subject: subject, metric: "null fraction", target: f(p), achieved: f(achieved),
                                           tolerance: "exact", withinTolerance: abs(achieved - p) <= tol))
                }
            }
            for (columns, histogram) in tp.observedFanOuts where !histogram.isEmpty {
                guard let fk = shape.foreignKeys.first(where: { $0.columns.map { $0.lowercased() } == columns.map { $0.lowercased() } }) else { continue }
                let parentKey = fk.parentColumns.isEmpty ? try reader.table(fk.parentTable).primaryKey : fk.parentColumns
                let on = zip(fk.columns, parentKey).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                let r = try db.rows("""
                    SELECT count(*), coalesce(sum(n = 0), 0) FROM (
                      SELECT count(c.\(q(fk.columns[0]))) AS n FROM main.\(q(fk.parentTable)) p
                      LEFT JOIN main.\(q(shape.name)) c ON \(on) GROUP BY \(parentKey.map { "p." + q($0) }.joined(separator: ", ")))
                    """)[0]
                let parents = r[0].int64 ?? 0
                let observedParents = histogram.reduce(0) { $0 + $1.parents }
                let observedChildless = histogram.first { $0.bucket == "0" }?.parents ?? 0
                let subject = "\(shape.name)(\(columns.joined(separator: ", "))) → \(fk.parentTable)"
                let targetShare = observedParents == 0 ? 0 : Double(observedChildless) / Double(observedParents)
                let share = parents == 0 ? 0 : Double(r[1].int64 ?? 0) / Double(parents)
                out.append(FidelityRow(subject: subject, metric: "parents without children", target: f(targetShare), achieved: f(share),
                                       tolerance: "± 0.150", withinTolerance: abs(share - targetShare) <= 0.15))
            }
            return out
        }
    }
}
