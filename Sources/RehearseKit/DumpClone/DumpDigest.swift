import Crypto
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The SHA-256 that names a dump: the digest a grant's subject must equal.
///
/// A file dump (plain SQL, custom, tar, SQLite) is named by the SHA-256 of its
/// bytes. A directory dump (`pg_dump -Fd`) is named by the SHA-256 of its
/// listing: one line `<sha256 of member>  <member name>\n` per regular file,
/// sorted by name bytes. A directory holding anything but regular files
/// (symlinks, subdirectories, devices) is refused: it could point a restore
/// at another file.
///
/// ``copy(path:into:)`` reads every byte once, hashing it while writing the
/// private copy that is then scanned and restored, so the bytes restored are
/// the bytes hashed: nothing re-reads the source after it has been checked.
package enum DumpDigest {
    /// Hashes a dump without copying it (`grant create`, `grant verify`, the
    /// before-and-after check on the source).
    package static func of(path: String) throws -> String {
        try walk(path: path, into: nil).digest
    }

    /// Copies a dump into `directory` (which must exist, private to this run)
    /// while hashing it; returns the digest and the copy's location.
    package static func copy(path: String, into directory: URL) throws -> (digest: String, copy: URL, isDirectory: Bool) {
        let result = try walk(path: path, into: directory.appendingPathComponent("dump"))
        return (result.digest, directory.appendingPathComponent("dump"), result.isDirectory)
    }

    package static func walk(path: String, into destination: URL?) throws -> (digest: String, isDirectory: Bool) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw RehearseError.badInput("Cannot read the dump \(RunFolder.display(path)): it is missing or not readable. Check the path.")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            return (try hashFile(path, copyTo: destination), false)
        case S_IFDIR:
            if let destination {
                guard mkdir(destination.path, 0o700) == 0 else {
                    throw RehearseError.environment("Cannot create \(destination.path) for the dump's private copy: \(String(cString: strerror(errno))).")
                }
            }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                throw RehearseError.badInput("Cannot list the directory dump \(RunFolder.display(path)): \(SystemErrorText.describe(error)).")
            }
            var listing = [UInt8]()
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                // pg_dump names members toc.dat, NNNN.dat[.gz], blobs.toc, blob_N.dat[.gz]:
                // anything else (a newline, a slash) could make two listings alike.
                guard !name.isEmpty, name.utf8.allSatisfy({ SecretRules.isAlnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }) else {
                    throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(path)) holds a member whose name has characters pg_dump never writes (only letters, digits, '.', '_' and '-'). Nothing was restored.")
                }
                let member = (path as NSString).appendingPathComponent(name)
                var m = stat()
                guard lstat(member, &m) == 0, m.st_mode & S_IFMT == S_IFREG else {
                    throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(path)) holds \(RunFolder.display(name)), which is not a regular file (a symlink, directory or device); a pg_dump -Fd directory holds only regular files, and a link could point the restore at another file. Nothing was restored.")
                }
                let digest = try hashFile(member, copyTo: destination?.appendingPathComponent(name))
                listing += Array("\(digest)  \(name)\n".utf8)
            }
            return (Digest.sha256Hex(listing), true)
        default:
            throw RehearseError.badInput("The dump \(RunFolder.display(path)) is neither a file nor a pg_dump -Fd directory.")
        }
    }

    /// Streams one file, hashing it and, when asked, writing a private copy
    /// (created exclusively, mode 0600). The source is opened read-only and
    /// without following a final symlink swapped in after the stat.
    package static func hashFile(_ path: String, copyTo destination: URL?) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            throw RehearseError.badInput("Cannot open the dump \(RunFolder.display(path)) for reading: \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var out: Int32 = -1
        if let destination {
            out = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard out >= 0 else {
                throw RehearseError.environment("Cannot create the dump's private copy \(destination.path): \(String(cString: strerror(errno))).")
            }
        }
        defer { if out >= 0 { close(out) } }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RehearseError.environment("Reading the dump \(RunFolder.display(path)) failed: \(String(cString: strerror(errno))).")
            }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
            if out >= 0 {
                var written = 0
                while written < n {
                    let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + written, n - written) }
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw RehearseError.environment("Writing the dump's private copy failed: \(String(cString: strerror(errno))). Check the free space of the temporary directory.")
                    }
                    written += w
                }
            }
        }
        return Digest.hex(hasher.finalize())
    }
}
