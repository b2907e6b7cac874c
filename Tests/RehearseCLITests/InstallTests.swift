import Foundation
import Testing

/// `make install`'s layout (scripts/install.sh), run the way a user runs an
/// installed tool: from another directory, through PATH or a symlink, with
/// an empty environment.
struct Installed {
    let scratch = Scratch()
    var prefix: URL { scratch.url.appendingPathComponent("prefix") }
    var binary: URL { prefix.appendingPathComponent("bin/rehearse") }
    var surrogates: URL { prefix.appendingPathComponent("share/rehearse/surrogates") }

    init() throws {
        let r = try Self.sh(["scripts/install.sh", "--binary", CLI.binary.path, prefix.path], in: CLI.root)
        #expect(r.status == 0, "\(r.all)")
    }

    /// Runs a program with exactly `environment` (nothing inherited).
    static func sh(_ arguments: [String], in directory: URL, environment: [String: String]? = nil, executable: URL? = nil) throws -> CLI.Result {
        let process = Process()
        process.executableURL = executable ?? URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment ?? ProcessInfo.processInfo.environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func run(_ arguments: [String], in directory: URL = URL(fileURLWithPath: "/"), environment: [String: String] = [:], binary: URL? = nil) throws -> CLI.Result {
        try Self.sh(arguments, in: directory, environment: environment, executable: binary ?? self.binary)
    }

    func file(_ relative: String) -> URL { prefix.appendingPathComponent(relative) }
}

@Suite struct InstallTests {
    /// The issue's "done when": the installed binary, run from / with an
    /// empty environment, rehearses commerce.
    @Test func theInstalledBinaryRehearsesCommerceFromRootWithAnEmptyEnvironment() throws {
        let i = try Installed()
        for path in ["bin/rehearse", "share/rehearse/surrogates/commerce/manifest.yaml", "share/rehearse/surrogates/lossy-rollback/manifest.yaml",
                     "share/rehearse/schemas/evidence.schema.json", "share/rehearse/schemas/manifest.schema.json",
                     "share/bash-completion/completions/rehearse", "share/zsh/site-functions/_rehearse",
                     "share/fish/vendor_completions.d/rehearse.fish", "share/man/man1/rehearse.1"] {
            #expect(FileManager.default.fileExists(atPath: i.file(path).path), "\(path) not installed")
        }
        let r = try i.run(["--surrogate", "commerce", "--scale", "0.1", "--out", i.scratch.path("run")])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Verdict: PASS (evidence valid)"))
        let v = try i.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.contains("surrogates: \(i.surrogates.path) (commerce, lossy-lowercase, lossy-null-delete, lossy-rollback)"), "\(v.all)")
    }

    /// Found through PATH, argv[0] is a bare name: read against the working
    /// directory it would name whatever `./rehearse` is there. The real path
    /// decides, so a look-alike share folder beside the working directory is
    /// not used.
    @Test func aBinaryFoundOnPathUsesItsOwnRealPathNotTheWorkingDirectory() throws {
        let i = try Installed()
        let decoy = i.scratch.url.appendingPathComponent("decoy/bin")
        try FileManager.default.createDirectory(at: decoy, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: decoy.appendingPathComponent("rehearse"), atomically: true, encoding: .utf8)
        chmod(decoy.appendingPathComponent("rehearse").path, 0o755)
        let planted = i.scratch.url.appendingPathComponent("decoy/share/rehearse/surrogates/planted")
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
        try "name: planted\n".write(to: planted.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let r = try Installed.sh(["rehearse", "--version"], in: decoy, environment: ["PATH": i.prefix.appendingPathComponent("bin").path])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("surrogates: \(i.surrogates.path) (commerce, lossy-lowercase, lossy-null-delete, lossy-rollback)"), "\(r.all)")
        #expect(!r.all.contains("planted"))
    }

