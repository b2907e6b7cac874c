import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Measures a surrogate generated into PostgreSQL against its profile: the
/// SQLite report's row counts, null fractions and distinct counts, plus the
/// type-level facts a learned PostgreSQL profile records — each column's
/// type as the source catalog spelled it, partitions holding rows, and every
/// sequence a column uses standing past the loaded values.
public enum PostgresFidelity {
    public static func measure(server: PostgresServerAddress, profile: ShapeProfile, rows: [String: Int64]) throws -> [FidelityRow] {
        guard let database = server.namedDatabase else { return [] }
        let db = try PostgresScratch.open(server.parameters, database: database)
        do {
            return try measure(db, profile: profile, rows: rows)
        } catch {
            throw RehearseError.environment("Measuring the generated surrogate in database \(database) failed: \(error).")
        }
    }

    package static func measure(_ db: PGConnection, profile: ShapeProfile, rows: [String: Int64]) throws(PGError) -> [FidelityRow] {
        // The profiler's session: types are spelled the same way (schema-qualified).
        try PostgresFingerprinter.pin(db)
        let (shapes, relations) = try PostgresCatalog.tableShapes(db)
        let q = PGConnection.quoteIdentifier
        var out: [FidelityRow] = []
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        for tableName in profile.tables.keys.sorted() {
            guard let tp = profile.tables[tableName],
                  let shape = shapes.first(where: { $0.name.lowercased() == tableName.lowercased() }), let rel = relations[shape.name],
                  let planned = rows.first(where: { $0.key.lowercased() == tableName.lowercased() })?.value else { continue }
            let n = Int64(try db.scalar("SELECT count(*) FROM \(rel.qualified)") ?? "0") ?? 0
            out.append(FidelityRow(subject: shape.name, metric: "rows", target: String(planned), achieved: String(n), tolerance: "exact", withinTolerance: n == planned))
            let scale = tp.rows > 0 ? Double(planned) / Double(tp.rows) : 1
            for column in shape.columns {
                guard let observed = tp.columns.first(where: { $0.key.lowercased() == column.name.lowercased() })?.value.observed else { continue }
                let subject = "\(shape.name).\(column.name)"
                if let type = observed.type {
                    out.append(FidelityRow(subject: subject, metric: "type", target: type, achieved: column.declaredType,
                                           tolerance: "exact", withinTolerance: type == column.declaredType))
                }
                if let detail = observed.typeDetail, let fact = column.pgType {
                    // Labels, CHECKs, lengths and subtypes: the schema generated
                    // from must say what the profiled database said.
                    let same = detail == fact.detail
                    out.append(FidelityRow(subject: subject, metric: "type facts", target: same ? "as profiled" : detail,
                                           achieved: same ? "same" : fact.detail, tolerance: "exact", withinTolerance: same))
                }
                let c = q(column.name)
                let r = try db.rows("SELECT count(\(c))::text, count(DISTINCT \(c)::text)::text FROM \(rel.qualified)")[0]
                let nonNull = Int64(r[0] ?? "0") ?? 0, distinct = Int64(r[1] ?? "0") ?? 0
                // A type that holds fewer values (a boolean, an enum) caps
                // the distinct count any surrogate can reach.
                out += FidelityRow.columnRows(subject: subject, observed: observed, tableRows: tp.rows, scale: scale,
                                              rows: n, nonNull: nonNull, distinct: distinct, isForeignKey: shape.isForeignKey(column.name),
                                              distinctCap: column.pgType.flatMap { PostgresTypeGenerator.capacity($0) })
            }
            if let partitions = tp.observedPartitions, rel.kind == "p" {
                let leaves = try db.rows("SELECT t.relid::regclass::text FROM pg_catalog.pg_partition_tree(\(rel.oid)::oid::regclass) t WHERE t.isleaf")
                    .compactMap { $0[0] }
                var used: Int64 = 0
                for leaf in leaves where try db.scalar("SELECT EXISTS (SELECT 1 FROM \(leaf))::text") == "true" { used += 1 }
                out.append(FidelityRow(subject: shape.name, metric: "partitions", target: String(partitions.count), achieved: String(leaves.count),
                                       tolerance: "exact", withinTolerance: Int64(leaves.count) == partitions.count))
                // Rows reach at least as many partitions as they did in the source (when there are rows for it).
                let want = min(partitions.withRows, n)
                out.append(FidelityRow(subject: shape.name, metric: "partitions with rows", target: "≥ \(want)", achieved: String(used),
                                       tolerance: "at least", withinTolerance: used >= want))
            }
        }
        // Every sequence a column default or identity uses stands past the
        // loaded values, so the first INSERT after the load does not collide.
        for s in try PostgresSequences.positions(db) {
            out.append(FidelityRow(subject: s.sequence, metric: "sequence past loaded", target: "> \(s.loaded)", achieved: s.next,
                                   tolerance: "exact", withinTolerance: s.past))
        }
        return out
    }
}
