import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Who runs the tools that read a dump (pg_restore listing, rendering and
/// restoring it). A dump is hostile input: a directory dump's toc.dat and
/// blobs.toc name files pg_restore opens, and a bug in pg_restore's parser is
/// a bug in whoever runs it. So when rehearse runs as root, those tools run as
/// the unprivileged system user the scratch cluster runs as (`postgres`, or
/// --pg-user), through runuser, and the private copy is made readable (not
/// writable) to that user's group alone: a file only root may read stays
/// unreadable to them, whatever the dump names. As an ordinary user, rehearse runs them as itself (nothing to
/// drop), and the copy is already private to it.
package struct DumpReader: Sendable {
    /// nil when rehearse is not root: the tools run as the caller.
    package let runAs: String?
    package let uid: uid_t
    package let gid: gid_t
    package let runuser: String?

    /// The reader for a run: the server user when root, else the caller.
    package static func forRun(requested: String?) throws -> DumpReader {
        guard getuid() == 0 else {
            return DumpReader(runAs: nil, uid: getuid(), gid: getgid(), runuser: nil)
        }
        let name = requested ?? "postgres"
        guard let pw = getpwnam(name) else {
            throw RehearseError.environment("rehearse runs as root and reads a dump only as the unprivileged system user '\(name)' (the scratch server's user), which does not exist. Create it (e.g. `useradd --system postgres`) or name another with --pg-user.")
        }
        guard pw.pointee.pw_uid != 0 else {
            throw RehearseError.refused("Refused: --pg-user \(name) is root; a dump is read only by an unprivileged user. Name an ordinary system user.")
        }
        guard let runuser = PostgresCluster.runuserPath else {
            throw RehearseError.environment("rehearse runs as root and needs runuser (util-linux) to read the dump as \(name). Install util-linux or run rehearse as an ordinary user.")
        }
        return DumpReader(runAs: name, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid, runuser: runuser)
    }

    /// No tool reads the dump (plain SQL and SQLite are read by rehearse
    /// itself): nothing to hand over.
    package static var inProcess: DumpReader { DumpReader(runAs: nil, uid: getuid(), gid: getgid(), runuser: nil) }

    /// The program and arguments that run `tool` as this reader.
    package func command(_ tool: URL, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let runAs, let runuser else { return (tool.path, arguments) }
        return (runuser, ["-u", runAs, "--", tool.path] + arguments)
    }

    /// Lets the reader read the private copy (a file, or a directory dump and
    /// its members), never change it: the copy stays root's, group the
    /// reader's, mode 0640 (0750 for the directory). So no process of the
    /// reader's user (a pg_restore bug, a program a dump got the server to
    /// run) can rewrite a member after it was hashed and scanned, add a link
    /// root would follow, or plant entries root's removal would walk
    /// (attack-d15 D-F1, D-F1b, D-F1c). The workspace itself stays root's,
    /// mode 0711: the reader may pass through it to the copy, but cannot list
    /// it or open anything else in it. Links are never followed (lchown; the
    /// copy holds only regular files rehearse wrote).
    package func confine(workspace: URL, copy: URL) throws {
        guard runAs != nil else { return }
        guard chmod(workspace.path, 0o711) == 0 else { throw handOver(workspace) }
        var st = stat()
        guard lstat(copy.path, &st) == 0 else { throw handOver(copy) }
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in try FileManager.default.contentsOfDirectory(atPath: copy.path) {
                try share(copy.appendingPathComponent(name), mode: 0o640)
            }
            try share(copy, mode: 0o750)
        } else {
            try share(copy, mode: 0o640)
        }
    }

    /// Root's, readable by the reader's group only.
    private func share(_ url: URL, mode: mode_t) throws {
        guard lchown(url.path, 0, gid) == 0, chmod(url.path, mode) == 0 else { throw handOver(url) }
    }

    /// A directory in the workspace the reader may write (pg_restore's
    /// rendering of an archive), owned by the reader, mode 0700.
    package func outputDirectory(in workspace: URL) throws -> URL {
        let dir = workspace.appendingPathComponent("out")
        if mkdir(dir.path, 0o700) != 0 && errno != EEXIST { throw handOver(dir) }
        if runAs != nil { try own(dir, mode: 0o700) }
        return dir
    }

    private func own(_ url: URL, mode: mode_t) throws {
        guard lchown(url.path, uid, gid) == 0, chmod(url.path, mode) == 0 else { throw handOver(url) }
    }

    private func handOver(_ url: URL) -> RehearseError {
        RehearseError.environment("Cannot let the system user \(runAs ?? "?") read the dump's private copy \(url.path) (\(String(cString: strerror(errno)))). Nothing was restored.")
    }
}
