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
    package static func scan(copy: URL, format: DumpFormat, shown: String, workDirectory: URL, bindir: URL?, reader: DumpReader,
                            allowlist: SecretAllowlist) throws -> SecretScanReport {
        var scanner = SecretScanner(allowlist: allowlist)
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
            try stream(rendered, into: &scanner, shown: shown)
            // What pg_restore would run is exactly this rendering: the same
            // statement checks as for a plain dump apply to it.
            try checkStatements(rendered, shown: shown)
        case .sqlite:
            try SQLiteDumpScan.scan(copy, into: &scanner, shown: shown)
        }
        return try scanner.finish()
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
