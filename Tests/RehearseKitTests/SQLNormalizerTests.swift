import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite struct SQLNormalizerTests {
    @Test func dropsCommentsAndLayoutButKeepsStringLiterals() {
        #expect(SQLNormalizer.normalize("SELECT  'A  b' -- note\n FROM \"T\" /* c */ ;") == "select 'A  b' from t")
    }

    @Test func extractsNamedAndUnnamedChecks() {
        let checks = SQLNormalizer.checkConstraints(ofCreateTable: "CREATE TABLE t (a INT CHECK (a > 0), b INT, CONSTRAINT b_small CHECK (b < (10 + a)))")
        #expect(checks == ["b_small: check ( b < ( 10 + a ) )", "check ( a > 0 )"])
    }
}
