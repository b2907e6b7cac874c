import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The night's work as a sorted list of jobs, and the deterministic split of
/// that list into shards. Job IDs are `ENGINE/surrogate/NAME` or
/// `ENGINE/migrations/DIR`; sorted by their bytes, job k (from 0) belongs to
/// shard (k mod N) + 1. The same checkout and configuration therefore give
/// every CI matrix entry a disjoint slice, and together all of them.
package struct NightlyPlan: Sendable {
    package struct Job: Sendable, Equatable {
        package enum Kind: String, Sendable { case surrogate, migrations }
        package var kind: Kind
        package var engine: String
        /// Surrogate name or migration directory as configured.
        package var name: String
        /// Absolute path of the surrogate folder or migration directory.
        package var path: String
        /// A known-lossy surrogate: the night passes only if it FAILs with drift.
        package var expectFail: Bool
        /// Extra options for `rehearse migrations` (layout, rows, setup …).
        package var arguments: [String] = []
        /// Position in the whole plan from 1 (the same in every shard).
        package var number = 0
        package var id: String { "\(engine)/\(kind.rawValue)/\(name)" }
        /// The job's folder name under runs/ and logs/: its plan number and
        /// ID with every byte outside [A-Za-z0-9._-] replaced, so a path in
        /// the config cannot climb out of the output folder (and the number
        /// keeps two IDs that map to the same text apart).
        package var slug: String {
            String(format: "%03d-", number) + String(id.unicodeScalars.map { s in
                s.isASCII && (CharacterSet.alphanumerics.contains(s) || s == "." || s == "_" || s == "-") ? Character(s) : "_"
            }).replacingOccurrences(of: "..", with: "__")
        }
    }

    package struct Shard: Sendable, Equatable, CustomStringConvertible {
        package var index: Int
        package var count: Int
        package var description: String { "\(index)/\(count)" }
        package static let whole = Shard(index: 1, count: 1)

        /// Parses `I/N` with 1 <= I <= N <= 1000.
        package static func parse(_ text: String) throws -> Shard {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1000, i >= 1, i <= n else {
                throw RehearseError.badInput("--shard \(text): expected I/N with 1 ≤ I ≤ N ≤ 1000, e.g. --shard 2/4 for the second of four shards.")
            }
            return Shard(index: i, count: n)
        }
    }

    package var jobs: [Job]
    /// Work asked for but left out, with why (migrations without the command).
    package var skipped: [String]

    /// Builds every job of the configuration, sorted by ID. `root` is the
    /// folder the config's relative paths start from. PostgreSQL jobs are
    /// planned whether or not this machine has a server (see
    /// ``runnable(in:postgresAvailable:)``), so every shard of a matrix
    /// splits the same list even when its machines differ.
    package static func make(_ config: NightlyConfig, root: URL, migrationsSupported: Bool) throws -> NightlyPlan {
        let fm = FileManager.default
        let surrogateRoot = root.appendingPathComponent(config.surrogateDirectory)
        var names = config.surrogates ?? []
        if config.surrogates == nil {
            guard let entries = try? fm.contentsOfDirectory(atPath: surrogateRoot.path) else {
                throw RehearseError.badInput("surrogate_dir \(surrogateRoot.path): no such folder. Point surrogate_dir at the folder that holds one surrogate per subfolder.")
            }
            names = entries.filter { fm.fileExists(atPath: surrogateRoot.appendingPathComponent($0).appendingPathComponent("manifest.yaml").path) }
        }
        for name in names + config.expectFail where !fm.fileExists(atPath: surrogateRoot.appendingPathComponent(name).appendingPathComponent("manifest.yaml").path) {
            throw RehearseError.badInput("surrogate \(name): \(surrogateRoot.appendingPathComponent(name).path) holds no manifest.yaml. Fix the name in the nightly configuration.")
        }
        var skipped: [String] = []
        var jobs: [Job] = []
        for engine in Set(config.engines) {
            // A known-lossy surrogate is always rehearsed, listed or not:
            // naming it in expect_fail is asking for the detector to be proven.
            for name in Set(names + config.expectFail) {
                jobs.append(Job(kind: .surrogate, engine: engine, name: name, path: surrogateRoot.appendingPathComponent(name).standardizedFileURL.path,
                                expectFail: config.expectFail.contains(name)))
            }
            if migrationsSupported {
                for entry in config.migrations {
                    let dir = entry.path
                    let path = root.appendingPathComponent(dir).standardizedFileURL.path
                    var isDir: ObjCBool = false
                    guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                        throw RehearseError.badInput("migrations \(dir): \(path) is not a folder. Fix the path in the nightly configuration.")
                    }
                    jobs.append(Job(kind: .migrations, engine: engine, name: dir, path: path, expectFail: false, arguments: entry.arguments))
                }
            }
        }
        if !migrationsSupported && !config.migrations.isEmpty {
            skipped.append("migrations: this rehearse has no `migrations` command; \(config.migrations.count) directories not walked")
        }
        jobs.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        for i in jobs.indices { jobs[i].number = i + 1 }
        return NightlyPlan(jobs: jobs, skipped: skipped)
    }

    /// The jobs of one shard, in plan order.
    package func jobs(in shard: Shard) -> [Job] {
        jobs.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element)
    }

    /// The shard's jobs this machine can run, and a line for what it cannot:
    /// PostgreSQL jobs need server binaries.
    package func runnable(in shard: Shard, postgresAvailable: Bool) -> (jobs: [Job], skipped: [String]) {
        let mine = jobs(in: shard)
        let runnable = mine.filter { $0.engine != "postgres" || postgresAvailable }
        var skipped = self.skipped
        let left = mine.filter { $0.engine == "postgres" && !postgresAvailable }
        if !left.isEmpty {
            skipped.append("\(left.count) postgres jobs (\(left.prefix(3).map(\.id).joined(separator: ", "))\(left.count > 3 ? ", …" : "")): no PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine")
        }
        return (runnable, skipped)
    }
}
