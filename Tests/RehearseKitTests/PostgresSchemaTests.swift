import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresSchemaTests {
    /// A schema written by `pg_dump --schema-only --no-owner --no-privileges`
    /// (empty search_path, qualified names, constraints as ALTER TABLE ONLY,
    /// \restrict lines from newer pg_dump) loads and rehearses.
    @Test func aPgDumpSchemaLoadsAndRehearses() throws {
        let dir = TempDir()
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: Repo.surrogate("commerce")), seed: 1, scale: 0.02, progress: nil)
        _ = try loader.load(connect: { try TestPostgres.connect(name) })
        try TestPostgres.connect(name).execute("DROP TABLE rehearse_provenance")
        let cluster = try TestPostgres.cluster
        let out = dir.file("dump.sql")
        let dumped = try ChildProcess.run(cluster.bindir.appendingPathComponent("pg_dump").path,
                                          ["--schema-only", "--no-owner", "--no-privileges", "-h", cluster.socketDirectory.path,
                                           "-p", String(PostgresCluster.port), "-U", PostgresCluster.superuser, "-f", out.path, name],
                                          environment: [:], output: dir.file("pg_dump.out"))
        #expect(dumped.status == 0, "\(dumped.output)")
        var schema = try String(contentsOf: out, encoding: .utf8)
        #expect(schema.contains("set_config('search_path', '', false)"))
        schema = "\\restrict 0123abcd\n" + schema + "\n\\unrestrict 0123abcd\n"
        let url = Repo.copy("commerce", into: dir)
        try replace("schema.sql", in: url, with: schema)
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(result.record.failure == nil, "\(result.record.failure?.message ?? "")")
        #expect(result.record.verdict == .pass, "\(String(describing: result.record.drift))")
        #expect(result.record.pre?.tables[SurrogateTag.provenanceTable]?.rows == 6)
    }

    @Test func anotherPsqlMetaCommandIsRefusedWithItsLine() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("schema.sql", in: url, with: "CREATE TABLE t (id integer PRIMARY KEY);\n\\connect other\n")
        #expect {
            _ = try rehearsePostgres(url, in: dir, scale: 0.05)
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message == "schema.sql:2: \\connect is a psql meta-command, not SQL. Remove it from the schema file."
        }
    }

    @Test func generateRefusesADatabaseThatHasTables() throws {
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        try TestPostgres.connect(name).execute("CREATE TABLE precious (id integer)")
        let server = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
        #expect {
            _ = try SurrogateGenerator.generate(try SurrogateSource(directory: Repo.surrogate("commerce")), scale: 0.01, into: server)
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message.hasPrefix("Database \(name) already holds tables or views.")
        }
        #expect(try TestPostgres.connect(name).scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "1")
    }

    @Test func aScratchDatabaseLeftByAKilledRunIsDroppedByTheNext() throws {
        let admin = try TestPostgres.connect()
        let stale = "rehearse_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try admin.execute("CREATE DATABASE \(stale)")
        try admin.execute("COMMENT ON DATABASE \(stale) IS 'rehearse scratch database: host=\(ProcessInfo.processInfo.hostName) pid=999999 start=1'")
        let live = "rehearse_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try admin.execute("CREATE DATABASE \(live)")
        try admin.execute("COMMENT ON DATABASE \(live) IS \(PGConnection.quoteLiteral(PostgresScratch.ownerComment))")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(live)") }
        let scratch = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
        defer { scratch.tearDown(keep: false) }
        #expect(try admin.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(stale)'") == "0")
        #expect(try admin.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(live)'") == "1")
    }
}
