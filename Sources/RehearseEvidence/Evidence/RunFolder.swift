import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RehearseCore

/// The files of a run folder (or any sealed folder), read into memory once:
/// relative path → bytes. The validator and the seal check work on this, so
/// they see one consistent snapshot and can be fuzzed without a disk.
///
/// Names are taken from the directory as raw bytes and admitted only when
/// every byte is in the portable set `[A-Za-z0-9._-]` (components joined by
/// `/`, no empty, `.` or `..` component). Two names that Unicode calls equal
/// (K and U+212A KELVIN SIGN, NFC and NFD) are different files to the kernel
/// and to `sha256sum`; a String comparison would merge them. With only ASCII
/// names admitted, the `String` keys below compare byte for byte.
package struct RunFolder: Sendable {
    package var files: [String: [UInt8]]
    /// Entries that were seen but never read: not regular files (links,
    /// FIFOs, sockets, devices) or names outside the portable set. The seal
    /// check reports each one, so the folder is rejected with its name.
    package var refused: [Refusal] = []

    package struct Refusal: Sendable, Equatable {
        /// The entry's relative path, with every byte outside printable ASCII shown as `\xNN`.
        package var path: String
        package var reason: String
    }

    /// Folders larger than this are refused: evidence folders are small, and a
    /// validator must not be made to read without bound.
    package static let maxTotalBytes = 256 << 20
    /// No single file of a run folder may be larger (the strict JSON parser's limit).
    package static let maxFileBytes = JSONValue.Limits.maxBytes
    /// A run folder holds a handful of files; many thousands is not one.
    package static let maxEntries = 4096
    /// Nesting deeper than this is not a run folder.
    package static let maxDepth = 16

    /// The limits for `directory`: a run folder's, or, for a migration walk
    /// folder (it holds `walk.json`), limits in proportion to its step folders
    /// and sealed sources (4096 entries and 256 MiB, plus 64 entries and
    /// 32 MiB per step folder and one entry per source file), up to 262 144
    /// entries and 4 GiB: a genuine walk of hundreds of migrations is not
    /// refused as too big (issue 13, W-F18), and no folder is read unbounded.
    package static func limits(for directory: URL) -> (entries: Int, bytes: Int) {
        var st = stat()
        guard lstat(directory.path + "/walk.json", &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return (maxEntries, maxTotalBytes) }
        func count(_ sub: String) -> Int {
            guard lstat(directory.path + "/" + sub, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, let dir = opendir(directory.path + "/" + sub) else { return 0 }
            defer { closedir(dir) }
            var n = 0
            while n < 1 << 18, readdir(dir) != nil { n += 1 }
            return max(0, n - 2)
        }
        let steps = count("steps"), sources = count("source")
        return (min(maxEntries + 64 * steps + sources, 1 << 18), min(maxTotalBytes + (32 << 20) * steps, 4 << 30))
    }

    package init(files: [String: [UInt8]]) {
        self.files = files
    }

    /// Reads every regular file under `directory`. Each entry is examined with
    /// `lstat` before anything is opened, opened with `O_NOFOLLOW | O_NONBLOCK`
    /// (a link swapped in meanwhile fails, a FIFO never blocks), and its size
    /// checked with `fstat` on that descriptor before one byte is read.
    package init(directory: URL) throws {
        let top = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else {
            if errno == ENOTDIR {
                throw RehearseError.badInput("\(directory.path) is a file, not a run folder. Give the folder a rehearsal wrote (it holds evidence.json and SEAL.sha256).")
            }
            throw RehearseError.badInput("\(directory.path): no such run folder. Give a folder a rehearsal wrote (it holds evidence.json and SEAL.sha256), or another sealed folder.")
        }
        var walk = Walk(root: directory.path)
        (walk.maxEntries, walk.maxTotalBytes) = Self.limits(for: directory)
        try walk.walk(directoryFD: top, prefix: [], depth: 0)
        files = walk.files
        refused = walk.refused
    }

    /// Relative paths in byte order.
    package var paths: [String] {
        files.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The bytes of the file whose name has exactly these UTF-8 bytes; never
    /// a Unicode-equivalent name.
    package func file(named name: String) -> [UInt8]? {
        guard Self.isPortable(name), let bytes = files[name] else { return nil }
        return bytes
    }

    /// Whether a relative path is in the portable set: ASCII letters, digits,
    /// `.`, `_`, `-`, components joined by single `/`, no empty, `.` or `..`
    /// component, no leading `/`.
    package static func isPortable(_ path: String) -> Bool {
        isPortable(Array(path.utf8))
    }

    package static func isPortable(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard isPortableComponent(Array(component)) else { return false }
        }
        return true
    }

    package static func isPortableComponent(_ c: [UInt8]) -> Bool {
        guard !c.isEmpty, c != [0x2E], c != [0x2E, 0x2E] else { return false }
        return c.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x5F || b == 0x2D
        }
    }

    /// A name for messages: printable ASCII as is, every other byte as `\xNN`,
    /// so a look-alike name cannot pass for the name it imitates.
    package static func display(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7F && b != 0x5C { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += String(format: "\\x%02x", b) }
        }
        return out
    }

    package static func display(_ name: String) -> String { display(Array(name.utf8)) }

    private struct Walk {
        let root: String
        var maxEntries = RunFolder.maxEntries
        var maxTotalBytes = RunFolder.maxTotalBytes
        var files: [String: [UInt8]] = [:]
        var refused: [Refusal] = []
        var entries = 0
        var total = 0

        func rejected(_ message: String) -> RehearseError {
            RehearseError(.evidenceRejected, "\(root): \(message)")
        }

        mutating func walk(directoryFD: Int32, prefix: [UInt8], depth: Int) throws {
            guard let dir = fdopendir(directoryFD) else {
                close(directoryFD)
                throw RehearseError.environment("\(root)/\(RunFolder.display(prefix)): cannot be listed. Check its permissions.")
            }
            defer { closedir(dir) }
            var names: [[UInt8]] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if name == [0x2E] || name == [0x2E, 0x2E] { continue }
                entries += 1
                if entries > maxEntries {
                    throw rejected("holds more than \(maxEntries) entries; that is not a run folder. Validate the folder a rehearsal wrote.")
                }
                names.append(name)
            }
            // Byte order, so findings come out the same on every file system.
            names.sort { $0.lexicographicallyPrecedes($1) }
            let fd = dirfd(dir)
            for name in names {
                let rel = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
                let shown = RunFolder.display(rel)
                guard RunFolder.isPortableComponent(name) else {
                    refused.append(Refusal(path: shown, reason: "the name has bytes outside the portable set [A-Za-z0-9._-]; a sealed folder names its files in that set only, so no two names can look alike"))
                    continue
                }
                // Portable names are ASCII: this String has exactly the name's bytes.
                let path = String(decoding: name, as: UTF8.self)
                var st = stat()
                guard fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw RehearseError.environment("\(root)/\(shown): cannot be examined. Check its permissions.")
                }
                let kind = st.st_mode & S_IFMT
                if kind == S_IFDIR {
                    guard depth < RunFolder.maxDepth else {
                        throw rejected("\(shown) is nested more than \(RunFolder.maxDepth) folders deep; that is not a run folder.")
                    }
                    let sub = openat(fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard sub >= 0 else { throw RehearseError.environment("\(root)/\(shown): cannot be opened. Check its permissions.") }
                    try walk(directoryFD: sub, prefix: rel, depth: depth + 1)
                    continue
                }
                guard kind == S_IFREG else {
                    refused.append(Refusal(path: shown, reason: "not a regular file (\(Self.describe(kind))); a sealed folder holds regular files only, and this one was not opened"))
                    continue
                }
                files[String(decoding: rel, as: UTF8.self)] = try readFile(at: fd, name: path, shown: shown)
            }
        }

        static func describe(_ kind: mode_t) -> String {
            switch kind {
            case S_IFLNK: "a symbolic link"
            case S_IFIFO: "a FIFO"
            case S_IFSOCK: "a socket"
            case S_IFCHR, S_IFBLK: "a device"
            default: "not a plain file"
            }
        }

        mutating func readFile(at dirFD: Int32, name: String, shown: String) throws -> [UInt8] {
            let fd = openat(dirFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ELOOP { throw rejected("\(shown) became a symbolic link while the folder was read; validate it again when nothing is changing it.") }
                throw RehearseError.environment("\(root)/\(shown): cannot be read. Check its permissions.")
            }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw RehearseError.environment("\(root)/\(shown): cannot be examined. Check its permissions.") }
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw rejected("\(shown) stopped being a regular file while the folder was read; validate it again when nothing is changing it.")
            }
            let size = Int(st.st_size)
            guard size <= RunFolder.maxFileBytes else {
                throw rejected("\(shown) holds \(size) bytes, more than the \(RunFolder.maxFileBytes >> 20) MiB any file of a run folder may hold; it was not read.")
            }
            total += size
            guard total <= maxTotalBytes else {
                throw rejected("holds more than \(maxTotalBytes >> 20) MiB; that is not a run folder, and it was not read in full.")
            }
            // Read one byte more than fstat reported, to notice a file that grows.
            var bytes = [UInt8](repeating: 0, count: size + 1)
            var got = 0
            while got < bytes.count {
                let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RehearseError.environment("\(root)/\(shown): cannot be read. Check its permissions.")
                }
                if n == 0 { break }
                got += n
            }
            guard got == size else {
                throw rejected("\(shown) changed size while it was read; validate the folder again when nothing is changing it.")
            }
            bytes.removeLast()
            return bytes
        }
    }
}