    @Test func aSymlinkToTheBinaryFindsTheInstalledSurrogates() throws {
        let i = try Installed()
        let elsewhere = i.scratch.url.appendingPathComponent("elsewhere/bin")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let link = elsewhere.appendingPathComponent("rh")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: i.binary)
        let r = try i.run(["--version"], binary: link)
        #expect(r.stdout.contains("surrogates: \(i.surrogates.path)"), "\(r.all)")
        let run = try i.run(["--scale", "0.05", "--out", i.scratch.path("run")], binary: link)
        #expect(run.status == 0, "\(run.all)")
    }

    /// The installed surrogates come first: a `./surrogates/commerce` in the
    /// working directory (a broken one here) does not replace them, and
    /// $REHEARSE_SURROGATES_PATH adds names without shadowing them either.
    @Test func theInstalledSurrogatesComeBeforeTheEnvironmentAndTheWorkingDirectory() throws {
        let i = try Installed()
        let work = i.scratch.url.appendingPathComponent("work")
        for root in ["work/surrogates/commerce", "extra/commerce"] {
            let bad = i.scratch.url.appendingPathComponent(root)
            try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
            try "name: commerce\nschema: missing.sql\nprofile: missing.yaml\nbirth: missing.sql\nrollback: missing.sql\n"
                .write(to: bad.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        }
        let extra = i.scratch.url.appendingPathComponent("extra")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/commerce"), to: extra.appendingPathComponent("mine"))
        let env = ["REHEARSE_SURROGATES_PATH": extra.path]
        let r = try i.run(["commerce", "--scale", "0.05", "--out", i.scratch.path("run")], in: work, environment: env)
        #expect(r.status == 0, "\(r.all)")
        let mine = try i.run(["mine", "--scale", "0.05", "--out", i.scratch.path("run2")], in: work, environment: env)
        #expect(mine.status == 0, "the environment's directory is searched: \(mine.all)")
    }

    /// The original report: a binary copied alone finds no surrogates. It
    /// now says so, and says every place it looked, in order.
    @Test func aBinaryWithoutItsShareDirectoryListsThePlacesItLooked() throws {
        let s = Scratch()
        let bin = s.url.appendingPathComponent("lonely/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.binary, to: bin.appendingPathComponent("rehearse"))
        let empty = s.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let env = ["REHEARSE_SURROGATES_PATH": s.path("nowhere")]
        let share = s.url.appendingPathComponent("lonely/share/rehearse/surrogates").path
        let places = "\(share), \(s.path("nowhere")), \(empty.path)/surrogates"
        let v = try Installed.sh(["--version"], in: empty, environment: env, executable: bin.appendingPathComponent("rehearse"))
        #expect(v.status == 0)
        #expect(v.stdout.contains("surrogates: none found; looked in \(places)"), "\(v.all)")
        let r = try Installed.sh(["commerce"], in: empty, environment: env, executable: bin.appendingPathComponent("rehearse"))
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("Unknown surrogate 'commerce'. Known surrogates: none were found (looked in \(places))"), "\(r.all)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func theBashCompletionLoadsAndCompletesSubcommands() throws {
        let i = try Installed()
        let script = """
            source "$1" || exit 3
            complete -p rehearse || exit 4
            COMP_WORDS=(rehearse val); COMP_CWORD=1; COMP_LINE="rehearse val"; COMP_POINT=${#COMP_LINE}
            _rehearse rehearse val rehearse
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let env = ["PATH": i.prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin"]
        let r = try Installed.sh(["bash", "--norc", "--noprofile", "-c", script, "bash", i.file("share/bash-completion/completions/rehearse").path],
                                 in: i.scratch.url, environment: env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("complete -o filenames -F _rehearse rehearse") || r.stdout.contains("-F _rehearse"), "\(r.all)")
        #expect(r.stdout.split(separator: "\n").contains("validate"), "\(r.all)")
        #expect(!r.stderr.contains("syntax error"), "\(r.stderr)")
        // zsh and fish check the syntax of theirs when they are installed.
        for (shell, file) in [("zsh", "share/zsh/site-functions/_rehearse"), ("fish", "share/fish/vendor_completions.d/rehearse.fish")] {
            let found = try Installed.sh(["sh", "-c", "command -v \(shell)"], in: i.scratch.url)
            guard found.status == 0 else { continue }
            let check = try Installed.sh([shell, "-n", i.file(file).path], in: i.scratch.url)
            #expect(check.status == 0, "\(shell): \(check.all)")
        }
    }

    @Test func manRendersThePageWithEveryCommand() throws {
        let i = try Installed()
        let r = try Installed.sh(["man", "--warnings", "-l", i.file("share/man/man1/rehearse.1").path], in: i.scratch.url,
                                 environment: ["PATH": "/usr/bin:/bin", "MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat", "LANG": "C.UTF-8"])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stderr.isEmpty, "man or groff warned: \(r.stderr)")
        for text in ["REHEARSE(1)", "NAME", "SYNOPSIS", "rehearse validate", "rehearse generate", "--engine engine", "One of: sqlite, postgres",
                     "REHEARSE_SURROGATES_PATH", "share/rehearse/surrogates"] {
            #expect(r.stdout.contains(text), "missing \(text)")
        }
        #expect(!r.stdout.contains("rehearse manual"), "the hidden command is not documented")
    }

    @Test func uninstallRemovesEverythingItInstalled() throws {
        let i = try Installed()
        let other = i.file("share/man/man1/other.1")
        try "keep me".write(to: other, atomically: true, encoding: .utf8)
        let r = try Installed.sh(["scripts/install.sh", "--uninstall", i.prefix.path], in: CLI.root)
        #expect(r.status == 0, "\(r.all)")
        let left = FileManager.default.enumerator(atPath: i.prefix.path)?.allObjects as? [String] ?? []
        #expect(Set(left) == ["share", "share/man", "share/man/man1", "share/man/man1/other.1"], "\(left.sorted())")
    }

    /// Folders that were there before the install (empty ones included)
    /// are not the install's to remove.
    @Test func uninstallLeavesFoldersThatExistedBefore() throws {
        let s = Scratch()
        let prefix = s.url.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share/man/man1"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        for args in [["--binary", CLI.binary.path, prefix.path], ["--binary", CLI.binary.path, prefix.path], ["--uninstall", prefix.path]] {
            let r = try Installed.sh(["scripts/install.sh"] + args, in: CLI.root)
            #expect(r.status == 0, "\(r.all)")
        }
        let left = FileManager.default.enumerator(atPath: prefix.path)?.allObjects as? [String] ?? []
        #expect(Set(left) == ["bin", "share", "share/man", "share/man/man1"], "\(left.sorted())")
    }

    @Test func installRefusesAMissingBinaryAndAMissingPrefix() throws {
        let s = Scratch()
        let r = try Installed.sh(["scripts/install.sh", "--binary", s.path("none"), s.path("prefix")], in: CLI.root)
        #expect(r.status == 4, "\(r.all)")
        #expect(r.stderr.contains("no binary at \(s.path("none"))"))
        #expect(!FileManager.default.fileExists(atPath: s.path("prefix")))
        let p = try Installed.sh(["scripts/install.sh"], in: CLI.root)
        #expect(p.status == 2, "\(p.all)")
        #expect(p.stderr.contains("give the prefix"))
    }
}
