import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Finding the PostgreSQL server binaries.
extension PostgresCluster {
    // MARK: - Binaries

    /// The directory with initdb, pg_ctl and postgres: the one given, then
    /// PATH, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
    package static func locateBinaries(_ explicit: String? = nil) throws -> URL {
        func usable(_ dir: URL) -> Bool {
            ["initdb", "pg_ctl", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent($0).path) }
        }
        if let explicit {
            let dir = URL(fileURLWithPath: explicit)
            guard usable(dir) else {
                throw RehearseError.badInput("--pg-bindir \(explicit): initdb, pg_ctl and postgres are not all there. Give the directory that holds them (see `pg_config --bindir`).")
            }
            return dir
        }
        for entry in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where usable(URL(fileURLWithPath: String(entry))) {
            // Symlinks on PATH (Debian's /usr/bin wrappers, say) lead to the
            // installation's own bin directory, which also holds pg_dump & co.
            let real = URL(fileURLWithPath: String(entry)).appendingPathComponent("pg_ctl").resolvingSymlinksInPath().deletingLastPathComponent()
            return usable(real) ? real : URL(fileURLWithPath: String(entry))
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let pgConfig = URL(fileURLWithPath: path).appendingPathComponent("pg_config")
            if FileManager.default.isExecutableFile(atPath: pgConfig.path),
               let out = try? capture(pgConfig, ["--bindir"]), usable(URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines))) {
                return URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted {
            $0.compare($1, options: .numeric) == .orderedDescending
        }
        for v in versions where usable(root.appendingPathComponent(v).appendingPathComponent("bin")) {
            return root.appendingPathComponent(v).appendingPathComponent("bin")
        }
        throw RehearseError.environment("No PostgreSQL server binaries found (initdb, pg_ctl, postgres): looked on PATH, at `pg_config --bindir` and under /usr/lib/postgresql/*/bin. Install the PostgreSQL server package, give --pg-bindir, or use --pg-url for a server you run yourself.")
    }
}
