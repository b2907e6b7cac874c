import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Measures a surrogate generated into PostgreSQL against its profile: the
/// SQLite report's row counts, null fractions and distinct counts, plus the
/// type-level facts a learned PostgreSQL profile records — each column's
/// type as the source catalog spelled it, partitions holding rows, and every
/// sequence a column uses standing past the loaded values.
package enum PostgresFidelity {
    package static func measure(server: PostgresServerAddress, profile: ShapeProfile, rows: [String: Int64]) throws -> [FidelityRow] {
        guard let database = server.namedDatabase else { return [] }
        let db = try PostgresScratch.open(server.parameters, database: database)
        do {
            return try measure(db, profile: profile, rows: rows)
        } catch {
            throw RehearseError.environment("Measuring the generated surrogate in database \(database) failed: \(error).")
        }
    }

    package static func measure(_ db: PGConnection, profile: ShapeProfile, rows: [String: Int64]) throws -> [FidelityRow] {
        // The profiler's session: types are spelled the same way (schema-qualified).
        try PostgresFingerprinter.pin(db)
        let (shapes, relations) = try PostgresCatalog.tableShapes(db)
        return try FidelityRow.measure(profile: profile, rows: rows, with: Hooks(db: db, shapes: shapes, relations: relations))
    }

    /// The fidelity report's questions, in PostgreSQL's SQL.
    private struct Hooks: FidelityHooks {
        let db: PGConnection
        let shapes: [TableShape]
        let relations: [String: PostgresCatalog.Relation]

        func table(_ name: String) throws -> (shape: TableShape, relation: PostgresCatalog.Relation)? {
            guard let shape = shapes.first(where: { $0.name.lowercased() == name.lowercased() }), let rel = relations[shape.name] else { return nil }
            return (shape, rel)
        }

        func rowCount(_ rel: PostgresCatalog.Relation) throws -> Int64 {
            Int64(try db.scalar("SELECT count(*) FROM \(rel.qualified)") ?? "0") ?? 0
        }

        func typeRows(_ column: ColumnShape, subject: String, observed: ColumnProfile.Observed) -> [FidelityRow] {
            var out: [FidelityRow] = []
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
            return out
        }

        func counts(_ column: ColumnShape, of rel: PostgresCatalog.Relation) throws -> (nonNull: Int64, distinct: Int64) {
            let c = PGConnection.quoteIdentifier(column.name)
            let r = try db.rows("SELECT count(\(c))::text, count(DISTINCT \(c)::text)::text FROM \(rel.qualified)")[0]
            return (Int64(r[0] ?? "0") ?? 0, Int64(r[1] ?? "0") ?? 0)
        }

        /// A type that holds fewer values (a boolean, an enum) caps the
        /// distinct count any surrogate can reach.
        func distinctCap(_ column: ColumnShape) -> Int64? {
            column.pgType.flatMap { PostgresTypeGenerator.capacity($0) }
        }

        func tableRows(_ shape: TableShape, _ rel: PostgresCatalog.Relation, profile tp: TableProfile, rows n: Int64) throws -> [FidelityRow] {
            guard let partitions = tp.observedPartitions, rel.kind == "p" else { return [] }
            let leaves = try db.rows("SELECT t.relid::regclass::text FROM pg_catalog.pg_partition_tree(\(rel.oid)::oid::regclass) t WHERE t.isleaf")
                .compactMap { $0[0] }
            var used: Int64 = 0
            for leaf in leaves where try db.scalar("SELECT EXISTS (SELECT 1 FROM \(leaf))::text") == "true" { used += 1 }
            // Rows reach at least as many partitions as they did in the source (when there are rows for it).
            let want = min(partitions.withRows, n)
            return [
                FidelityRow(subject: shape.name, metric: "partitions", target: String(partitions.count), achieved: String(leaves.count),
                            tolerance: "exact", withinTolerance: Int64(leaves.count) == partitions.count),
                FidelityRow(subject: shape.name, metric: "partitions with rows", target: "≥ \(want)", achieved: String(used),
                            tolerance: "at least", withinTolerance: used >= want),
            ]
        }

        /// Every sequence a column default or identity uses stands past the
        /// loaded values, so the first INSERT after the load does not collide.
        func closingRows() throws -> [FidelityRow] {
            try PostgresSequences.positions(db).map { s in
                FidelityRow(subject: s.sequence, metric: "sequence past loaded", target: "> \(s.loaded)", achieved: s.next,
                            tolerance: "exact", withinTolerance: s.past)
            }
        }
    }
}
