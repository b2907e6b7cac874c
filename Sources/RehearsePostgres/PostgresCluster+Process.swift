import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Running the server's programs (as the server user when rehearse is root).
extension PostgresCluster {
    // MARK: - Processes

    /// Runs a server program (as `runAs` when set) and fails with its output.
    package func run(_ program: String, _ arguments: [String], what: String, forCleanUp: Bool = false) throws {
        let exe = bindir.appendingPathComponent(program)
        var executable = exe.path
        var args = arguments
        if let runAs {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let runuser else {
                throw RehearseError.environment("rehearse runs as root and needs runuser (util-linux) to start the scratch server as \(runAs). Install util-linux or run rehearse as an ordinary user.")
            }
            executable = runuser
            args = ["-u", runAs, "--", exe.path] + arguments
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        env["LC_ALL"] = "C"
        let outcome = try ChildProcess.run(executable, args, directory: directory.path, environment: env,
                                           output: directory.appendingPathComponent("\(program).out"), forCleanUp: forCleanUp)
        guard outcome.status == 0 else {
            let text = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            var advice = ""
            if text.contains("Permission denied"), let runAs {
                advice = " The system user \(runAs) must be able to reach \(directory.deletingLastPathComponent().path): set TMPDIR to a directory it can traverse (e.g. /tmp)."
            }
            throw RehearseError.environment("\(what) failed (exit \(outcome.status)): \(text).\(advice)")
        }
    }

    /// A short program's standard output (`pg_config --bindir`, `postgres
    /// --version`: neither leaves a process behind, so a pipe is safe).
    package static func capture(_ exe: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
