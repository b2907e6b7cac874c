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

@Suite struct DocumentationTests {
    @Test func validatorDocsListEveryRule() throws {
        let doc = try String(contentsOf: Repo.root.appendingPathComponent("docs/VALIDATOR.md"), encoding: .utf8)
        for rule in Validator.rules {
            #expect(doc.contains("| \(rule.id) |"), "docs/VALIDATOR.md does not list \(rule.id)")
        }
    }

    @Test func readmeExitStatusesMatchTheCodes() throws {
        let readme = try String(contentsOf: Repo.root.appendingPathComponent("README.md"), encoding: .utf8)
        for code in [RehearseError.Code.rehearsalFailed, .badInput, .refused, .environment, .evidenceRejected] {
            #expect(readme.contains("| \(code.exitStatus) |"), "README lacks exit status \(code.exitStatus)")
        }
    }
}
