import Foundation
import Testing
@testable import RehearseCore

/// A child's output file often lies in a directory another user owns (a
/// cluster's directory is the server user's). A symlink, hard link or FIFO
/// planted there must not make root truncate or fill another file, nor read
/// one back as the child's output (attack-d15 D-F0b).
@Suite struct ChildProcessOutputTests {
    let dir = TempDir()

    @Test(arguments: ["symlink", "hard link", "fifo", "none"])
    func theOutputFileIsNeverAnotherFile(_ planted: String) throws {
        let victim = dir.file("victim-\(planted.replacingOccurrences(of: " ", with: "-"))")
        try "ROOT-ONLY line\n".write(to: victim, atomically: true, encoding: .utf8)
        let out = dir.file("pg_ctl-\(planted.replacingOccurrences(of: " ", with: "-")).out")
        switch planted {
        case "symlink": try FileManager.default.createSymbolicLink(atPath: out.path, withDestinationPath: victim.path)
        case "hard link": #expect(link(victim.path, out.path) == 0)
        case "fifo": #expect(mkfifo(out.path, 0o666) == 0)
        default: break
        }
        let r = try ChildProcess.run("/bin/echo", ["hello from the child"], environment: ["PATH": "/usr/bin:/bin"], output: out)
        #expect(r.status == 0)
        #expect(r.output == "hello from the child\n")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "ROOT-ONLY line\n", "the planted target is untouched")
        var st = stat()
        #expect(lstat(out.path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_nlink == 1)
    }
}
