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

/// rehearse.nightly.yaml: every key, the migrations entry forms, and
/// refusals that say where (file:line and key) and what to do.
@Suite struct NightlyConfigTests {
    @Test func theShippedConfigurationParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try NightlyConfig.load(file: root.appendingPathComponent("rehearse.nightly.yaml"))
        #expect(c.surrogates == nil)
        #expect(c.expectFail == ["lossy-rollback", "lossy-lowercase", "lossy-null-delete"])
        #expect(c.engines == ["sqlite", "postgres"])
        let plan = try NightlyPlan.make(c, root: root, migrationsSupported: false)
        #expect(plan.jobs.map(\.id).contains("sqlite/surrogate/commerce"))
        #expect(plan.jobs.map(\.id).contains("postgres/surrogate/lossy-rollback"))
        #expect(plan.jobs.first { $0.name == "lossy-rollback" }?.expectFail == true)
        #expect(c.migrations.map(\.path).contains { $0.hasSuffix("Tests/Fixtures/migrations/golang-migrate") })
        let walks = try NightlyPlan.make(c, root: root, migrationsSupported: true)
        #expect(walks.jobs.map(\.id).contains("sqlite/migrations/Tests/Fixtures/migrations/golang-migrate"))
    }

    @Test func knownLossySurrogatesAreAlwaysPlanned() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try NightlyConfig.parse("surrogates: [commerce]\nexpect_fail: [lossy-rollback]\nengines: [sqlite]\n", file: "n.yaml")
        let plan = try NightlyPlan.make(c, root: root, migrationsSupported: false)
        #expect(plan.jobs.map(\.id) == ["sqlite/surrogate/commerce", "sqlite/surrogate/lossy-rollback"])
        #expect(plan.jobs.map(\.number) == [1, 2])
    }

    @Test func migrationsEntriesAreDirectoriesOrPathsWithArguments() throws {
        let c = try NightlyConfig.parse("""
            scale: "0.5"
            replay: true
            migrations:
              - db/migrations
              - path: other/migrations
                args: [--layout, dbmate, --rows, "5"]
            """, file: "n.yaml")
        #expect(c.scale == "0.5")
        #expect(c.replay)
        #expect(c.migrations == [.init(path: "db/migrations"), .init(path: "other/migrations", arguments: ["--layout", "dbmate", "--rows", "5"])])
        #expect(try NightlyConfig.parse("migrations:\n", file: "n.yaml").migrations.isEmpty)
    }

    @Test(arguments: [
        ("surrogates: all\nsurogates: [x]\n", "surogates"),
        ("engines: [sqlite, mysql]\n", "unknown engine \"mysql\"; use sqlite or postgres."),
        ("engines: []\n", "give at least one engine"),
        ("scale: 1e3\n", "scale must be a plain decimal greater than zero"),
        ("scale: \"0\"\n", "scale must be a plain decimal greater than zero"),
        ("replay: maybe\n", "expected true or false."),
        ("migrations:\n  - path: m\n    args: [--out, /etc]\n", "--out is not allowed in args"),
        ("migrations:\n  - path: m\n    args: [--pg-url=host=db.example.com]\n", "--pg-url=host=db.example.com is not allowed in args"),
        ("migrations:\n  - args: [--rows, '5']\n", "a migrations entry needs path"),
        ("surrogates: [--help]\n", "expected a name or relative path"),
    ])
    func badConfigurationsAreRefused(text: String, message: String) {
        #expect {
            _ = try NightlyConfig.parse(text, file: "n.yaml")
        } throws: { error in
            let e = error as? RehearseError
            return e?.code == .badInput && e?.message.contains(message) == true && e?.message.contains("n.yaml") == true
        }
    }

    @Test func shardsPartitionThePlanDeterministically() throws {
        let jobs = (0..<7).map { NightlyPlan.Job(kind: .surrogate, engine: "sqlite", name: "s\($0)", path: "/s\($0)", expectFail: false) }
        let plan = NightlyPlan(jobs: jobs, skipped: [])
        let shards = (1...3).map { plan.jobs(in: NightlyPlan.Shard(index: $0, count: 3)).map(\.name) }
        #expect(shards == [["s0", "s3", "s6"], ["s1", "s4"], ["s2", "s5"]])
        #expect(Set(shards.flatMap { $0 }).count == 7)
        let (run, skipped) = NightlyPlan(jobs: jobs + [NightlyPlan.Job(kind: .surrogate, engine: "postgres", name: "p", path: "/p", expectFail: false)], skipped: [])
            .runnable(in: .whole, postgresAvailable: false)
        #expect(run.count == 7)
        #expect(skipped == ["1 postgres jobs (postgres/surrogate/p): no PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine"])
    }

    @Test func slugsStayInsideTheOutputFolder() {
        let job = NightlyPlan.Job(kind: .migrations, engine: "sqlite", name: "../../etc/x y", path: "/x", expectFail: false, number: 7)
        #expect(job.slug == "007-sqlite_migrations_______etc_x_y")
        #expect(!job.slug.contains("/") && !job.slug.contains(".."))
    }
}
