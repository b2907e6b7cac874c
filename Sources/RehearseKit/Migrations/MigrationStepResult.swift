import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What a walk found for one step (or one range): its status, the lines that
/// explain it (each located at a migration file and line where one is
/// known), and where its sealed run folder is.
package struct MigrationStepResult: Sendable {
    package var index: Int
    package var version: String
    package var name: String
    package var files: [String]
    /// PASS, FAIL, INCONCLUSIVE (or any other verdict a rehearsal gives),
    /// IRREVERSIBLE, SKIPPED, NOT_REHEARSABLE, ERROR, REJECTED.
    package var status: String
    package var detail: [String] = []
    package var notes: [String] = []
    /// The step's run folder, relative to the walk folder.
    package var runFolder: String?
    /// SHA-256 of the run folder's evidence.json and of its seal: walk.json
    /// binds the step to exactly that folder.
    package var evidenceSHA256: String?
    package var sealSHA256: String?
    /// The verdict the step's evidence records.
    package var verdict: String?
    package var evidenceValid: Bool?
    /// Re-birth: `same`, `differs` or `failed`, with the re-born fingerprint.
    package var rebirth: JSONValue = .null
    package var verify: JSONValue = .null
    /// The exit status this step alone would give.
    package var exitStatus: Int32 = 0
    package var durationMicros: Int64 = 0

    /// Walk exit statuses from least to most severe: a walk exits with its
    /// worst step's. 0 passed; 6 not proven (irreversible, skipped code, not
    /// rehearsable, inconclusive); 1 a step failed; 2 bad input; 3 refused;
    /// 4 environment; 5 evidence rejected.
    package static let severity: [Int32] = [0, 6, 1, 2, 3, 4, 5]

    package static func worse(_ a: Int32, _ b: Int32) -> Int32 {
        (severity.firstIndex(of: a) ?? 0) >= (severity.firstIndex(of: b) ?? 0) ? a : b
    }

    /// One line for people: `PASS  0003 20240101 add_users  birth, rollback, re-birth`.
    package var line: String {
        let head = "\(status.padding(toLength: 15, withPad: " ", startingAt: 0)) \(String(format: "%04d", index + 1)) \(version) \(name)"
        return detail.isEmpty ? head : head + ": " + detail[0]
    }

    package var json: JSONValue {
        [
            "index": .integer(Int64(index + 1)),
            "version": .string(version),
            "name": .string(name),
            "files": .array(files.map { .string($0) }),
            "status": .string(status),
            "detail": .array(detail.map { .string($0) }),
            "notes": .array(notes.map { .string($0) }),
            "run": runFolder.map { .string($0) } ?? .null,
            "evidence_sha256": evidenceSHA256.map { .string($0) } ?? .null,
            "seal_sha256": sealSHA256.map { .string($0) } ?? .null,
            "verdict": verdict.map { .string($0) } ?? .null,
            "evidence_valid": evidenceValid.map { .bool($0) } ?? .null,
            "rebirth": rebirth,
            "verify": verify,
            "exit_status": .integer(Int64(exitStatus)),
            "duration_us": .integer(durationMicros),
        ]
    }
}

/// A finished walk: every step's result, the walk folder and its status.
package struct MigrationWalkResult: Sendable {
    package var layout: MigrationLayout
    package var directory: String
    package var dialect: Dialect
    package var mode: String
    package var steps: [MigrationStepResult]
    package var notes: [String]
    package var walkFolder: URL
    package var exitStatus: Int32 { steps.reduce(Int32(0)) { MigrationStepResult.worse($0, $1.exitStatus) } }

    package func count(_ status: String) -> Int { steps.filter { $0.status == status }.count }

    package var summary: String { Self.summary(steps.map(\.status)) }

    /// `7 steps, 3 PASS, 2 FAIL, …` for steps of these statuses.
    package static func summary(_ stepStatuses: [String]) -> String {
        let statuses = ["PASS", "FAIL", "INCONCLUSIVE", "IRREVERSIBLE", "SKIPPED", "NOT_REHEARSABLE", "ERROR", "REJECTED"]
        var parts = ["\(stepStatuses.count) steps"]
        for s in statuses {
            let n = stepStatuses.filter { $0 == s }.count
            if n > 0 { parts.append("\(n) \(s)") }
        }
        let other = stepStatuses.filter { !statuses.contains($0) }.count
        if other > 0 { parts.append("\(other) other") }
        return parts.joined(separator: ", ")
    }
}
