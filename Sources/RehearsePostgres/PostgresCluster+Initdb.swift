import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// A fresh data directory for each cluster: initdb, or a copy of a cached
/// one made by the same initdb (the template cache).
extension PostgresCluster {
    // MARK: - Data directory and its cache

    package static let initdbArguments = ["-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]

    /// A fresh data directory: a copy of a cached one made by the same
    /// initdb with the same arguments (about a second faster than initdb),
    /// or initdb itself, whose result then seeds the cache. The cache lives
    /// in `$XDG_CACHE_HOME/rehearse` (default ~/.cache/rehearse), is keyed
    /// by the binaries, their version, the arguments and the server user,
    /// and is written atomically (a temporary name, then a rename).
    package func initializeDataDirectory() throws -> Bool {
        let template = Self.templateDirectory(bindir: bindir, runAs: runAs)
        // A cache without its completion mark (an older or damaged one) goes.
        if let template, FileManager.default.fileExists(atPath: template.path),
           !FileManager.default.fileExists(atPath: template.appendingPathComponent(Self.completeMark).path) {
            Self.discard(template)
        }
        if let template, FileManager.default.fileExists(atPath: template.appendingPathComponent(Self.completeMark).path) {
            let copied = try? ChildProcess.run("/bin/cp", ["-a", template.appendingPathComponent("data").path, dataDirectory.path],
                                               environment: ["PATH": "/usr/bin:/bin"], output: directory.appendingPathComponent("cp.out"))
            if copied?.status == 0 { return true }
            Interruption.removeTree(dataDirectory)
        }
        try run("initdb", ["-D", dataDirectory.path] + Self.initdbArguments, what: "initdb")
        guard let template else { return false }
        let staging = template.deletingLastPathComponent().appendingPathComponent(".\(template.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let copied = try ChildProcess.run("/bin/cp", ["-a", dataDirectory.path, staging.appendingPathComponent("data").path],
                                              environment: ["PATH": "/usr/bin:/bin"], output: directory.appendingPathComponent("cp.out"))
            let marked = FileManager.default.createFile(atPath: staging.appendingPathComponent(Self.completeMark).path, contents: Data())
            if copied.status != 0 || !marked || rename(staging.path, template.path) != 0 { Interruption.removeTree(staging) }
        } catch {
            Interruption.removeTree(staging)
        }
        return false
    }

    package static let completeMark = "complete"

    /// Moves a directory out of the way in one step, then deletes it: two
    /// runs discarding the same cache at once cannot leave half of it behind.
    package static func discard(_ url: URL) {
        let trash = url.deletingLastPathComponent().appendingPathComponent(".discarded-\(UUID().uuidString.prefix(8))")
        if rename(url.path, trash.path) == 0 { Interruption.removeTree(trash) }
    }

    /// Where the cached data directory for these binaries lives; nil when no
    /// cache directory can be named.
    package static func templateDirectory(bindir: URL, runAs: String?) -> URL? {
        let env = ProcessInfo.processInfo.environment
        let base: URL
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg)
        } else if let home = env["HOME"], home.hasPrefix("/") {
            base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            return nil
        }
        let version = (try? capture(bindir.appendingPathComponent("postgres"), ["--version"])) ?? ""
        let key = Digest.sha256Hex(Array(([bindir.path, version, runAs ?? "", String(getuid())] + initdbArguments).joined(separator: "\n").utf8))
        return base.appendingPathComponent("rehearse").appendingPathComponent("pg-template-\(key.prefix(16))")
    }
}
