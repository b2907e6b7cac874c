import Foundation
import Testing

/// Hostile numbers and paths from outside: each is refused with a sentence
/// and exit 2 before any work, never traps (a trap shows as status 4 or 5 from
/// SIGILL/SIGTRAP, or 132/133), and leaves no scratch directory in $TMPDIR.
@Suite struct AdversarialBoundsCLITests {
    /// A tiny surrogate whose profile is `profile` (a YAML body under `tables:`).
    func surrogate(in s: Scratch, profile: String, manifestExtra: String = "") throws -> String {
        let dir = s.url.appendingPathComponent("tiny")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let files = [
            "manifest.yaml": (manifestExtra.hasPrefix("name:") ? "" : "name: tiny\n") + "schema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n\(manifestExtra)",
            "schema.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT, n INTEGER, at TEXT, later TEXT, parent INTEGER REFERENCES t (id), amount REAL);\nCREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id));\n",
            "profile.yaml": "tables:\n\(profile)",
            "birth.sql": "SELECT 1;\n",
            "rollback.sql": "SELECT 1;\n",
        ]
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir.path
    }

    func expectRefused(_ r: CLI.Result, status: Int32 = 2, _ words: [String], in s: Scratch, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r.all)", sourceLocation: sourceLocation)
        for w in words { #expect(r.stderr.contains(w), "missing '\(w)' in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.all.contains("Fatal error"), "\(r.all)", sourceLocation: sourceLocation)
        #expect(!r.all.contains("NSCocoaErrorDomain"), "\(r.all)", sourceLocation: sourceLocation)
        #expect(s.leftovers.isEmpty, "left behind: \(s.leftovers)", sourceLocation: sourceLocation)
    }

    static let badOptions: [(arguments: [String], words: [String])] = [
        (["--scale", "1e16"], ["--scale", "above the maximum of 1,000,000"]),
        (["--scale", "1e300"], ["--scale", "above the maximum of 1,000,000"]),
        (["--scale", "inf"], ["--scale must be a number greater than zero"]),
        (["--scale", "nan"], ["--scale must be a number greater than zero"]),
        (["--scale=-1"], ["--scale must be a number greater than zero"]),
        (["--jobs", "9223372036854775807"], ["--jobs must be at most 256"]),
        (["--jobs", "1000000000"], ["--jobs must be at most 256"]),
        (["--jobs", "257"], ["--jobs must be at most 256"]),
        (["--jobs", "0"], ["--jobs must be 1 or more"]),
        (["--seed=-1"], ["--seed must be zero or more"]),
        (["--seed", "9223372036854775808"], ["--seed"]),
        (["generate", "--scale", "1e300", "--out", "x.sqlite"], ["--scale", "above the maximum"]),
        (["generate", "--jobs", "100000", "--out", "x.sqlite"], ["--jobs must be at most 256"]),
        (["fingerprint", "--jobs", "100000", "x.sqlite"], ["--jobs must be at most 256"]),
    ]

    @Test(arguments: 0..<badOptions.count)
    func outOfRangeOptionsExitTwo(_ index: Int) throws {
        let s = Scratch()
        let (arguments, words) = Self.badOptions[index]
        let r = try CLI.run(arguments + (arguments.first == "generate" || arguments.first == "fingerprint" ? [] : ["--out", s.path("run")]),
                            in: s.url, environment: s.env)
        expectRefused(r, words, in: s)
        #expect(!FileManager.default.fileExists(atPath: s.path("run")))
    }

