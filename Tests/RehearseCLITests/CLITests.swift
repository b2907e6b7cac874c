import Foundation
import Testing

/// Runs the built `rehearse` binary the way a user would, and checks its exit
/// status and words.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits in the same products folder as the executable.
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let exe = candidate.appendingPathComponent("rehearse")
            if FileManager.default.isExecutableFile(atPath: exe.path) { return exe }
        }
        return root.appendingPathComponent(".build/debug/rehearse")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? root
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-cli-\(UUID().uuidString.prefix(8))")
    init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    var env: [String: String] { ["TMPDIR": url.path] }
    /// Scratch databases left behind in this folder.
    var leftovers: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasPrefix("rehearse-") } }

    /// A copy of the commerce surrogate with one file replaced.
    func commerce(replacing file: String? = nil, with text: String = "") throws -> String {
        let dest = url.appendingPathComponent("commerce")
        if !FileManager.default.fileExists(atPath: dest.path) {
            try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/commerce"), to: dest)
        }
        if let file { try text.write(to: dest.appendingPathComponent(file), atomically: true, encoding: .utf8) }
        return dest.path
    }
}

@Suite struct CLITests {
    @Test func commercePassesAndTheEvidenceValidates() throws {
        let s = Scratch()
        let r = try CLI.run(["--surrogate", "commerce", "--scale", "0.1", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("✓ birth"))
        #expect(r.stdout.contains("Verdict: PASS (evidence valid)"))
        #expect(r.stdout.contains("Evidence: \(s.path("run"))/evidence.json"))
        #expect(!r.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        #expect(s.leftovers.isEmpty)
        let v = try CLI.run(["validate", s.path("run")])
        #expect(v.status == 0)
        #expect(v.stdout.contains("evidence valid; verdict PASS"))
    }

    @Test func lossyRollbackExitsOneAndNamesTableAndColumn() throws {
        let s = Scratch()
        let r = try CLI.run(["--surrogate", "surrogates/lossy-rollback", "--scale", "0.1", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("table customers:"))
        #expect(r.stdout.contains("column customers.phone:"))
        #expect(r.stdout.contains("rows differ"))
        #expect(r.stdout.contains("Verdict: FAIL"))
        #expect(try CLI.run(["validate", s.path("run")]).status == 1)
    }

    @Test func jsonOutputIsCanonicalAndCarriesTheVerdict() throws {
        let s = Scratch()
        let r = try CLI.run(["--surrogate", "--format", "json", "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["verdict"] as? String == "PASS")
        #expect(object?["evidence_valid"] as? Bool == true)
        let evidence = (object?["evidence"] as? [String: Any])?["predicate"] as? [String: Any]
        #expect((evidence?["source"] as? [String: Any])?["tag"] as? String == "GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP")
        #expect(r.stdout.split(separator: "\n").count == 1)
    }

    @Test func dumpUnderHoldIsRefusedWithExitThree() throws {
        let s = Scratch()
        let dump = s.path("prod.dump")
        try "not a real dump".write(toFile: dump, atomically: true, encoding: .utf8)
        let before = try FileManager.default.attributesOfItem(atPath: dump)[.modificationDate] as? Date
        let r = try CLI.run(["--dump", dump], environment: s.env)
        #expect(r.status == 3)
        #expect(r.stderr.contains("Refused: --dump \(dump)"))
        #expect(r.stderr.contains("HOLD_REAL_DATA"))
        #expect(r.stderr.contains("AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF"))
        #expect(r.stderr.contains("The dump was not opened or read"))
        #expect(try String(contentsOfFile: dump, encoding: .utf8) == "not a real dump")
        #expect(try FileManager.default.attributesOfItem(atPath: dump)[.modificationDate] as? Date == before)
    }

    @Test func unknownSurrogateIsBadInput() throws {
        let r = try CLI.run(["--surrogate", "nosuch"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Unknown surrogate 'nosuch'. Known surrogates: commerce, lossy-lowercase, lossy-null-delete, lossy-rollback"))
    }

    @Test func missingFileIsBadInputNamingIt() throws {
        let s = Scratch()
        let dir = try s.commerce()
        try FileManager.default.removeItem(atPath: dir + "/rollback.sql")
        let r = try CLI.run(["--surrogate", dir, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("rollback.sql: the file is missing or unreadable"))
        #expect(s.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.path("run")))
    }

    @Test func malformedManifestIsBadInputWithItsLine() throws {
        let s = Scratch()
        let dir = try s.commerce(replacing: "manifest.yaml", with: "name: broken\nschema: schema.sql\nprofile: [unclosed\n")
        let r = try CLI.run(["--surrogate", dir], environment: s.env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("manifest.yaml: not valid YAML"))
    }

    @Test func birthSyntaxErrorExitsOneNamingFileAndLine() throws {
        let s = Scratch()
        let dir = try s.commerce(replacing: "birth.sql", with: "CREATE TABLE fine (id INTEGER);\nSELEC 1;\n")
        let r = try CLI.run(["--surrogate", dir, "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 1)
        #expect(r.stdout.contains("✗ birth"))
        #expect(r.stdout.contains("birth.sql:2:1: SQLite error 1: near \"SELEC\": syntax error"))
        #expect(try CLI.run(["validate", s.path("run")]).status == 1)
    }

    @Test func failingCheckExitsOneNamingTheCheck() throws {
        let s = Scratch()
        let dir = try s.commerce(replacing: "checks/after-birth.sql", with: "-- check: phones were dropped entirely\nSELECT count(*) = 0 FROM customer_phones;\n")
        let r = try CLI.run(["--surrogate", dir, "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 1)
        #expect(r.stdout.contains("check failed: phones were dropped entirely at checks/after-birth.sql:2 returned 1 row: 0"))
    }

    @Test func tamperedEvidenceExitsFiveNamingTheRule() throws {
        let s = Scratch()
        #expect(try CLI.run(["--surrogate", "--scale", "0.05", "--out", s.path("run"), "--quiet"], environment: s.env).status == 0)
        let evidence = s.path("run/evidence.json")
        let text = try String(contentsOfFile: evidence, encoding: .utf8)
        try text.replacingOccurrences(of: "\"rows\":{\"addresses\":150", with: "\"rows\":{\"addresses\":151").write(toFile: evidence, atomically: true, encoding: .utf8)
        let r = try CLI.run(["validate", s.path("run")])
        #expect(r.status == 5)
        #expect(r.stdout.contains("[R2-seal] evidence.json: bytes differ from the seal"))
        #expect(!r.stdout.contains("evidence.json: evidence.json"), "the path is named once")
    }

    @Test func badOptionsExitTwoWithUsage() throws {
        let scale = try CLI.run(["--surrogate", "--scale", "0"])
        #expect(scale.status == 2)
        #expect(scale.stderr.contains("--scale must be a number greater than zero"))
        let both = try CLI.run(["--surrogate", "--dump", "x.dump"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("not both"))
        let unknown = try CLI.run(["--frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unknown option '--frobnicate'"))
    }

    @Test func validateOnAMissingFolderIsBadInput() throws {
        let r = try CLI.run(["validate", "/nonexistent/run"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such run folder"))
    }

    @Test func generateWritesATaggedDatabaseAndNeverOverwrites() throws {
        let s = Scratch()
        let out = s.path("c.sqlite")
        let r = try CLI.run(["generate", "--surrogate", "commerce", "--scale", "0.05", "--out", out])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Wrote 2,025 rows in 6 tables"))
        let again = try CLI.run(["generate", "--out", out])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func versionNamesTheLinkedLibraries() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("rehearse 0.1.0 (SQLite 3."))
        #expect(r.stdout.contains("libpq "))
    }

    @Test func interruptRemovesTheScratchDatabaseAndWritesNoEvidence() throws {
        let s = Scratch()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--surrogate", "commerce", "--scale", "40", "--out", s.path("run")]
        process.currentDirectoryURL = CLI.root
        process.environment = ProcessInfo.processInfo.environment.merging(s.env) { _, n in n }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        // Wait until provisioning is reported, then interrupt during the load.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("provision scratch database") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        #expect(s.leftovers.count == 1, "the scratch directory exists while running")
        process.interrupt()
        seen.append(out.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        let text = String(decoding: seen, as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("interrupted by SIGINT; no evidence was written"))
        #expect(s.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.path("run")))
    }
}
