import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The nightly job's configuration (`rehearse.nightly.yaml` at the
/// repository root): which surrogates and migration directories to
/// rehearse, on which engines, and how strictly to validate. Unknown keys
/// are refused with their line, so a typo cannot silently drop a surrogate
/// from the night's work.
package struct NightlyConfig: Sendable, Equatable {
    /// Folder holding one surrogate per subfolder (relative to the config file).
    package var surrogateDirectory: String = "surrogates"
    /// Surrogate names to rehearse; nil means every subfolder with a manifest.yaml.
    package var surrogates: [String]?
    /// Surrogates that must FAIL with drift (a known-lossy rollback): the
    /// nightly proves its own detector still works. One that passes fails the night.
    package var expectFail: [String] = []
    /// Engines to rehearse on; postgres runs only where server binaries exist.
    package var engines: [String] = ["sqlite", "postgres"]
    /// Row-count multiplier passed as --scale (a plain decimal), or nil for each manifest's own.
    package var scale: String?
    /// Validate each run with --replay as well (a second rehearsal from the sealed inputs).
    package var replay = false
    /// Migration directories (relative to the config file) walked with
    /// `rehearse migrations DIR`, when this binary has that command.
    package var migrations: [Migrations] = []

    /// One migrations entry: a directory, or `{path: DIR, args: [...]}` with
    /// options for `rehearse migrations` (--layout, --rows, --setup …);
    /// --out and --engine are the nightly's own and refused here.
    package struct Migrations: Sendable, Equatable {
        package var path: String
        package var arguments: [String] = []
    }

    /// Seconds one job (its rehearsal or walk) may take before it is
    /// stopped with SIGTERM (rehearse then cleans up) and reported as a
    /// rehearsal error, so one hung job cannot eat the whole night.
    package var jobTimeoutSeconds: Int64 = 3600

    package init() {}

    package static let keys: Set<String> = ["surrogate_dir", "surrogates", "expect_fail", "engines", "scale", "replay", "migrations", "job_timeout_seconds"]

    package static func load(file: URL) throws -> NightlyConfig {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw RehearseError.badInput("\(file.path): the nightly configuration cannot be read (\(SystemErrorText.describe(error))). Give --config an existing YAML file, e.g. rehearse.nightly.yaml.")
        }
        return try parse(text, file: file.path)
    }

    package static func parse(_ text: String, file: String) throws -> NightlyConfig {
        let root = try YAMLNode.load(text: text, file: file)
        var config = NightlyConfig()
        let members = try root.members(allowed: keys)
        func names(_ node: YAMLNode) throws -> [String] {
            try node.sequence().map { item in
                let s = try item.string()
                guard !s.isEmpty, !s.hasPrefix("-") else { throw item.fail("expected a name or relative path, not \"\(s)\".") }
                return s
            }
        }
        // `migrations:` with nothing after it is an empty list, not an error.
        func isEmptyValue(_ n: YAMLNode) throws -> Bool {
            try n.isScalar && ["", "~", "null"].contains(n.string())
        }
        if let n = members["surrogate_dir"] { config.surrogateDirectory = try n.string() }
        if let n = members["surrogates"] {
            if n.isScalar, try n.string() == "all" { config.surrogates = nil } else { config.surrogates = try names(n) }
        }
        if let n = members["expect_fail"] { config.expectFail = try names(n) }
        if let n = members["engines"] {
            config.engines = try names(n)
            for (i, e) in config.engines.enumerated() where !["sqlite", "postgres"].contains(e) {
                throw try n.sequence()[i].fail("unknown engine \"\(e)\"; use sqlite or postgres.")
            }
            if config.engines.isEmpty { throw n.fail("give at least one engine (sqlite, postgres).") }
        }
        if let n = members["scale"] {
            let s = try n.string()
            guard s.range(of: #"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"#, options: .regularExpression) != nil, s != "0" else {
                throw n.fail("scale must be a plain decimal greater than zero, like 0.1 or 2.")
            }
            config.scale = s
        }
        if let n = members["replay"] { config.replay = try n.bool() }
        if let n = members["job_timeout_seconds"] { config.jobTimeoutSeconds = try n.int(in: 1...86400, "job_timeout_seconds") }
        if let n = members["migrations"], try !isEmptyValue(n) {
            for item in try n.sequence() {
                func directory(_ node: YAMLNode) throws -> String {
                    let s = try node.string()
                    guard !s.isEmpty, !s.hasPrefix("-") else { throw node.fail("expected a relative path to a migrations folder, not \"\(s)\".") }
                    return s
                }
                if item.isScalar {
                    config.migrations.append(Migrations(path: try directory(item)))
                    continue
                }
                let m = try item.members(allowed: ["path", "args"])
                guard let p = m["path"] else { throw item.fail("a migrations entry needs path (and may have args).") }
                let args = try m["args"].map { try $0.sequence().map { try $0.string() } } ?? []
                if let bad = args.first(where: { ["--out", "--engine", "--pg-url", "--pg-superuser"].contains($0.split(separator: "=").first.map(String.init) ?? $0) }) {
                    throw item.fail("\(bad) is not allowed in args: the nightly sets --out and --engine itself and uses only ephemeral clusters.")
                }
                config.migrations.append(Migrations(path: try directory(p), arguments: args))
            }
        }
        return config
    }
}
