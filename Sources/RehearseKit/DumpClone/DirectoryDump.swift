import Foundation
import RehearseCore
import RehearseEvidence

/// A pg_dump directory (`-Fd`) is confined before pg_restore reads it.
///
/// pg_restore opens `<directory>/<name>` for every name the dump itself
/// holds: each data entry of toc.dat carries its file name, and blobs.toc
/// lists one file per large object. Nothing in pg_restore keeps those names
/// inside the directory, so a crafted `../../x` would read any file its user
/// can read into the clone, past the digest, the grant and the secret scan.
/// Rehearse therefore, on the private copy and before any pg_restore runs
/// (listing, rendering for the scan, restore):
///
/// - accepts only pg_dump's member names (``isMemberName(_:)``), as regular
///   files with one link (``DumpDigest``);
/// - reads toc.dat itself (archive versions 1.12 to 1.14: pg_dump 9.0 to 15)
///   and requires every file name in it to be the one pg_dump writes for
///   that entry: `<dump id>.dat` for data, `blobs.toc` for large objects;
///   the whole file must parse to its last byte, or it is refused;
/// - requires every line of a large-object list (blobs.toc) to be
///   `<oid> blob_<oid>.dat`.
///
/// So every file pg_restore opens is a flat name inside the private copy.
package enum DirectoryDump {
    /// `toc.dat`, `blobs.toc`, `blobs_N.toc`, `N.dat`, `blob_N.dat`, the last
    /// two optionally with `.gz`, `.lz4` or `.zst`: the names pg_dump writes.
    package static func isMemberName(_ name: [UInt8]) -> Bool {
        let s = String(decoding: name, as: UTF8.self)
        if s == "toc.dat" || s == "blobs.toc" { return true }
        if let n = strip(s, prefix: "blobs_", suffix: ".toc") { return isNumber(n) }
        var base = s
        for ext in [".gz", ".lz4", ".zst"] where base.hasSuffix(ext) {
            base = String(base.dropLast(ext.count))
            break
        }
        guard let stem = strip(base, prefix: "", suffix: ".dat") else { return false }
        if let oid = strip(stem, prefix: "blob_", suffix: "") { return isNumber(oid) }
        return isNumber(stem)
    }

    static func strip(_ s: String, prefix: String, suffix: String) -> String? {
        guard s.hasPrefix(prefix), s.hasSuffix(suffix), s.utf8.count >= prefix.utf8.count + suffix.utf8.count else { return nil }
        return String(s.dropFirst(prefix.count).dropLast(suffix.count))
    }

    static func isNumber(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 10 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// What a member that is not a regular file is, for the refusal.
    package static func notARegularFile(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFLNK: "a symbolic link"
        case S_IFDIR: "a subdirectory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a device"
        }
    }

    /// The directory's entries (not `.` and `..`), sorted by name bytes. A
    /// name that is not UTF-8 is refused here (pg_dump never writes one).
    static func memberNames(_ dirfd: Int32, shown: String) throws -> [String] {
        let copy = dup(dirfd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw RehearseError.badInput("Cannot list the directory dump \(RunFolder.display(shown)): \(String(cString: strerror(errno))).")
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes == [46] || bytes == [46, 46] { continue }
            names.append(bytes)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return try names.map { bytes in
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(shown)) holds \(RunFolder.display(bytes)), a file pg_dump never writes (its name is not even UTF-8). Nothing was restored.")
            }
            return name
        }
    }

    /// One entry of toc.dat that names a file.
    package struct NamedFile: Equatable, Sendable {
        package var dumpID: Int
        package var desc: String
        package var tag: String
        package var file: [UInt8]
    }

    /// Checks the names in the private copy's toc.dat and large-object lists
    /// (see the type's comment); refuses naming the entry or line.
    package static func confine(_ copy: URL, shown: String) throws {
        let toc = try bounded(copy.appendingPathComponent("toc.dat"), shown: shown)
        let named: [NamedFile]
        var reader = TOCReader(bytes: toc)
        do { named = try reader.fileNames() } catch let problem as TOCReader.Problem {
            throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(shown)) has a toc.dat rehearse cannot read: \(problem.sentence). Nothing was restored.")
        }
        for entry in named {
            let expected = entry.desc == "BLOBS" ? "blobs.toc" : "\(entry.dumpID).dat"
            guard entry.file == Array(expected.utf8) else {
                throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(shown)) has a table of contents entry \(entry.dumpID) (\(RunFolder.display(String(entry.desc.prefix(40)))) \(RunFolder.display(String(entry.tag.prefix(64))))) naming the file '\(RunFolder.display(Array(entry.file.prefix(80))))', where pg_dump writes '\(expected)': pg_restore would open it relative to the dump, so it could read a file outside it. Nothing was restored.")
            }
        }
        let members = (try? FileManager.default.contentsOfDirectory(atPath: copy.path)) ?? []
        for list in members.sorted() where list.hasSuffix(".toc") {
            let bytes = try bounded(copy.appendingPathComponent(list), shown: shown)
            if let bad = badBlobLine(bytes) {
                throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(shown)) has a large-object list \(list) whose line \(bad.line) is '\(RunFolder.display(Array(bad.text.prefix(80))))', where pg_dump writes '<oid> blob_<oid>.dat': pg_restore opens the named file relative to the dump, so it could read a file outside it. Nothing was restored.")
            }
        }
    }

    /// A list read whole, at most ``maxListBytes`` (pg_dump's are far
    /// smaller); an unreadable one reads as empty and then fails its check.
    static func bounded(_ url: URL, shown: String) throws -> [UInt8] {
        var st = stat()
        if stat(url.path, &st) == 0, st.st_size > maxListBytes {
            throw RehearseError.refused("Refused: the directory dump \(RunFolder.display(shown)) has a \(url.lastPathComponent) of \(st.st_size) bytes, more than the \(maxListBytes) rehearse reads to check the file names it gives pg_restore. Nothing was restored.")
        }
        return [UInt8]((try? Data(contentsOf: url)) ?? Data())
    }

    package static let maxListBytes = 1 << 30

    /// The first line of a large-object list that is not `<oid> blob_<oid>.dat`.
    package static func badBlobLine(_ bytes: [UInt8]) -> (line: Int, text: [UInt8])? {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            // pg_dump ends every line with a newline: the split leaves one empty tail.
            if i == lines.count - 1 { return line.isEmpty ? nil : (i + 1, Array(line)) }
            let fields = line.split(separator: 32, omittingEmptySubsequences: false)
            guard fields.count == 2, let oid = String(validating: Array(fields[0]), as: UTF8.self), isNumber(oid),
                  Array(fields[1]) == Array("blob_\(oid).dat".utf8) else { return (i + 1, Array(line)) }
        }
        return nil
    }
}