    /// The same numbers in a manifest or profile, which pass the command
    /// line untouched.
    static let badSpecs: [(profile: String, manifest: String, words: [String])] = [
        ("  t: { rows: 10 }\n", "scale: 1e16\n", ["manifest.yaml", "scale", "above the maximum of 1,000,000"]),
        ("  t: { rows: 10 }\n", "scale: 1e300\n", ["manifest.yaml", "above the maximum"]),
        ("  t: { rows: 10 }\n", "scale: .nan\n", ["manifest.yaml"]),
        ("  t: { rows: 10 }\n", "seed: 99999999999999999999\n", ["manifest.yaml", "seed"]),
        ("  t: { rows: 1000000000000 }\n", "", ["profile.yaml", "rows must be at most 2,000,000,000"]),
        ("  t: { rows: 1500000000 }\n  u: { rows: 1500000000 }\n", "", ["more than 2,000,000,000 rows in all tables together"]),
        ("  t: { rows: 1000000000 }\n", "scale: 10\n", ["table t would get 10,000,000,000 rows", "maximum of 2,000,000,000 rows per table"]),
        ("  t: { rows: 10, columns: { code: { generator: hex, length: 1000000000 } } }\n", "", ["length must be at most 65,536"]),
        ("  t: { rows: 10, columns: { code: { generator: hex, length: -5 } } }\n", "", ["length must be 1 or more"]),
        ("  t: { rows: 10, columns: { at: { generator: timestamp, from: '2020-01-01', to: '100000-01-01' } } }\n", "", ["year must be from 1 to 9999"]),
        ("  t: { rows: 10, columns: { at: { generator: timestamp, from: '2020-01-01', to: '9223372036854775807-01-01' } } }\n", "", ["expected a date"]),
        ("  t: { rows: 10, columns: { at: { generator: timestamp, from: '2020-01-01', to: '2021-01-01' }, later: { generator: timestamp_after, column: at, max_seconds: 9223372036854775807 } } }\n", "", ["max_seconds must be at most"]),
        ("  t: { rows: 10, columns: { amount: { generator: normal, mean: 1e300, stddev: 1 } } }\n", "", ["mean must be between"]),
        ("  t: { rows: 10, columns: { amount: { generator: uniform_real, min: -1e308, max: 1e308 } } }\n", "", ["min must be between"]),
        ("  t: { rows: 10, columns: { amount: { generator: log-normal, mu: 1e6, sigma: 1 } } }\n", "", ["mu must be between -700 and 700"]),
        ("  t: { rows: 10, columns: { n: { generator: zipf, n: 100000000000 } } }\n", "", ["n must be at most 2,000,000,000"]),
        ("  t: { rows: 10, columns: { n: { generator: uniform, min: 0, max: 9, distinct: 9000000000000 } } }\n", "", ["distinct must be at most"]),
        ("  t: { rows: 10 }\n  u: { rows: 10, foreign_keys: [ { columns: [t_id], max_children: 1000000000000 } ] }\n", "", ["max_children must be at most 1,000,000"]),
        ("  t: { rows: 10 }\n  u: { rows: 10, foreign_keys: [ { columns: [t_id], fanout: { '0': 9223372036854775807, '1': 9223372036854775807 } } ] }\n", "", ["parent count must be at most"]),
        ("  t: { rows: 10, columns: { n: { observed: { null_fraction: -1e300 } } } }\n", "", ["null_fraction must be between 0 and 1"]),
        ("  t: { rows: 10, columns: { n: { observed: { distinct: 9223372036854775807 } } } }\n", "", ["distinct must be at most"]),
        ("  t: { rows: 10, columns: { n: { observed: { avg_width: 1e300 } } } }\n", "", ["avg_width must be between"]),
        ("  t: { rows: 10 }\n", "name: \(String(repeating: "n", count: 300))\n", ["the name must be 1 to 128 bytes long"]),
        ("  t: { rows: 10 }\n", "", []),  // control: this one passes
    ]

    @Test(arguments: 0..<badSpecs.count)
    func outOfRangeSpecsExitTwo(_ index: Int) throws {
        let s = Scratch()
        let (profile, manifest, words) = Self.badSpecs[index]
        let dir = try surrogate(in: s, profile: profile, manifestExtra: manifest)
        let r = try CLI.run([dir, "--out", s.path("run"), "-q"], in: s.url, environment: s.env)
        if words.isEmpty {
            #expect(r.status == 0, "\(r.all)")
            #expect(s.leftovers.isEmpty)
        } else {
            expectRefused(r, words, in: s)
        }
    }

