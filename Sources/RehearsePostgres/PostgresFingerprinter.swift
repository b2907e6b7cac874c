import Crypto
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Fingerprints a PostgreSQL database from a pinned session: a normalized
/// catalog (no OIDs, no relfilenodes) and, per table, a SHA-256 of its rows
/// streamed as `COPY (SELECT * FROM ONLY t ORDER BY key) TO STDOUT`. A table
/// without a usable key is ordered by the text of each whole row, so rows that
/// tie are identical. Heap order never counts, and neither does hash_record_extended,
/// whose notion of equality is not exact.
package struct PostgresFingerprinter {
    /// Opens a fresh connection to the database being fingerprinted.
    package let connect: @Sendable () throws -> PGConnection
    /// Connections streaming tables at once.
    package var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Session settings under which every value prints one way only.
    package static let pinnedSession = [
        "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
        "SET extra_float_digits = 3", "SET bytea_output = 'hex'", "SET client_encoding = 'UTF8'",
        "SET search_path = ''", "SET lc_monetary = 'C'", "SET default_transaction_read_only = on",
    ]

    package static func pin(_ db: PGConnection) throws(PGError) {
        for s in pinnedSession { try db.execute(s) }
    }

    package func fingerprint() throws -> Fingerprint {
        let db = try connect()
        do {
            try Self.pin(db)
            // One snapshot for the catalog and every table, shared with the
            // other connections: a database someone writes to while it is
            // read (fingerprint --pg-url) still gives one consistent state.
            try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let snapshot = try db.scalar("SELECT pg_catalog.pg_export_snapshot()") ?? ""
            let catalog = try PostgresCatalogReader(db: db).read()
            let tables = try dataFingerprints(db, snapshot: snapshot)
            try db.execute("COMMIT")
            var fp = Fingerprint(objects: try catalog.objects.checked(), tables: tables)
            fp.residue = catalog.residue
            return fp
        } catch let error as PGError {
            throw RehearseError.environment("Fingerprinting the PostgreSQL scratch database failed: \(error).")
        }
    }

    /// A relation with rows, and the columns it is ordered by.
    package struct DataRelation: Sendable {
        package var display: String
        package var qualified: String
        /// ORDER BY terms; empty when the table has no usable key.
        package var orderBy: [String]
        /// The select list: every column in order, floating-point ones with
        /// -0 read as 0 (equal under PostgreSQL's own float equality, as the
        /// contract asks); `*` when there is nothing to adjust.
        package var columns: String = "*"
    }

    package static func dataRelations(_ db: PGConnection) throws(PGError) -> [DataRelation] {
        // Ordinary tables and partitions, and populated materialized views,
        // an extension's own tables included (rows a rollback leaves in one,
        // or a table hidden in one with ALTER EXTENSION … ADD, are drift).
        // Foreign tables are never read: their rows live on another server.
        let rels = try db.rows("""
            SELECT c.oid::text, n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
              AND (\(PostgresCatalog.userSchema) OR n.nspname = 'information_schema' OR (n.nspname = 'pg_catalog' AND c.oid >= 16384))
            ORDER BY c.relpages DESC, n.nspname, c.relname
            """)
        var out: [DataRelation] = []
        for r in rels {
            // The primary key, else the narrowest non-partial UNIQUE index on
            // NOT NULL plain columns: either orders the rows totally.
            let key = try db.rows("""
                SELECT a.attname, a.attcollation <> 0
                FROM (
                    SELECT i.indkey, i.indisprimary
                    FROM pg_catalog.pg_index i
                    WHERE i.indrelid = \(r[0]!) AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
                      AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum)
                                      JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                                      WHERE NOT a.attnotnull)
                    ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid::regclass::text
                    LIMIT 1
                ) best, unnest(best.indkey::int2[]) WITH ORDINALITY k(attnum, pos)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = \(r[0]!) AND a.attnum = k.attnum
                ORDER BY k.pos
                """)
            let orderBy = key.map { PGConnection.quoteIdentifier($0[0]!) + ($0[1] == "t" ? " COLLATE \"C\"" : "") }
            var relation = DataRelation(display: PostgresCatalog.displayName(schema: r[1]!, name: r[2]!),
                                        qualified: PostgresCatalog.qualified(schema: r[1]!, name: r[2]!), orderBy: orderBy)
            let columns = try db.rows("""
                SELECT a.attname, a.atttypid::text FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = \(r[0]!) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """)
            if columns.contains(where: { $0[1] == "700" || $0[1] == "701" }) {
                relation.columns = columns.map { c in
                    let q = PGConnection.quoteIdentifier(c[0]!)
                    guard c[1] == "700" || c[1] == "701" else { return q }
                    let zero = c[1] == "700" ? "0::real" : "0::double precision"
                    return "CASE WHEN \(q) = 0 THEN \(zero) ELSE \(q) END"
                }.joined(separator: ", ")
            }
            out.append(relation)
        }
        return out
    }

    private func dataFingerprints(_ db: PGConnection, snapshot: String) throws -> [String: TableFingerprint] {
        let relations = try Self.dataRelations(db)
        final class Shared: @unchecked Sendable {
            // @unchecked: every field is touched only under `lock`.
            let lock = NSLock()
            var next = 0
            var results = NameKeyed<TableFingerprint>()
            var failure: Error?
        }
        let shared = Shared()
        let workers = max(1, min(jobs, relations.count))
        let connect = self.connect
        let work: @Sendable (Int) -> Void = { worker in
            var conn: PGConnection?
            while true {
                shared.lock.lock()
                guard shared.failure == nil, shared.next < relations.count else { shared.lock.unlock(); return }
                let rel = relations[shared.next]
                shared.next += 1
                shared.lock.unlock()
                do {
                    if conn == nil {
                        conn = worker == 0 ? db : try connect()
                        if worker != 0 {
                            try Self.pin(conn!)
                            try conn!.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                            try conn!.execute("SET TRANSACTION SNAPSHOT \(PGConnection.quoteLiteral(snapshot))")
                        }
                    }
                    let fp = try Self.digest(rel, on: conn!)
                    shared.lock.lock()
                    shared.results[rel.display] = fp
                    shared.lock.unlock()
                } catch {
                    shared.lock.lock()
                    if shared.failure == nil { shared.failure = error }
                    shared.lock.unlock()
                    return
                }
            }
        }
        DispatchQueue.concurrentPerform(iterations: workers) { work($0) }
        if let failure = shared.failure { throw failure }
        return try shared.results.checked()
    }

    /// Streams one table in a canonical order and hashes its COPY lines in
    /// turn: by its key, or, for a table without one, by the text of each
    /// whole row (`ROW(r.*)`, which no column name can stand in for), so rows
    /// that tie are identical lines. A sum of row hashes would be order-free
    /// but not collision-resistant (see ``OrderedDigest``).
    package static func digest(_ rel: DataRelation, on db: PGConnection) throws -> TableFingerprint {
        let select = rel.orderBy.isEmpty
            ? "SELECT * FROM (SELECT \(rel.columns) FROM ONLY \(rel.qualified)) AS rehearse_rows ORDER BY ROW(rehearse_rows.*)::text COLLATE \"C\""
            : "SELECT \(rel.columns) FROM ONLY \(rel.qualified) ORDER BY " + rel.orderBy.joined(separator: ", ")
        var rows: Int64 = 0
        var hasher = SHA256()
        try db.copyOut("COPY (\(select)) TO STDOUT") { line in
            hasher.update(bufferPointer: line)
            rows += 1
        }
        return TableFingerprint(rows: rows, digest: Digest.hex(Array(hasher.finalize())))
    }
}

/// `rehearse fingerprint --pg-url`: the fingerprint of a database of a local
/// server, read in pinned, read-only sessions.
package enum PostgresFingerprint {
    package static func of(server: PostgresServerAddress, jobs: Int) throws -> Fingerprint {
        guard let database = server.namedDatabase else {
            throw RehearseError.badInput("--pg-url names no database. Add dbname=... for the database to fingerprint.")
        }
        let parameters = server.parameters
        return try PostgresFingerprinter(connect: { try PostgresScratch.open(parameters, database: database) }, jobs: max(1, jobs)).fingerprint()
    }
}
