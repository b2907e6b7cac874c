import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// The red team's false PASSes against INCONCLUSIVE (attack-11), one per
/// class, each on the bundled lossy surrogates with the default profile:
/// none may PASS. A no-op lossy statement masked by another change to its
/// table, a rename, a `main.` qualifier or a temporary trigger is
/// INCONCLUSIVE; the advertised pattern on a UNIQUE column, a tab-stripping
/// normalisation, a `lower(x) = 'lit'` delete and a rollback's own predicate
/// are exercised by the data and FAIL. (The no-op truncations cut at 100000
/// characters, beyond any generated value: since the sweep always places a
/// ~300-character value, a 64-character cut is a real loss and FAILs —
/// EdgeSweepTests.)
@Suite struct ExerciseAttackTests {
    struct Attack: Sendable, CustomTestStringConvertible {
        var name: String
        var base: String
        var birth: String
        var rollback: String
        var schemaEdit: (String, String)? = nil
        var expected: Verdict
        var testDescription: String { name }
    }

    static let attacks: [Attack] = [
        Attack(name: "F1 no-op truncation masked by a flag column", base: "lossy-lowercase",
               birth: "ALTER TABLE verifiable_addresses ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;\nUPDATE verifiable_addresses SET value = substr(value, 1, 100000), checked = 1;\n",
               rollback: "ALTER TABLE verifiable_addresses DROP COLUMN checked;\n", expected: .inconclusive),
        Attack(name: "F0 lower() on a UNIQUE column with a flag", base: "lossy-lowercase",
               birth: "ALTER TABLE verifiable_addresses ADD COLUMN normalized INTEGER NOT NULL DEFAULT 0;\nUPDATE verifiable_addresses SET value = LOWER(value), normalized = 1;\n",
               rollback: "ALTER TABLE verifiable_addresses DROP COLUMN normalized;\n",
               schemaEdit: ("value       TEXT    NOT NULL,", "value       TEXT    NOT NULL UNIQUE,"), expected: .fail),
        Attack(name: "F2 rename hides a no-op update", base: "lossy-lowercase",
               birth: "ALTER TABLE verifiable_addresses RENAME TO addresses;\nUPDATE addresses SET value = substr(value, 1, 100000);\n",
               rollback: "ALTER TABLE addresses RENAME TO verifiable_addresses;\n", expected: .inconclusive),
        Attack(name: "F5 main. qualifier", base: "lossy-lowercase",
               birth: "UPDATE main.verifiable_addresses SET value = substr(value, 1, 100000);\nUPDATE identities SET schema_id = 'v2';\n",
               rollback: "UPDATE identities SET schema_id = 'default';\n", expected: .inconclusive),
        Attack(name: "F1 temporary trigger carries the no-op", base: "lossy-lowercase",
               birth: "CREATE TRIGGER identities_v2 AFTER UPDATE OF schema_id ON identities\nBEGIN\n  UPDATE verifiable_addresses SET value = substr(value, 1, 100000) WHERE identity_id = NEW.id;\nEND;\nUPDATE identities SET schema_id = 'v2';\nDROP TRIGGER identities_v2;\n",
               rollback: "UPDATE identities SET schema_id = 'default';\n", expected: .inconclusive),
        Attack(name: "F6 tabs and newlines stripped, only case backed up", base: "lossy-lowercase",
               birth: "ALTER TABLE verifiable_addresses ADD COLUMN value_before TEXT;\nUPDATE verifiable_addresses SET value_before = value WHERE value <> lower(value);\nUPDATE verifiable_addresses SET value = lower(replace(replace(value, char(9), ''), char(10), ''));\n",
               rollback: "UPDATE verifiable_addresses SET value = value_before WHERE value_before IS NOT NULL;\nALTER TABLE verifiable_addresses DROP COLUMN value_before;\n", expected: .fail),
        Attack(name: "L2 lower(x) = 'lit' delete", base: "lossy-null-delete",
               birth: "DELETE FROM continuity_containers WHERE lower(name) = 'legacy';\n", rollback: "-- nothing\n", expected: .fail),
        Attack(name: "F7 the rollback's own predicate", base: "lossy-null-delete",
               birth: "UPDATE continuity_containers SET name = lower(name) WHERE name = 'Legacy';\n",
               rollback: "UPDATE continuity_containers SET name = 'Legacy' WHERE name = 'legacy';\n", expected: .fail),
    ]

    @Test(arguments: ExerciseAttackTests.attacks)
    func noAttackPasses(attack: Attack) throws {
        let dir = TempDir()
        let url = Repo.copy(attack.base, into: dir)
        if let (from, to) = attack.schemaEdit {
            let schema = url.appendingPathComponent("schema.sql")
            try String(contentsOf: schema, encoding: .utf8).replacingOccurrences(of: from, with: to).write(to: schema, atomically: true, encoding: .utf8)
        }
        try replace("birth.sql", in: url, with: attack.birth)
        try replace("rollback.sql", in: url, with: attack.rollback)
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == attack.expected, "\(attack.name): \(result.record.exercise?.unexercised.map(\.reason) ?? [])")
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == attack.expected)
    }

    /// F8: commerce with `trim(phone)` in the backfill. customers.phone has a
    /// CHECK on its length only, so it now gets edge cases (cut to the bounds)
    /// and the lost white space shows as drift.
    @Test func aTrimmedBackfillOfALengthCheckedColumnFails() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let birth = url.appendingPathComponent("birth.sql")
        let text = try String(contentsOf: birth, encoding: .utf8)
        #expect(text.contains("SELECT id, phone FROM customers"))
        try replace("birth.sql", in: url, with: text.replacingOccurrences(of: "SELECT id, phone FROM customers", with: "SELECT id, trim(phone) FROM customers"))
        let result = try rehearse(url, in: dir, scale: 0.2)
        #expect(result.record.verdict == .fail)
        #expect(result.record.drift?.data.contains { $0.table == "customers" } == true)
        // The bundled birth still passes: the phones it copies stay within the CHECK.
        #expect(try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.2).record.verdict == .pass)
    }
}