    /// Forged evidence under --reproduce: a sealed run folder whose scale was
    /// rewritten to 1e300 is refused as bad input, not a trap.
    @Test func forgedScaleUnderReproduceIsRefused() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        for forged in ["1e300", "1e16", "nan", "-0"] {
            let evidence = s.path("run/evidence.json")
            let text = try String(contentsOfFile: evidence, encoding: .utf8)
            let current = try #require(text.range(of: #""scale":"[^"]*""#, options: .regularExpression))
            try text.replacingCharacters(in: current, with: "\"scale\":\"\(forged)\"").write(toFile: evidence, atomically: true, encoding: .utf8)
            #expect(try CLI.run(["seal", "write", s.path("run")]).status == 0)
            let r = try CLI.run(["validate", "--reproduce", s.path("run")], environment: s.env)
            #expect(r.status == 2 || r.status == 5, "\(forged): \(r.all)")
            #expect(!r.all.contains("Fatal error"))
            #expect(s.leftovers.isEmpty, "\(forged) left \(s.leftovers)")
        }
    }

    /// A run killed with SIGKILL cannot clean up; the next run under the
    /// same TMPDIR removes its scratch directory (and leaves its own none).
    @Test func nextRunSweepsAKilledRunsScratchDirectory() throws {
        let s = Scratch()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--surrogate", "commerce", "--scale", "40", "--out", s.path("killed")]
        process.currentDirectoryURL = CLI.root
        process.environment = ProcessInfo.processInfo.environment.merging(s.env) { _, n in n }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("provision scratch database") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let stale = s.leftovers
        #expect(stale.count == 1, "the killed run's scratch directory stays: \(stale)")
        #expect(FileManager.default.fileExists(atPath: s.url.appendingPathComponent(stale.first ?? "?").appendingPathComponent("rehearse-owner").path))
        // A kept scratch directory and a look-alike without an owner mark are not swept.
        let lookalike = s.url.appendingPathComponent("rehearse-lookalike")
        try FileManager.default.createDirectory(at: lookalike, withIntermediateDirectories: true)
        let next = try CLI.run(["--scale", "0.05", "--out", s.path("next"), "-q"], environment: s.env)
        #expect(next.status == 0, "\(next.all)")
        #expect(s.leftovers == ["rehearse-lookalike"], "\(s.leftovers)")
    }

    @Test func keptScratchDirectoryIsNotSwept() throws {
        let s = Scratch()
        let kept = try CLI.run(["--scale", "0.05", "--keep", "--out", s.path("kept"), "-q"], environment: s.env)
        #expect(kept.status == 0, "\(kept.all)")
        #expect(s.leftovers.count == 1)
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("next"), "-q"], environment: s.env).status == 0)
        #expect(s.leftovers.count == 1, "the kept directory stays")
    }

    /// Every unusable --out is found before the run starts: exit 2, a
    /// sentence naming the problem, no Foundation text, no scratch directory.
    @Test func unusableOutIsRefusedBeforeTheRun() throws {
        let s = Scratch()
        try "x".write(toFile: s.path("a-file"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: s.path("dangling"), withDestinationPath: s.path("nowhere/at/all"))
        let cases: [(out: String, words: [String])] = [
            ("/proc/rehearse-out", ["--out /proc/rehearse-out", "/proc holds views of the kernel"]),
            ("/proc/self/rehearse-out", ["is under /proc"]),
            ("/sys/rehearse-out", ["/sys holds views of the kernel"]),
            (s.path("dangling"), ["is a symbolic link to", "does not exist (a dangling link)"]),
            (s.path("dangling/run"), ["is a symbolic link to", "dangling link"]),
            (s.path("a-file/run"), ["a-file is a file, so nothing can be created below it"]),
            (s.path("a-file/deeper/run"), ["a-file is a file, so nothing can be created below it"]),
            (s.path("a-file"), ["is a file"]),
        ]
        for (out, words) in cases {
            let r = try CLI.run(["--scale", "0.05", "--out", out, "-q"], environment: s.env)
            expectRefused(r, words, in: s)
            #expect(!r.stdout.contains("Verdict"), "the run must not start: \(r.all)")
        }
        // Nothing was created: no probe file, no folder.
        let names = try FileManager.default.contentsOfDirectory(atPath: s.url.path).sorted()
        #expect(names == ["a-file", "dangling"], "\(names)")
    }

    /// A folder the user cannot write: root ignores permission bits, so this
    /// runs the check as nobody (setpriv) when the tests run as root.
    @Test func unwritableOutIsRefusedBeforeTheRun() throws {
        let s = Scratch()
        let locked = s.url.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: s.url.path)
        var arguments = [CLI.binary.path, CLI.root.appendingPathComponent("surrogates/commerce").path, "--scale", "0.05", "--out", locked.appendingPathComponent("run").path, "-q"]
        if getuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
            arguments = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + arguments
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = s.url
        process.environment = ProcessInfo.processInfo.environment.merging(s.env) { _, n in n }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "\(text)")
        #expect(text.contains("rehearse cannot create files in \(locked.path) (permission denied)"), "\(text)")
        #expect(s.leftovers.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
    }

    /// `generate --out FILE`: the file's folder passes the same check, and a
    /// link at the file's path (which SQLite would follow) is refused.
    @Test func unusableGenerateOutIsRefusedBeforeGenerating() throws {
        let s = Scratch()
        try "x".write(toFile: s.path("a-file"), atomically: true, encoding: .utf8)
        let target = s.path("through-the-link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: s.path("link.sqlite"), withDestinationPath: target)
        try FileManager.default.createSymbolicLink(atPath: s.path("dangling"), withDestinationPath: s.path("nowhere"))
        let cases: [(out: String, words: [String])] = [
            (s.path("link.sqlite"), ["is a symbolic link; rehearse never writes through a link"]),
            (s.path("dangling/x.sqlite"), ["dangling link"]),
            (s.path("a-file/x.sqlite"), ["a-file is a file, so nothing can be created below it"]),
            ("/proc/x.sqlite", ["/proc holds views of the kernel"]),
            (s.path("a-file"), ["already exists"]),
        ]
        for (out, words) in cases {
            let r = try CLI.run(["generate", "--scale", "0.05", "--out", out], environment: s.env)
            expectRefused(r, words, in: s)
            // `profile --out` writes a new file too, after reading the whole database.
            let chinook = CLI.root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_Sqlite.sqlite").path
            let p = try CLI.run(["profile", "--from", chinook, "--out", out], environment: s.env)
            expectRefused(p, words, in: s)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// --dump is refused (exit 3) and says what the operator path will be,
    /// without naming an option that does not exist.
    @Test func dumpRefusalNamesNoNonexistentOption() throws {
        let s = Scratch()
        let r = try CLI.run(["--dump", s.path("prod.dump")], environment: s.env)
        #expect(r.status == 3)
        #expect(r.stderr.contains("lane 2"))
        #expect(r.stderr.contains("bound to the dump's SHA-256"))
        // the options it names are ones the run command has
        #expect(r.stderr.contains("give --grant FILE --trust FILE"), "\(r.stderr)")
        let help = try CLI.run(["run", "--help"])
        #expect(help.stdout.contains("--grant <FILE>"))
        #expect(help.stdout.contains("--trust <FILE>"))
        #expect(s.leftovers.isEmpty)
    }
}