/// Reads a pg_dump archive header and table of contents (the layout of
/// archive versions 1.12 to 1.14, as pg_restore 9.0 to 15 reads it) only to
/// find the file names a directory dump's entries carry. Integers are a sign
/// byte and `intSize` little-endian bytes; strings a length integer (negative:
/// none) and that many bytes. Anything it does not expect is a ``Problem``:
/// a reading that differs from pg_restore's must never pass.
package struct TOCReader {
    package struct Problem: Error {
        package var sentence: String
    }

    let bytes: [UInt8]
    var at = 0
    var intSize = 4

    package init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() throws -> UInt8 {
        guard at < bytes.count else { throw Problem(sentence: "it ends early, at byte \(at)") }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func int() throws -> Int {
        let sign = try byte()
        var raw: UInt32 = 0
        for i in 0..<intSize { raw |= UInt32(try byte()) << (8 * i) }
        // pg_restore reads into a C int: the high bit makes it negative.
        let value = Int(Int32(bitPattern: raw))
        return sign != 0 ? -value : value
    }

    mutating func string() throws -> [UInt8]? {
        let length = try int()
        if length < 0 { return nil }
        guard length <= bytes.count - at else { throw Problem(sentence: "a string at byte \(at) is longer than the file") }
        defer { at += length }
        return Array(bytes[at..<(at + length)])
    }

    /// Every entry that names a file, after checking the whole file parses.
    package mutating func fileNames() throws -> [DirectoryDump.NamedFile] {
        guard bytes.starts(with: Array("PGDMP".utf8)) else { throw Problem(sentence: "it does not start with PGDMP") }
        at = 5
        let major = try byte(), minor = try byte(), revision = try byte()
        guard major == 1, (12...14).contains(minor), revision == 0 else {
            throw Problem(sentence: "its archive version is \(major).\(minor).\(revision); rehearse reads directory dumps of versions 1.12 to 1.14 (pg_dump 9.0 to 15). Make a custom (-Fc) or tar (-Ft) dump, or one with pg_dump 15")
        }
        let size = try byte()
        guard size == 4 else { throw Problem(sentence: "its integers are \(size) bytes, not 4") }
        intSize = 4
        _ = try byte() // offset size: directory entries carry no offsets
        _ = try byte() // format: pg_restore --format=directory checks it
        _ = try int() // compression level
        for _ in 0..<7 { _ = try int() } // creation time
        for _ in 0..<3 { _ = try string() } // database name, server and pg_dump versions
        let count = try int()
        guard count >= 0 else { throw Problem(sentence: "it claims \(count) entries") }
        var named: [DirectoryDump.NamedFile] = []
        for _ in 0..<count {
            let id = try int()
            guard id > 0 else { throw Problem(sentence: "an entry has the ID \(id)") }
            _ = try int() // had a data dumper
            _ = try string(); _ = try string() // table OID, OID
            let tag = try string() ?? []
            let desc = try string() ?? []
            _ = try int() // section
            for _ in 0..<5 { _ = try string() } // definition, drop, copy statement, schema, tablespace
            if minor >= 14 { _ = try string() } // table access method
            _ = try string() // owner
            _ = try string() // "false" (WITH OIDS)
            var dependencies = 0
            while try string() != nil {
                dependencies += 1
                guard dependencies <= count else { throw Problem(sentence: "entry \(id) lists more dependencies than there are entries") }
            }
            guard let file = try string() else { throw Problem(sentence: "entry \(id) has no file name field") }
            guard !file.contains(0) else { throw Problem(sentence: "entry \(id) has a file name holding a NUL byte") }
            if !file.isEmpty {
                named.append(.init(dumpID: id, desc: String(decoding: desc, as: UTF8.self), tag: String(decoding: tag, as: UTF8.self), file: file))
            }
        }
        guard at == bytes.count else { throw Problem(sentence: "\(bytes.count - at) bytes follow its last entry") }
        return named
    }
}
