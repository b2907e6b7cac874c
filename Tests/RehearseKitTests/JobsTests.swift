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

@Suite struct JobsTests {
    @Test(arguments: [2, 3, 8])
    func anyThreadCountGivesTheSameData(jobs: Int) throws {
        let dir = TempDir()
        let source = try SurrogateSource(directory: Repo.surrogate("commerce"))
        // 0.3 scale: 12,150 rows, several batches per table and a ragged last wave.
        _ = try SurrogateGenerator.generate(source, scale: 0.3, to: dir.file("one.sqlite"), jobs: 1)
        _ = try SurrogateGenerator.generate(source, scale: 0.3, to: dir.file("many.sqlite"), jobs: jobs)
        #expect(try SQLiteFingerprint.of(file: dir.file("one.sqlite")) == SQLiteFingerprint.of(file: dir.file("many.sqlite")))
    }
}
