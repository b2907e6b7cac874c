import Foundation
import Testing

/// Whether this machine has the PostgreSQL server binaries (initdb, pg_ctl,
/// postgres) where the `rehearse` binary looks for them. Every suite or test
/// that needs a cluster carries `.enabled(if: PostgresServer.found(), …)`:
/// without the binaries it is skipped, not failed, and the test process
/// prints one line at exit saying how many were skipped and why. The same
/// type lives in RehearseKitTests (PostgresSupport.swift), which can ask
/// RehearseKit itself; the two share the count through the environment, so
/// a process running both targets prints one line.
enum PostgresServer {
    enum Kind: String { case suite, test }

    static let binariesFound: Bool = locateBinaries() != nil

    /// The directory holding initdb, pg_ctl and postgres, found as
    /// rehearse finds it (PostgresCluster.locateBinaries in RehearseKit,
    /// which this target cannot import): PATH, `pg_config --bindir`, then the
    /// newest /usr/lib/postgresql/*/bin.
    static func locateBinaries() -> URL? {
        func usable(_ dir: URL) -> Bool {
            ["initdb", "pg_ctl", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent($0).path) }
        }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let entry = path.first(where: { usable(URL(fileURLWithPath: $0)) }) { return URL(fileURLWithPath: entry) }
        for dir in path + ["/usr/bin", "/usr/local/bin"] {
            let pgConfig = URL(fileURLWithPath: dir).appendingPathComponent("pg_config")
            guard FileManager.default.isExecutableFile(atPath: pgConfig.path) else { continue }
            let p = Process()
            let out = Pipe()
            p.executableURL = pgConfig
            p.arguments = ["--bindir"]
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            let bytes = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let bindir = URL(fileURLWithPath: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            if p.terminationStatus == 0, usable(bindir) { return bindir }
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        return versions.map { root.appendingPathComponent($0).appendingPathComponent("bin") }.first(where: usable)
    }

    /// True when the binaries are there; otherwise notes the skipped suite or
    /// test (by the trait's source location, so evaluating the condition for
    /// each test of a suite counts the suite once) and returns false.
    static func found(_ kind: Kind = .suite, fileID: String = #fileID, line: Int = #line) -> Bool {
        if binariesFound { return true }
        SkipReport.note(kind.rawValue, "\(fileID):\(line)")
        return false
    }
}

/// The skipped-PostgreSQL tally of one test module, published in the
/// environment (one variable per module and kind) so that whichever module
/// noted a skip first prints the single line for the whole process at exit.
private enum SkipReport {
    static let module = String(#fileID.prefix { $0 != "/" })
    static let reporterVariable = "REHEARSE_TESTS_PG_SKIP_REPORTER"
    static let prefix = "REHEARSE_TESTS_PG_SKIPPED_"
    private final class Tally: @unchecked Sendable {
        // @unchecked: touched only under `lock`.
        let lock = NSLock()
        var seen: [String: Set<String>] = [:]
        var registered = false
    }
    private static let tally = Tally()

    static func note(_ kind: String, _ key: String) {
        tally.lock.lock()
        defer { tally.lock.unlock() }
        tally.seen[kind, default: []].insert(key)
        setenv(prefix + kind + "_" + module, String(tally.seen[kind]!.count), 1)
        if !tally.registered {
            tally.registered = true
            // setenv without overwrite is glibc's atomic test-and-set: the
            // first module to get here reports for the whole process.
            setenv(reporterVariable, module, 0)
            if getenv(reporterVariable).map({ String(cString: $0) }) == module {
                atexit { SkipReport.report() }
            }
        }
    }

    static func report() {
        var suites = 0, tests = 0
        for (name, value) in ProcessInfo.processInfo.environment where name.hasPrefix(prefix) {
            if name.hasPrefix(prefix + "suite_") { suites += Int(value) ?? 0 } else { tests += Int(value) ?? 0 }
        }
        let what = [suites > 0 ? "\(suites) PostgreSQL suite\(suites == 1 ? "" : "s")" : nil,
                    tests > 0 ? "\(tests) PostgreSQL test\(tests == 1 ? "" : "s") in other suites" : nil].compactMap { $0 }
        let line = "rehearse tests: PostgreSQL server binaries not found (initdb/pg_ctl); \(what.joined(separator: " and ")) skipped\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
