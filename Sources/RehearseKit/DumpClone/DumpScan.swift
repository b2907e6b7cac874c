import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The secret-free gate over a dump's private copy: plain SQL is streamed as
/// it is; an archive is first rendered to SQL by `pg_restore -f` (no
/// connection, scrubbed environment) inside the private directory, and the
/// rendering is streamed. Any failure refuses: the gate fails closed.
package enum DumpScan {
    /// `script`: for an archive, where to keep root's own copy of the
    /// rendering that was scanned and checked, which is then exactly what a
    /// restore runs (``DumpClonePlainRestore``); nil removes it.
    package static func scan(copy: URL, format: DumpFormat, shown: String, workDirectory: URL, bindir: URL?, reader: DumpReader,
                            allowlist: SecretAllowlist, script: URL? = nil) throws -> SecretScanReport {
        var scanner = SecretScanner(allowlist: allowlist, rendered: format.isArchive)
        switch format {
        case .plain:
            try stream(copy, into: &scanner, shown: shown)
            try checkStatements(copy, shown: shown)
        case .custom, .directory, .tar:
            if format == .tar { try DumpFormat.checkTarMembers(copy, shown: shown) }
            // pg_restore opens the files a directory's toc.dat and blobs.toc name: confined first.
            if format == .directory { try DirectoryDump.confine(copy, shown: shown) }
            let rendered = try reader.outputDirectory(in: workDirectory).appendingPathComponent("scan-rendered.sql")
            defer { try? FileManager.default.removeItem(at: rendered) }
            try ArchiveTools.render(copy, format: format, to: rendered, bindir: bindir, reader: reader, shown: shown)
            // The reader wrote the rendering: root takes its own copy (never
            // through a link) and from here on reads only that. It is scanned,
            // checked and, in a run, restored by rehearse's own splitter as a
            // plain dump is: what runs is exactly what was checked (attack-d15
            // D-F3: pg_restore -d splits INSERT data at semicolons the
            // rendering shows inside comments).
            let own = script ?? workDirectory.appendingPathComponent("rendered-\(UUID().uuidString.prefix(8)).sql")
            defer { if script == nil { unlink(own.path) } }
            try takeOver(rendered, to: own, shown: shown)
            try stream(own, into: &scanner, shown: shown)
            try checkStatements(own, shown: shown)
        case .sqlite:
            try SQLiteDumpScan.scan(copy, into: &scanner, shown: shown)
        }
        return try scanner.finish()
    }

    /// Copies the reader's rendering into a new file of root's, mode 0600.
    static func takeOver(_ rendered: URL, to own: URL, shown: String) throws {
        let fd = open(rendered.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            if fd >= 0 { close(fd) }
            throw RehearseError.refused("Refused: pg_restore's rendering of \(RunFolder.display(shown)) is not a regular file rehearse can read. Nothing was restored.")
        }
        defer { close(fd) }
        _ = try DumpDigest.hash(fd, shown: rendered.path, copyTo: own)
    }

    /// The hostile-statement checks (``DumpSQLGuard``) over a whole script.
    package static func checkStatements(_ url: URL, shown: String) throws {
        var guardian = DumpSQLGuard(shown: shown)
        try read(url, shown: shown) { try guardian.feed($0) }
        try guardian.finish()
    }

    package static func stream(_ url: URL, into scanner: inout SecretScanner, shown: String) throws {
        try read(url, shown: shown) { try scanner.feed($0) }
    }

    package static func read(_ url: URL, shown: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        // Never through a link, never blocking on a FIFO: the rendering lies in
        // a directory the unprivileged reader may write, and root reads it.
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            throw RehearseError.refused("Refused: the secret scan could not read \(RunFolder.display(shown)) (\(String(cString: strerror(errno)))). Nothing was restored.")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw RehearseError.refused("Refused: the secret scan's input for \(RunFolder.display(shown)) is not a regular file. Nothing was restored.")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RehearseError.refused("Refused: the secret scan could not read \(RunFolder.display(shown)) (\(String(cString: strerror(errno)))). Nothing was restored.")
            }
            if n == 0 { return }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }
}
