import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A private directory (mkdtemp, mode 0700) holding a dump's copy while it is
/// hashed, scanned and restored: real data never sits anywhere else, and the
/// directory is removed when the work ends, also on SIGINT/SIGTERM.
package final class DumpWorkspace {
    package let url: URL

    package init(parent: URL? = nil) throws {
        let base = (parent ?? FileManager.default.temporaryDirectory).path
        var template = Array("\(base)/rehearse-dump-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw RehearseError.environment("Cannot create a private directory for the dump under \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory.")
        }
        url = URL(fileURLWithPath: String(cString: made))
        Interruption.register(url, keep: false)
        // Who owns it, so a later run can sweep it if this process is killed.
        FileManager.default.createFile(atPath: url.appendingPathComponent(Self.ownerFile).path, contents: Data("\(getpid())\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
    }

    package static let ownerFile = "owner.pid"

    /// Removes private dump copies in `parent` whose owning process is gone
    /// (killed with SIGKILL, a crash): real data must not outlive its run.
    /// A directory without an owner file is left alone for an hour (it may be
    /// being created).
    package static func cleanStale(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix("rehearse-dump-") {
            let dir = parent.appendingPathComponent(name)
            var st = stat()
            guard lstat(dir.path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid() else { continue }
            if let text = try? String(contentsOf: dir.appendingPathComponent(ownerFile), encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                if pid == getpid() || kill(pid, 0) == 0 || errno == EPERM { continue }
            } else if time(nil) - st.st_mtim.tv_sec < 3600 {
                continue
            }
            Interruption.removeTree(dir)
        }
    }

    /// Removes the directory and everything in it (the copy, any rendering).
    package func remove() {
        Interruption.unregister(url)
        // Never by path: the reader may write in out/ (``SafeRemoval``).
        Interruption.removeTree(url)
    }

    deinit { remove() }
}

/// `rehearse scan`: copy while hashing, detect, scan, remove.
package enum DumpScanCommand {
    package struct Outcome: Sendable {
        package var digest: String
        package var format: DumpFormat
        package var report: SecretScanReport
    }

    package static func run(dump: String, allowlist: SecretAllowlist, bindir: String?, pgUser: String? = nil) throws -> Outcome {
        let workspace = try DumpWorkspace()
        defer { workspace.remove() }
        let copy = try DumpDigest.copy(path: dump, into: workspace.url)
        let format = try DumpFormat.detect(copy.copy, isDirectory: copy.isDirectory)
        let reader = try format.isArchive ? DumpReader.forRun(requested: pgUser) : .inProcess
        try reader.confine(workspace: workspace.url, copy: copy.copy)
        let report = try DumpScan.scan(copy: copy.copy, format: format, shown: dump, workDirectory: workspace.url,
                                       bindir: try format.isArchive ? PostgresCluster.locateBinaries(bindir) : nil, reader: reader, allowlist: allowlist)
        return Outcome(digest: copy.digest, format: format, report: report)
    }
}
