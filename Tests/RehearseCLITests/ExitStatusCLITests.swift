import Foundation
import Testing

/// Exit statuses that come from errors no code path translated.
@Suite struct ExitStatusCLITests {
    /// A write the file system refuses (here a file-size limit, as a full
    /// disk would) reaches the CLI as a raw SQLite error: an environment
    /// problem (exit 4), never bad input (2), and the scratch is removed.
    @Test func aFailedDiskWriteIsAnEnvironmentProblem() throws {
        let s = Scratch()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // SIGXFSZ ignored, so the write fails (EFBIG) instead of killing the process.
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f 200; exec \"$0\" \"$@\"", CLI.binary.path,
                             "--scale", "0.1", "--out", s.path("run"), "--quiet"]
        process.currentDirectoryURL = CLI.root
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = s.url.path
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 4, "\(text)")
        #expect(text.contains("SQLite error"), "\(text)")
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        #expect(!FileManager.default.fileExists(atPath: s.path("run/evidence.json")))
    }
}
