import Foundation
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// One throwaway PostgreSQL cluster for the whole test process, started on
/// first use (initdb + pg_ctl in a temporary directory, Unix socket only) and
/// stopped and removed when the process exits. Tests that need a cluster of
/// their own (start, stop, interruption, stale clean-up) start one each.
/// Rehearsals on it go through `--pg-url`, each in its own database, so
/// tests running side by side do not meet.
enum TestPostgres {
    private final class Holder: @unchecked Sendable {
        // @unchecked: `cluster` is written once under `lock`.
        let lock = NSLock()
        var cluster: PostgresCluster?
        var failure: String?
    }
    private static let holder = Holder()

    static var cluster: PostgresCluster {
        get throws {
            holder.lock.lock()
            defer { holder.lock.unlock() }
            if let c = holder.cluster { return c }
            if let f = holder.failure { throw RehearseError(.environment, f) }
            do {
                let c = try PostgresCluster.start()
                holder.cluster = c
                atexit { TestPostgres.stop() }
                return c
            } catch {
                holder.failure = "\(error)"
                throw error
            }
        }
    }

    static func stop() {
        holder.lock.lock()
        let c = holder.cluster
        holder.cluster = nil
        holder.lock.unlock()
        c?.remove(keep: false)
    }

    /// The shared cluster as a server address, as `--pg-url` would give it.
    static var address: PostgresServerAddress {
        get throws {
            let c = try cluster
            return try PostgresServerAddress(parsing: "host=\(c.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres")
        }
    }

    static var url: String {
        get throws {
            let c = try cluster
            return "host=\(c.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres"
        }
    }

    /// A connection to a database of the shared cluster.
    static func connect(_ database: String = "postgres") throws -> PGConnection {
        try PGConnection(try cluster.connectionParameters(database: database))
    }

    /// A fresh, empty database on the shared cluster; dropped by the returned closure.
    static func database() throws -> (name: String, drop: () -> Void) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let admin = try connect()
        try admin.execute("CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        return (name, { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }
}

/// Runs a rehearsal on the shared cluster (its own database), evidence in `dir`.
func rehearsePostgres(_ surrogate: URL, in dir: TempDir, seed: UInt64? = nil, scale: Double? = nil, jobs: Int? = nil) throws -> RehearsalResult {
    var options = Rehearsal.Options()
    options.seed = seed
    options.scale = scale
    if let jobs { options.jobs = jobs }
    options.outputDirectory = dir.file("run-\(UUID().uuidString.prefix(6))")
    options.scratchParent = dir.url
    options.engine = .postgres(.server(try TestPostgres.address))
    return try Rehearsal(source: SurrogateSource(directory: surrogate), options: options).run()
}

/// Postmaster processes whose data directory lies under `parent`.
func postmasters(under parent: URL) -> [Int32] {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return procs.compactMap { Int32($0) }.filter { pid in
        guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
        let parts = cmd.split(separator: "\0").map(String.init)
        return parts.first?.hasSuffix("/postgres") == true && parts.contains { $0.hasPrefix(parent.path) }
    }
}

/// Whether this machine has the PostgreSQL server binaries (initdb, pg_ctl,
/// postgres) where rehearse itself looks for them
/// (``PostgresCluster/locateBinaries(_:)``: PATH, `pg_config --bindir`,
/// /usr/lib/postgresql/*/bin). Every suite or test that starts a cluster
/// carries `.enabled(if: PostgresServer.found(), …)`: without the binaries it
/// is skipped, not failed, and the test process prints one line at exit
/// saying how many were skipped and why (`make deps` installs the server
/// as root; scripts/bootstrap.sh says what to install otherwise).
/// RehearseCLITests has the same type (its PostgresServer.swift); the two
/// share the count through the environment, so a process running both
/// targets prints one line.
enum PostgresServer {
    enum Kind: String { case suite, test }

    static let binariesFound: Bool = (try? PostgresCluster.locateBinaries()) != nil

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
