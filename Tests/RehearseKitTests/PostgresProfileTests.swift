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
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresProfileTests {
    @Test func profileFromPostgresHoldsShapesAndNoValues() throws {
        let dir = TempDir()
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: Repo.surrogate("commerce")), seed: 2, scale: 0.1, progress: nil)
        let load = try loader.load(connect: { try TestPostgres.connect(name) })
        let server = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
        let tables = try PostgresProfiler.learn(server: server)
        #expect(Set(tables.map(\.name)) == Set(load.rowsPerTable.keys))
        for t in tables { #expect(t.rows == load.rowsPerTable[t.name]) }
        let customers = try #require(tables.first { $0.name == "customers" })
        let phone = try #require(customers.columns.first { $0.name == "phone" })
        #expect(abs(phone.nullFraction - 0.25) < 0.02)
        let orders = try #require(tables.first { $0.name == "orders" })
        #expect(orders.fanOuts.contains { $0.parent == "customers" && $0.columns == ["customer_id"] })
        let total = try #require(orders.columns.first { $0.name == "total_cents" }?.range)
        // Rounded out to powers of ten, never the values themselves.
        let db0 = try TestPostgres.connect(name)
        let lowest = Int64(try db0.scalar("SELECT min(total_cents) FROM orders") ?? "0") ?? 0
        #expect(total.high == 1_000_000)
        #expect(total.low <= lowest && (total.low == 0 || [1, 10, 100, 1000, 10000, 100000].contains(total.low)))
        // No text value of the database appears in the profile.
        let yaml = LearnedProfile.yaml(tables, source: name)
        let db = try TestPostgres.connect(name)
        let values = try db.rows("SELECT email FROM customers UNION ALL SELECT full_name FROM customers UNION ALL SELECT street FROM addresses UNION ALL SELECT reference FROM payments").compactMap { $0[0] }
        #expect(values.count > 500)
        for v in values where v.count >= 4 { #expect(!yaml.contains(v), "profile leaks \(v)") }
    }
}
