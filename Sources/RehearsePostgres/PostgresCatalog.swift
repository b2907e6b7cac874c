import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Catalog queries shared by the PostgreSQL loader, fingerprinter and drift
/// locator. Only user schemas count: not pg_catalog, information_schema,
/// pg_toast or temporary schemas, and not objects an extension owns.
package enum PostgresCatalog {
    /// `n` is a pg_namespace alias.
    package static let userSchema = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"

    /// Excludes objects that belong to an extension (`oid` is the object's oid column, `catalog` its catalog).
    package static func notFromExtension(_ oid: String, _ catalog: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '\(catalog)'::pg_catalog.regclass AND d.objid = \(oid) AND d.deptype = 'e')"
    }

    /// How tables are named in fingerprints, drift and the profile: bare in
    /// `public`, `schema.name` elsewhere.
    /// A part with a dot or a double quote is quoted, so `"a.b"` in public
    /// and `b` in schema `a` never share a name.
    package static func displayName(schema: String, name: String) -> String {
        func part(_ s: String) -> String {
            s.contains(".") || s.contains("\"") ? PGConnection.quoteIdentifier(s) : s
        }
        return schema == "public" ? part(name) : part(schema) + "." + part(name)
    }

    package static func qualified(schema: String, name: String) -> String {
        PGConnection.quoteIdentifier(schema) + "." + PGConnection.quoteIdentifier(name)
    }

    /// A user table that holds rows: ordinary tables and partitions (`r`),
    /// partitioned parents (`p`, no rows of their own).
    package struct Relation {
        package var oid: String
        package var schema: String
        package var name: String
        package var kind: Character
        package var display: String { PostgresCatalog.displayName(schema: schema, name: name) }
        package var qualified: String { PostgresCatalog.qualified(schema: schema, name: name) }
    }

    package static func relations(_ db: PGConnection, kinds: String) throws(PGError) -> [Relation] {
        try db.rows("""
            SELECT c.oid::text, n.nspname, c.relname, c.relkind::text
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN (\(kinds)) AND \(userSchema) AND \(notFromExtension("c.oid", "pg_class"))
            ORDER BY n.nspname, c.relname
            """).map { Relation(oid: $0[0]!, schema: $0[1]!, name: $0[2]!, kind: Character($0[3]!)) }
    }

    /// Shapes of the tables the generator fills: ordinary tables that are not
    /// partitions, and partitioned parents (COPY routes their rows).
    package static func tableShapes(_ db: PGConnection) throws(PGError) -> (shapes: [TableShape], relations: [String: Relation]) {
        let rels = try relations(db, kinds: "'r', 'p'").filter { rel in
            (try? db.scalar("SELECT c.relispartition::text FROM pg_catalog.pg_class c WHERE c.oid = \(rel.oid)")) != "true"
        }
        var shapes: [TableShape] = []
        var byName: [String: Relation] = [:]
        var types = PostgresTypeCatalog(db: db)
        for rel in rels {
            var columns: [ColumnShape] = []
            var domainChecks: [String] = []
            for row in try db.rows("""
                SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull::text, a.atttypid::text, a.atttypmod::text,
                       (a.atthasdef OR a.attidentity <> '')::text
                FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = \(rel.oid) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                ORDER BY a.attnum
                """) {
                let fact = try types.fact(oid: row[3]!, typmod: Int32(row[4] ?? "-1") ?? -1)
                columns.append(ColumnShape(name: row[0]!, declaredType: row[1]!, notNull: row[2] == "true", pgType: fact, hasDefault: row[5] == "true"))
                // A domain's CHECKs bind the column as a table CHECK would.
                domainChecks += fact.domainChecks.map { PostgresTypeCatalog.check($0, for: row[0]!) }
            }
            func names(_ keys: String, of relid: String) throws(PGError) -> [String] {
                try db.rows("""
                    SELECT a.attname FROM unnest('\(keys)'::int2[]) WITH ORDINALITY k(attnum, i)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = \(relid) AND a.attnum = k.attnum ORDER BY k.i
                    """).map { $0[0]! }
            }
            var primaryKey: [String] = []
            var uniqueSets: [[String]] = []
            var foreignKeys: [ForeignKeyShape] = []
            for row in try db.rows("""
                SELECT con.contype::text, con.conkey::text, con.confrelid::text, con.confkey::text,
                       pn.nspname, pc.relname, (pc.oid <> con.confrelid)::text
                FROM pg_catalog.pg_constraint con
                LEFT JOIN pg_catalog.pg_class pc ON pc.oid = coalesce(pg_catalog.pg_partition_root(con.confrelid), con.confrelid)
                LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                WHERE con.conrelid = \(rel.oid) AND con.contype IN ('p', 'u', 'f')
                ORDER BY con.conname
                """) {
                let cols = try names(row[1]!, of: rel.oid)
                switch row[0] {
                case "p": primaryKey = cols; uniqueSets.append(cols)
                case "u": uniqueSets.append(cols)
                default:
                    var fk = ForeignKeyShape(columns: cols, parentTable: displayName(schema: row[4]!, name: row[5]!),
                                             parentColumns: try names(row[3]!, of: row[2]!))
                    if row[6] == "true" { fk.parentLeaf = row[2]! }
                    foreignKeys.append(fk)
                }
            }
            // A UNIQUE index that backs no constraint (CREATE UNIQUE INDEX,
            // partial or not) binds the rows as a UNIQUE constraint does: rows
            // unique over the whole table meet a partial one too. An index on
            // expressions names no column set and is left to the server.
            for row in try db.rows("""
                SELECT (i.indkey::int2[])::text FROM pg_catalog.pg_index i
                WHERE i.indrelid = \(rel.oid) AND i.indisunique AND i.indexprs IS NULL AND 0 <> ALL (i.indkey::int2[])
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = \(rel.oid))
                ORDER BY i.indexrelid
                """) {
                let cols = try names(row[0]!, of: rel.oid)
                if !uniqueSets.contains(cols) { uniqueSets.append(cols) }
            }
            // A foreign key to a partition is planned against the partition's
            // root (the table the generator fills; pg_partition_root above):
            // the root's key columns, by name, are the partition's.
            // CHECK constraints, in the server's own spelling, for the
            // generator's value domains.
            let checks = try db.rows("""
                SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
                WHERE con.conrelid = \(rel.oid) AND con.contype = 'c' ORDER BY con.conname
                """).flatMap { CheckDomains.checks(inCreateTable: $0[0]!) }
            var unreadConstraints: [String] = []
            var rangeChecks: [String] = []
            for row in try db.rows("""
                SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
                WHERE con.conrelid = \(rel.oid) AND con.contype = 'x' ORDER BY con.conname
                """) {
                guard let exclusion = PostgresExclusion(row[0]!) else { continue }
                rangeChecks += exclusion.checks
                if let c = exclusion.uniqueColumn, let name = columns.first(where: { $0.name == c })?.name {
                    if !uniqueSets.contains([name]) { uniqueSets.append([name]) }
                } else {
                    unreadConstraints.append(row[0]!)
                }
            }
            var partitions: PartitionLayout?
            if rel.kind == "p" {
                partitions = try types.partitionLayout(relid: rel.oid)
                for fk in try types.partitionForeignKeys(relid: rel.oid) where !foreignKeys.contains(where: { $0.columns == fk.columns && $0.leafMap.isEmpty }) {
                    foreignKeys.append(fk)
                }
            }
            var shape = TableShape(name: rel.display, columns: columns, primaryKey: primaryKey, foreignKeys: foreignKeys,
                                   uniqueSets: uniqueSets, checks: checks + domainChecks + (partitions?.leafChecks ?? []) + rangeChecks,
                                   partitions: partitions)
            shape.unreadConstraints = unreadConstraints
            shapes.append(shape)
            byName[rel.display] = rel
        }
        return (shapes, byName)
    }
}
