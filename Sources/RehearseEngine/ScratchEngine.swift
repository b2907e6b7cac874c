import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// An isolated scratch database a rehearsal runs in. One implementation per
/// engine; the rehearsal itself does not know which engine it drives.
///
/// Every method that touches the database opens its own connection, so no
/// session state (temporary tables, settings, open transactions) carries from
/// one phase to the next and masks a broken rollback.
public protocol ScratchEngine: AnyObject {
    /// Engine name recorded in evidence and used to pick dialect files (`sqlite`).
    var dialect: String { get }
    var engineVersion: String { get }
    /// Where the scratch database lives, for evidence and `--keep`.
    var location: URL { get }
    /// Facts about the target's isolation, recorded in evidence.
    var isolation: JSONValue { get }

    /// `jobs` worker threads compute values; the data is the same for any count.
    func loadSurrogate(_ source: SurrogateSource, seed: UInt64, scale: Double, jobs: Int, progress: ProgressHandler?) throws -> LoadRecord
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

/// What running a birth or rollback script produced.
public struct ScriptRun: Sendable {
    public var statements: [StatementRecord]
    /// What the engine observed the script do (PostgreSQL: tables rewritten,
    /// strongest lock per relation, rows per table); nil where it cannot see.
    public var observed: JSONValue?

    public init(statements: [StatementRecord], observed: JSONValue? = nil) {
        self.statements = statements
        self.observed = observed
    }
}
