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

/// How an SQLite script is cut into statements. Two cutters must agree: the
/// engine's (`SQLiteConnection.forEachStatement`, SQLite's own parser, run
/// here on a real database file) and the database-free one
/// (`SQLiteStatements.split`) that the validator (`SealedScript`), the
/// schema data guard and migration scans use. A disagreement would make
/// sealed evidence name statements the engine never ran.
@Suite struct SQLiteStatementSplitterTests {
    struct Cut: Equatable, CustomStringConvertible {
        var offset: Int
        var sql: String
        var comments: [String]
        var description: String { "@\(offset) \(comments) `\(sql)`" }
    }

    static func cuts(_ statements: [ScriptStatement]) -> [Cut] {
        statements.map { Cut(offset: $0.startOffset, sql: $0.sql, comments: $0.leadingComments) }
    }

    /// The engine's cut: each statement prepared and run in turn on a fresh
    /// database file (so later statements see the tables earlier ones made).
    static func engine(_ text: String) throws -> [Cut] {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("split.sqlite").path)
        let script = SQLScript(displayPath: "script.sql", url: dir.file("script.sql"), text: text, sha256: "")
        var seen: [ScriptStatement] = []
        try db.forEachStatement(of: script) { statement, prepared in
            seen.append(statement)
            while try prepared.step() {}
        }
        return cuts(seen)
    }

    /// Both cutters' results (and the validator's sealed script's), checked
    /// equal; the engine's returned.
    static func split(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Cut] {
        let engine = try engine(text)
        let split = try #require(SQLiteStatements.split(text), sourceLocation: sourceLocation)
        #expect(cuts(split) == engine, "the database-free cut differs", sourceLocation: sourceLocation)
        let sealed = try #require(SealedScript(bytes: Array(text.utf8), path: "script.sql", engine: "sqlite"), sourceLocation: sourceLocation)
        #expect(cuts(sealed.statements) == engine, "the validator's cut differs", sourceLocation: sourceLocation)
        return engine
    }

    @Test func triggerBodiesStayWhole() throws {
        let text = """
            CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
            CREATE TABLE log(what TEXT);
            CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN
              INSERT INTO log VALUES ('inserted; ' || new.v);
              UPDATE t SET n = n + 1 WHERE id = new.id;
            END;
            INSERT INTO t(v, n) VALUES ('x', 0);
            """
        let cuts = try Self.split(text)
        #expect(cuts.count == 4, "\(cuts)")
        #expect(cuts[2].sql.hasPrefix("CREATE TRIGGER t_ins"))
        #expect(cuts[2].sql.hasSuffix("END;"))
        #expect(cuts[2].sql.contains("UPDATE t SET n = n + 1"))
        #expect(cuts[3].sql == "INSERT INTO t(v, n) VALUES ('x', 0);")
    }

    @Test func caseEndInsideATriggerDoesNotEndIt() throws {
        let text = """
            CREATE TABLE t(v INTEGER, label TEXT);
            CREATE TRIGGER t_label AFTER INSERT ON t BEGIN
              UPDATE t SET label = CASE WHEN new.v > 0 THEN 'pos;' WHEN new.v < 0 THEN 'neg' ELSE 'zero' END WHERE rowid = new.rowid;
              UPDATE t SET label = label || CASE new.v WHEN 1 THEN '!' END WHERE rowid = new.rowid AND new.v = 1;
            END;
            SELECT CASE WHEN 1 THEN 'a;b' ELSE 'c' END;
            INSERT INTO t(v) VALUES (1);
            """
        let cuts = try Self.split(text)
        #expect(cuts.count == 4, "\(cuts)")
        #expect(cuts[1].sql.hasSuffix("END;"))
        #expect(cuts[1].sql.components(separatedBy: "CASE").count == 3, "both CASEs inside the trigger")
        #expect(cuts[2].sql == "SELECT CASE WHEN 1 THEN 'a;b' ELSE 'c' END;")
    }

    @Test func semicolonsInStringsAndQuotedNamesDoNotSplit() throws {
        let text = """
            CREATE TABLE "we;ird"([a;b] TEXT, `c;d` TEXT);
            INSERT INTO "we;ird" VALUES ('one; two; three', 'it''s; fine');
            INSERT INTO "we;ird" VALUES (';', ';;');
            SELECT [a;b], `c;d` FROM "we;ird";
            """
        let cuts = try Self.split(text)
        #expect(cuts.map(\.sql) == text.split(separator: "\n").map(String.init))
    }

    @Test func commentsAreSkippedAndKeptAsLeadingComments() throws {
        let text = """
            -- the table; with a semicolon in a comment
            CREATE TABLE t(v /* a; comment; inside */ INTEGER);
            /* a block comment;
               over two lines; */
            -- check: one row
            SELECT count(*) = 0 FROM t;
            SELECT 1 -- a comment; after the code
            ;
            -- a last comment; nothing after it
            """
        let cuts = try Self.split(text)
        #expect(cuts.count == 3, "\(cuts)")
        #expect(cuts[0].comments == ["the table; with a semicolon in a comment"])
        #expect(cuts[0].sql == "CREATE TABLE t(v /* a; comment; inside */ INTEGER);")
        #expect(cuts[1].comments == ["check: one row"])
        #expect(cuts[1].sql == "SELECT count(*) = 0 FROM t;")
        #expect(cuts[2].sql == "SELECT 1 -- a comment; after the code\n;")
        #expect(ScriptStatement(startOffset: 0, sql: "", leadingComments: cuts[1].comments).checkName(number: 2, line: 6) == "one row")
    }

    @Test func emptyStatementsAreSkipped() throws {
        let cuts = try Self.split(";;\n ; SELECT 1;;; ;\nSELECT 2 ;\n;")
        #expect(cuts.map(\.sql) == ["SELECT 1;", "SELECT 2 ;"])
        for blank in ["", ";", " ;; \n\t;", "-- only a comment", "/* only; a block */", "-- a\n/* b */\n;\n"] {
            #expect(try Self.split(blank).isEmpty, "\(blank.debugDescription)")
        }
    }

    @Test func trailingTextWithoutASemicolonIsTheLastStatement() throws {
        #expect(try Self.split("SELECT 1; SELECT 2").map(\.sql) == ["SELECT 1;", "SELECT 2"])
        #expect(try Self.split("SELECT 1;\nSELECT 'a;b' -- end").map(\.sql) == ["SELECT 1;", "SELECT 'a;b' -- end"])
        #expect(try Self.split("SELECT 3").map(\.sql) == ["SELECT 3"])
    }

    @Test func offsetsAreUTF8ByteOffsetsAndLinesFollow() throws {
        let text = "SELECT 'é日本';\n\n  SELECT '🎉';\r\nSELECT 3;"
        let cuts = try Self.split(text)
        let bytes = Array(text.utf8)
        #expect(cuts.map(\.offset) == [0, 22, 38])
        for c in cuts {
            #expect(String(decoding: bytes[c.offset..<(c.offset + c.sql.utf8.count)], as: UTF8.self) == c.sql)
        }
        let script = SQLScript(displayPath: "s.sql", url: URL(fileURLWithPath: "/dev/null"), text: text, sha256: "")
        #expect(cuts.map { script.line(ofByteOffset: $0.offset) } == [1, 3, 4])
    }

    /// The database-free cutter on statements the engine would refuse to
    /// run here (transaction control, unknown tables).
    @Test func theDatabaseFreeCutterSplitsTransactionsAndUnknownTables() throws {
        let text = """
            BEGIN;
            INSERT INTO nowhere VALUES (1, 'x;y');
            CREATE TRIGGER tr BEFORE DELETE ON nowhere BEGIN SELECT RAISE(ABORT, 'no; never'); END;
            COMMIT;
            """
        let split = try #require(SQLiteStatements.split(text))
        #expect(split.map(\.sql) == text.split(separator: "\n").map(String.init))
    }

    @Test func anUnfinishedTriggerRunsToTheEnd() throws {
        let text = "CREATE TABLE t(v);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;"
        let split = try #require(SQLiteStatements.split(text))
        #expect(split.map(\.sql) == ["CREATE TABLE t(v);", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;"])
        // The engine refuses it, located at its statement.
        #expect(throws: ScriptFailure.self) { try Self.engine(text) }
    }
}
