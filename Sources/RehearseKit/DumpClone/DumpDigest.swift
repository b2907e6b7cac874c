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
/// listing: one line `<name> <size> <sha256>\n` per member (the name, its
/// size in bytes in decimal, the SHA-256 of its bytes in lowercase hex),
/// sorted by name bytes. Recomputed by hand:
/// `cd DIR && for f in $(ls | LC_ALL=C sort); do printf '%s %s %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -c1-64)"; done | sha256sum`.
/// The listing is unambiguous because a member may only have a name pg_dump
/// writes (``DirectoryDump/isMemberName(_:)``: no space, newline or slash).
/// A directory holding anything else is refused, naming the entry: a symlink
/// (it could point the restore at another file), a subdirectory, a device or
/// FIFO, a file with another name, a file with more than one hard link (its
/// bytes may be another file's).
///
/// ``copy(path:into:)`` reads every byte once, hashing it while writing the
/// private copy that is then scanned and restored, so the bytes restored are
/// the bytes hashed: nothing re-reads the source after it has been checked.
/// The source is opened read-only and never written; members are opened
/// relative to the directory, without following links.
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
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
            guard fd >= 0 else {
                throw RehearseError.badInput("Cannot open the dump \(RunFolder.display(path)) for reading: \(String(cString: strerror(errno))).")
            }
            defer { close(fd) }
            var now = stat()
            guard fstat(fd, &now) == 0, now.st_mode & S_IFMT == S_IFREG else {
                throw RehearseError.badInput("The dump \(RunFolder.display(path)) stopped being a regular file while rehearse opened it. Give a dump nothing else is changing.")
            }
            return (try hash(fd, shown: path, copyTo: destination).digest, false)
        case S_IFDIR:
            return (try directory(path, into: destination), true)
        default:
            throw RehearseError.badInput("The dump \(RunFolder.display(path)) is neither a file nor a pg_dump -Fd directory.")
        }
    }

    /// A directory dump: each member checked, hashed and (when asked) copied;
    /// the digest of the listing.
    static func directory(_ path: String, into destination: URL?) throws -> String {
        let dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else {
            throw RehearseError.badInput("Cannot open the directory dump \(RunFolder.display(path)): \(String(cString: strerror(errno))).")
        }
        defer { close(dirfd) }
        let names = try DirectoryDump.memberNames(dirfd, shown: path)
        var problems: [String] = []
        for name in names {
            var m = stat()
            guard fstatat(dirfd, name, &m, AT_SYMLINK_NOFOLLOW) == 0 else {
                problems.append("\(RunFolder.display(name)) (unreadable: \(String(cString: strerror(errno))))")
                continue
            }
            if let kind = DirectoryDump.notARegularFile(m.st_mode) {
                problems.append("\(RunFolder.display(name)), which is \(kind)")
            } else if !DirectoryDump.isMemberName(Array(name.utf8)) {
                problems.append("\(RunFolder.display(name)), a file pg_dump never writes (its members are toc.dat, N.dat[.gz|.lz4|.zst], blobs.toc and blob_N.dat[.gz|.lz4|.zst])")
            } else if m.st_nlink != 1 {
                problems.append("\(RunFolder.display(name)), a file with \(m.st_nlink) hard links (its bytes are also another file's; copy the dump with cp -r, not cp -l)")
            }
        }
        if !problems.isEmpty {
            throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(path)) holds \(problems.prefix(5).joined(separator: "; "))\(problems.count > 5 ? "; and \(problems.count - 5) more" : ""). A pg_dump -Fd directory holds only pg_dump's own regular files; anything else could point the restore at a file outside the dump. Nothing was restored.")
        }
        if let destination {
            guard mkdir(destination.path, 0o700) == 0 else {
                throw RehearseError.environment("Cannot create \(destination.path) for the dump's private copy: \(String(cString: strerror(errno))).")
            }
        }
        var listing = [UInt8]()
        for name in names {
            // Opened relative to the directory already open, never following
            // a link, without blocking on a FIFO swapped in since the check;
            // then checked again on the open file itself.
            let fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK)
            guard fd >= 0 else {
                throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(path)) member \(RunFolder.display(name)) cannot be opened as a regular file (\(String(cString: strerror(errno)))); it changed while rehearse read it, or is a link. Nothing was restored.")
            }
            defer { close(fd) }
            var m = stat()
            guard fstat(fd, &m) == 0, m.st_mode & S_IFMT == S_IFREG, m.st_nlink == 1 else {
                throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(path)) member \(RunFolder.display(name)) stopped being a plain regular file while rehearse read it. Nothing was restored.")
            }
            let member = try hash(fd, shown: (path as NSString).appendingPathComponent(name), copyTo: destination?.appendingPathComponent(name))
            listing += Array("\(name) \(member.size) \(member.digest)\n".utf8)
        }
        return Digest.sha256Hex(listing)
    }

    /// Streams one open file, hashing it and, when asked, writing a private
    /// copy (created exclusively, mode 0600, bytes copied, never linked).
    static func hash(_ fd: Int32, shown path: String, copyTo destination: URL?) throws -> (digest: String, size: Int) {
        var out: Int32 = -1
        if let destination {
            out = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard out >= 0 else {
                throw RehearseError.environment("Cannot create the dump's private copy \(destination.path): \(String(cString: strerror(errno))).")
            }
        }
        defer { if out >= 0 { close(out) } }
        var hasher = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RehearseError.environment("Reading the dump \(RunFolder.display(path)) failed: \(String(cString: strerror(errno))).")
            }
            if n == 0 { break }
            size += n
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
        return (Digest.hex(hasher.finalize()), size)
    }
}
