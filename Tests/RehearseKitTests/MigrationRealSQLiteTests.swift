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

/// Slices of the real directories whose dialect SQLite can run.
@Suite struct MigrationRealSQLiteTests {
    static let shared = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/data/migrations")

    static func walk(_ name: String, in dir: TempDir, _ configure: (inout MigrationWalk.Options) -> Void) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        configure(&options)
        return try MigrationWalk(directory: shared.appendingPathComponent(name), options: options).run()
    }

    @Test func taprootAssetsFirstStepsPassAndCommentOnlyDownsAreIrreversible() throws {
        let dir = TempDir()
        let first = try Self.walk("golang-migrate-sqlite-taproot-assets", in: dir) { $0.to = "000002" }
        #expect(first.steps.map(\.status) == ["PASS", "PASS"], "\(first.steps.map(\.detail))")
        #expect(try MigrationWalkValidator.validate(first.walkFolder).findings.isEmpty)
        let later = try Self.walk("golang-migrate-sqlite-taproot-assets", in: TempDir()) { $0.from = "000010"; $0.to = "000012" }
        #expect(later.steps.map(\.status) == ["IRREVERSIBLE", "IRREVERSIBLE", "IRREVERSIBLE"])
        #expect(later.steps[0].detail[0].contains("000010_universe_stats.down.sql) holds no statement"))
    }

    @Test func hydraOnSQLiteReadsTheSQLiteFilesAndSkipsEmptyVersions() throws {
        let dir = TempDir()
        let walk = try Self.walk("pop-dialect-suffixed-hydra", in: dir) { $0.to = "20190100000003000000" }
        #expect(walk.layout == .suffixed)
        #expect(walk.steps[0].files.first == "20150101000001000000_networks.sqlite.up.sql")
        #expect(walk.steps.map(\.status) == ["IRREVERSIBLE", "SKIPPED", "SKIPPED", "SKIPPED"])
    }
}
