import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What kind of dump a file or directory is, by its content, never its name.
package enum DumpFormat: String, Sendable {
    /// pg_dump's plain SQL script.
    case plain
    /// pg_dump -Fc: "PGDMP" magic.
    case custom
    /// pg_dump -Fd: a directory with toc.dat (itself a "PGDMP" archive header).
    case directory
    /// pg_dump -Ft: a ustar archive holding toc.dat.
    case tar
    /// An SQLite database file.
    case sqlite

    package var isArchive: Bool { self == .custom || self == .directory || self == .tar }

    /// Detects the format of a private copy made by ``DumpDigest/copy(path:into:)``.
    package static func detect(_ copy: URL, isDirectory: Bool) throws -> DumpFormat {
        if isDirectory {
            let toc = copy.appendingPathComponent("toc.dat")
            guard head(toc, 5) == Array("PGDMP".utf8) else {
                throw RehearseError.badInput("The dump is a directory without a pg_dump toc.dat: not a pg_dump -Fd dump. Give a plain, custom, tar or directory pg_dump, or an SQLite database file.")
            }
            return .directory
        }
        let h = head(copy, 512)
        if h.starts(with: Array("PGDMP".utf8)) { return .custom }
        if h.starts(with: Array("SQLite format 3\0".utf8)) { return .sqlite }
        if h.count == 512, Array(h[257..<262]) == Array("ustar".utf8) { return .tar }
        // Plain SQL is text: no NUL byte in the first block.
        if h.contains(0) {
            throw RehearseError.badInput("The dump is not a format rehearse knows (plain, custom, directory or tar pg_dump, or an SQLite database file): its first bytes are binary without a known signature.")
        }
        return .plain
    }

    package static func head(_ url: URL, _ n: Int) -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return [] }
        defer { try? h.close() }
        return [UInt8]((try? h.read(upToCount: n)) ?? Data())
    }

    /// A tar dump may hold only flat regular members (toc.dat, NNNN.dat,
    /// restore.sql): a member named with a slash or `..`, a link, or a device
    /// is refused before pg_restore reads it.
    package static func checkTarMembers(_ url: URL, shown: String) throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw RehearseError.environment("Cannot read the dump's private copy \(url.path).")
        }
        defer { try? h.close() }
        var position: UInt64 = 0
        while true {
            try h.seek(toOffset: position)
            let header = [UInt8]((try? h.read(upToCount: 512)) ?? Data())
            if header.count < 512 || header.allSatisfy({ $0 == 0 }) { return }
            let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            let prefix = String(decoding: header[345..<500].prefix { $0 != 0 }, as: UTF8.self)
            let type = header[156]
            let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 32 }, as: UTF8.self)
            guard let size = UInt64(sizeText, radix: 8) else {
                throw RehearseError.refused("Refused: the tar dump \(RunFolder.display(shown)) has a malformed member header at byte \(position). Nothing was restored.")
            }
            if !prefix.isEmpty || name.isEmpty || name.contains("/") || name == ".." || name == "." || name.contains("\\") {
                throw RehearseError.refused("Refused: the tar dump \(RunFolder.display(shown)) has a member named '\(RunFolder.display(prefix.isEmpty ? name : prefix + "/" + name))': a pg_dump tar holds only flat file names, and a path could reach outside the restore. Nothing was restored.")
            }
            guard type == UInt8(ascii: "0") || type == 0 else {
                throw RehearseError.refused("Refused: the tar dump \(RunFolder.display(shown)) has a member '\(RunFolder.display(name))' that is not a regular file (tar type '\(String(UnicodeScalar(type)))': a link, directory or device). Nothing was restored.")
            }
            position += 512 + (size + 511) / 512 * 512
        }
    }
}
