import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// What an engine is told when a scratch database is provisioned: every
/// option, given once, before anything runs.
public struct ProvisionOptions: Sendable {
    /// Keep the scratch database after the run (`--keep`).
    public var keep: Bool
    /// Where scratch directories go (default: the system temporary directory).
    public var parent: URL?
    /// Threads that generate and load values; the data is the same for any count.
    public var jobs: Int
    /// Run birth and rollback as the engine's superuser, where it has one
    /// (PostgreSQL, manifest `postgres_superuser: true`); otherwise ignored.
    public var scriptsAsSuperuser: Bool
    /// PostgreSQL: grantees the run being replayed mapped to the scratch
    /// owner (a server the user named lacked them); replay maps them again
    /// rather than creating them in its private cluster.
    package var mappedRoles: Set<String> = []

    /// Options with the given values; `jobs` below 1 counts as 1.
    public init(keep: Bool = false, parent: URL? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, scriptsAsSuperuser: Bool = false) {
        self.keep = keep
        self.parent = parent
        self.jobs = max(1, jobs)
        self.scriptsAsSuperuser = scriptsAsSuperuser
    }
}

/// Provisions scratch databases of one engine: what the orchestration holds
/// to choose an engine without knowing it.
public protocol ScratchProvisioner: Sendable {
    /// The dialect of the engine's scripts and the name evidence records.
    var dialect: Dialect { get }
    /// A new, empty, isolated scratch database.
    func provision(_ options: ProvisionOptions) throws -> any ScratchEngine
}

/// An isolated scratch database a rehearsal runs in. One implementation per
/// engine; the rehearsal itself does not know which engine it drives.
///
/// Every method that touches the database opens its own connection, so no
/// session state (temporary tables, settings, open transactions) carries from
/// one phase to the next and masks a broken rollback.
public protocol ScratchEngine: AnyObject {
    /// The engine's dialect: its name in evidence and the dialect files it reads.
    var dialect: Dialect { get }
    /// The engine's version as it reports it: SQLite's library version, or the PostgreSQL server's.
    var engineVersion: String { get }
    /// Where the scratch database lives, for evidence and `--keep`.
    var location: URL { get }
    /// Facts about the target's isolation, recorded in evidence.
    var isolation: ScratchIsolation { get }
    /// One line for people on what was provisioned and how it is isolated.
    var provisionSummary: String { get }

    /// Generates the surrogate into the database, with the provisioned jobs.
    func loadSurrogate(_ source: SurrogateSource, seed: UInt64, scale: Double, progress: ProgressHandler?) throws -> LoadRecord
    /// Fingerprints the database as it stands, schema and data, on a fresh connection.
    func fingerprint() throws -> Fingerprint
    /// Runs a birth or rollback script on a fresh connection: in one
    /// transaction, or (`transactional` false, where the engine allows it)
    /// each statement on its own.
    func apply(_ script: SQLScript, transactional: Bool) throws(ScriptFailure) -> ScriptRun
    /// Runs every check of a checks file on a fresh, read-only connection.
    func runChecks(_ script: SQLScript) throws -> [CheckResult]
    /// Fills in which columns and how many rows differ, for each drifted table,
    /// by rebuilding the pre-birth state beside the current one.
    func localize(_ drift: Drift, pre: Fingerprint, rebuildPre: (ScratchEngine) throws -> Void) throws -> Drift
    /// Removes the scratch database (unless kept); safe to call twice.
    func tearDown(keep: Bool)
}

/// How a scratch database is isolated, as evidence records it under
/// `target`: its kind (`sqlite-file`, `postgres-ephemeral-cluster`,
/// `postgres-server`), its network (`none`, `loopback`) and the engine's
/// further facts (database, endpoint, settings), which the validator reads.
public struct ScratchIsolation: Sendable, Equatable {
    /// How the database is provisioned: `sqlite-file`, `postgres-ephemeral-cluster` or `postgres-server`.
    public var kind: String
    /// What network reaches it: `none` or `loopback`.
    public var network: String
    /// Engine-specific facts, by evidence key.
    public var facts: [String: JSONValue]

    /// An isolation record of `kind`, `network` and further facts.
    public init(kind: String, network: String, facts: [String: JSONValue] = [:]) {
        self.kind = kind
        self.network = network
        self.facts = facts
    }

    /// The evidence form: the facts with `kind` and `network`.
    public var json: JSONValue {
        var o = facts
        o["kind"] = .string(kind)
        o["network"] = .string(network)
        return .object(o)
    }
}

/// What running a birth or rollback script produced.
public struct ScriptRun: Sendable {
    /// One record per statement that ran, in order.
    public var statements: [StatementRecord]
    /// What the engine observed the script do (PostgreSQL: tables rewritten,
    /// strongest lock per relation, rows per table); nil where it cannot see.
    public var observed: ScriptObservation?

    /// A run of `statements`, with what the engine observed if it could see.
    public init(statements: [StatementRecord], observed: ScriptObservation? = nil) {
        self.statements = statements
        self.observed = observed
    }
}
