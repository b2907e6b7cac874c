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

@Suite struct PostgresScriptTests {
    @Test func parenthesesAndColumnNamesDoNotSplitOrSwallow() {
        let statements = PostgresScript.statements(of: """
            CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));
            SELECT begin, atomic FROM odd;
            SELECT 3;
            \\restrict abc123
            SELECT 4;
            """)
        #expect(statements.map(\.sql) == ["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                                           "SELECT begin, atomic FROM odd", "SELECT 3", "\\restrict abc123", "SELECT 4"])
    }

    @Test func statementsSplitOnlyOnTopLevelSemicolons() {
        let text = """
            -- lead
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            SELECT 'a;b', "x;y", E'it\\'s;', $tag$ ; $$ ; $tag$;
            /* block ; /* nested ; */ still ; */ SELECT 2;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
            SELECT $1
            """
        let statements = PostgresScript.statements(of: text)
        #expect(statements.count == 5, "\(statements.map(\.sql))")
        #expect(statements[0].leadingComments == ["lead"])
        #expect(statements[0].sql.hasSuffix("END $$"))
        #expect(statements[1].sql == "SELECT 'a;b', \"x;y\", E'it\\'s;', $tag$ ; $$ ; $tag$")
        #expect(statements[2].sql == "SELECT 2")
        #expect(statements[3].sql.hasSuffix("SELECT 2; END"))
        #expect(statements[4].sql == "SELECT $1")
    }

    @Test func serverPositionMapsToFileLineAndColumn() {
        let script = SQLScript(displayPath: "b.sql", url: URL(fileURLWithPath: "/b.sql"), text: "SELECT 1;\n\nSELECT 'é', nope FROM x;\n", sha256: "")
        let statement = PostgresScript.statements(script)[1]
        // PostgreSQL counts characters: "nope" starts at character 13.
        let failure = PostgresScript.failure(PGError(sqlstate: "42703", message: "column \"nope\" does not exist", position: 13), statement: statement, in: script)
        #expect(failure.line == 3)
        #expect(failure.column == 13)
    }

    @Test func copyTextEscapesWhatCOPYReadsSpecially() {
        var out: [UInt8] = []
        for v: DatabaseValue in [.null, .integer(-42), .real(0.1), .text("a\tb\\c\nd"), .blob([0, 255])] {
            if !out.isEmpty { out.append(0x09) }
            PostgresCopyText.append(v, to: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "\\N\t-42\t0.1\ta\\tb\\\\c\\nd\t\\\\x00ff")
    }
}
