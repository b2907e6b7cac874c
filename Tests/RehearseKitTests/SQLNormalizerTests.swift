import Testing
@testable import RehearseKit

@Suite struct SQLNormalizerTests {
    @Test func dropsCommentsAndLayoutButKeepsStringLiterals() {
        #expect(SQLNormalizer.normalize("SELECT  'A  b' -- note\n FROM \"T\" /* c */ ;") == "select 'A  b' from t")
    }

    @Test func extractsNamedAndUnnamedChecks() {
        let checks = SQLNormalizer.checkConstraints(ofCreateTable: "CREATE TABLE t (a INT CHECK (a > 0), b INT, CONSTRAINT b_small CHECK (b < (10 + a)))")
        #expect(checks == ["b_small: check ( b < ( 10 + a ) )", "check ( a > 0 )"])
    }
}
