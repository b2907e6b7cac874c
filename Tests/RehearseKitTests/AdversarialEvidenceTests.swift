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

/// A forger's edits to genuine evidence, each resealed so the seal and the
/// subjects' digests hold: the validator must still reject every one, for
/// the rule that proves the claim false, with a sentence saying what is wrong.
enum Forge {
    static let corpus = Repo.root.appendingPathComponent("Tests/Conformance")
    static let pass = try! RunFolder(directory: corpus.appendingPathComponent("pass_commerce"))
    static let lossy = try! RunFolder(directory: corpus.appendingPathComponent("fail_verdict_lossy"))

    static func evidence(_ folder: RunFolder) -> JSONValue {
        try! JSONValue.parseStrict(folder.files["evidence.json"]!)
    }

    /// `value` with the member at `path` replaced (nil removes it). An
    /// all-digit component indexes an array.
    static func setting(_ value: JSONValue, _ path: ArraySlice<String>, to new: JSONValue?) -> JSONValue {
        guard let key = path.first else { return new ?? .null }
        switch value {
        case .object(var members):
            if path.count == 1, new == nil { members[key] = nil } else {
                members[key] = setting(members[key] ?? .null, path.dropFirst(), to: new)
            }
            return .object(members)
        case .array(var items):
            let i = Int(key)!
            if path.count == 1, new == nil { items.remove(at: i) } else { items[i] = setting(items[i], path.dropFirst(), to: new) }
            return .array(items)
        default:
            return value
        }
    }

    static func set(_ e: inout JSONValue, _ path: String, _ new: JSONValue?) {
        e = setting(e, path.split(separator: ".").map(String.init)[...], to: new)
    }

    /// A copy of `base` with the evidence edited, files changed, then every
    /// subject digest recomputed and the seal rewritten.
    static func forge(_ base: RunFolder = pass, _ edit: (inout JSONValue) -> Void = { _ in }) -> RunFolder {
        forge(base, files: { _ in }, edit)
    }

    static func forge(_ base: RunFolder = pass, files: (inout [String: [UInt8]]) -> Void, _ edit: (inout JSONValue) -> Void = { _ in }) -> RunFolder {
        var folder = base
        files(&folder.files)
        var e = evidence(folder)
        edit(&e)
        let subjects = (e["subject"]?.arrayValue ?? []).map { s -> JSONValue in
            guard let name = s["name"]?.stringValue, let bytes = folder.files[name] else { return s }
            return setting(s, ["digest", "sha256"], to: .string(Digest.sha256Hex(bytes)))
        }
        e = setting(e, ["subject"], to: .array(subjects))
        folder.files["evidence.json"] = e.canonicalBytes
        return resealed(folder)
    }

    static func resealed(_ folder: RunFolder) -> RunFolder {
        var copy = folder
        copy.files[Seal.fileName] = nil
        copy.files[Seal.fileName] = Array(Seal.render(Seal.entries(for: copy)).utf8)
        return copy
    }

    static func subject(_ name: String, _ bytes: [UInt8]) -> JSONValue {
        ["name": .string(name), "digest": ["sha256": .string(Digest.sha256Hex(bytes))]]
    }
}

/// Asserts the folder is rejected with a finding of `rule` at `path` whose
/// sentence contains `words`.
func expectRejected(_ folder: RunFolder, _ rule: String, at path: String, _ words: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let report = Validator().validate(folder)
    #expect(!report.isValid, "accepted", sourceLocation: sourceLocation)
    #expect(report.findings.contains { $0.rule == rule && $0.path == path && $0.message.contains(words) },
            "no [\(rule)] \(path) '\(words)' in \(report.findings)", sourceLocation: sourceLocation)
}

@Suite struct AdversarialEvidenceTests {
    @Test func theUntouchedCorpusValidates() {
        #expect(Validator().validate(Forge.pass).isValid)
        #expect(Validator().validate(Forge.lossy).isValid)
        // Resealing alone changes nothing.
        #expect(Validator().validate(Forge.forge()).findings == [])
    }

    // MARK: target (R7)

    @Test(arguments: ["production-postgres", "postgres", "sqlite", "", "SQLITE-FILE", "sqlite-file "])
    func aTargetKindNoEngineWritesIsRejected(kind: String) {
        let f = Forge.forge { e in
            Forge.set(&e, "predicate.target.kind", .string(kind))
            Forge.set(&e, "predicate.target.host", "db.prod.example.com")
            Forge.set(&e, "predicate.target.network", "loopback")
        }
        expectRejected(f, "R7-isolation", at: "$.predicate.target.kind", "is not a scratch target rehearse provisions")
    }

    static func server(host: String, network: String) -> RunFolder {
        Forge.forge { e in
            Forge.set(&e, "predicate.engine.name", "postgres")
            Forge.set(&e, "predicate.target", ["kind": "postgres-server", "host": .string(host), "network": .string(network), "database": "rehearse_0123456789ab"])
        }
    }

    @Test(arguments: ["10.20.30.40", "db.example.com", "128.0.0.1", "::2", "0.0.0.0", "localhost.evil.com", "127.0.0.1.nip.io", "/tmp/s,10.0.0.1"])
    func aServerThatIsNotLoopbackIsRejectedWhateverTheNetworkSays(host: String) {
        for network in ["loopback", "none"] {
            expectRejected(Self.server(host: host, network: network), "R7-isolation", at: "$.predicate.target.host", "neither a socket directory nor a literal loopback address")
        }
    }

    @Test(arguments: [("/var/run/postgresql", "loopback"), ("(default socket directory)", "loopback"), ("127.0.0.1", "none"),
                      ("::1", "none"), ("localhost", "none"), ("/tmp,127.0.0.1", "none"), ("127.0.0.1", "wide")])
    func aServerWhoseNetworkContradictsItsHostIsRejected(host: String, network: String) {
        expectRejected(Self.server(host: host, network: network), "R7-isolation", at: "$.predicate.target.network", "so the network is")
    }

    @Test(arguments: [("/var/run/postgresql", "none"), ("127.0.0.1", "loopback"), ("::1", "loopback"), ("127.9.8.7", "loopback"),
                      ("localhost", "loopback"), ("/tmp,127.0.0.1", "loopback")])
    func aConsistentServerTargetPassesTheTargetRule(host: String, network: String) {
        let findings = Validator().validate(Self.server(host: host, network: network)).findings
        #expect(!findings.contains { $0.path.hasPrefix("$.predicate.target") }, "\(findings)")
    }

    @Test(arguments: ["postgres", "production", "rehearse_", "rehearse_0123456789AB", "rehearse_0123456789abc", "template1", ""])
    func aDatabaseRehearseDidNotCreateIsRejected(database: String) {
        let f = Forge.forge { e in
            Forge.set(&e, "predicate.engine.name", "postgres")
            Forge.set(&e, "predicate.target", ["kind": "postgres-server", "host": "/tmp", "network": "none", "database": .string(database)])
        }
        expectRejected(f, "R7-isolation", at: "$.predicate.target.database", "is not a scratch database rehearse creates")
    }

    @Test func aServerTargetWithoutAHostIsRejected() {
        let f = Forge.forge { e in
            Forge.set(&e, "predicate.engine.name", "postgres")
            Forge.set(&e, "predicate.target", ["kind": "postgres-server", "network": "loopback", "database": "x"])
        }
        expectRejected(f, "R7-isolation", at: "$.predicate.target.host", "must record the host")
    }

    @Test func anSQLiteTargetOnTheNetworkOrWithServerFieldsIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.target.network", "loopback") },
                       "R7-isolation", at: "$.predicate.target.network", "expected 'none'")
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.target.host", "127.0.0.1") },
                       "R7-isolation", at: "$.predicate.target.host", "a sqlite-file target has no field 'host'")
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.target.private_temporary_directory", .bool(false)) },
                       "R7-isolation", at: "$.predicate.target.private_temporary_directory", "private temporary directory")
    }

    @Test func anEngineThatDidNotRunTheTargetKindIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.engine.name", "postgres") },
                       "R7-isolation", at: "$.predicate.engine.name", "did not run a sqlite-file target")
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.engine.name", "oracle") },
                       "R7-isolation", at: "$.predicate.engine.name", "'oracle' did not run")
    }

    @Test func anEphemeralClusterMustBeUnreachable() {
        let cluster: JSONValue = ["kind": "postgres-ephemeral-cluster", "network": "none", "private_temporary_directory": .bool(true),
                                  "listen_addresses": "", "database": "rehearse_scratch"]
        func forged(_ edit: (inout JSONValue) -> Void) -> RunFolder {
            Forge.forge { e in
                Forge.set(&e, "predicate.engine.name", "postgres")
                var t = cluster
                edit(&t)
                Forge.set(&e, "predicate.target", t)
            }
        }
        #expect(!Validator().validate(forged { _ in }).findings.contains { $0.path.hasPrefix("$.predicate.target") })
        expectRejected(forged { Forge.set(&$0, "listen_addresses", "*") }, "R7-isolation", at: "$.predicate.target.listen_addresses", "no TCP address")
        expectRejected(forged { Forge.set(&$0, "network", "loopback") }, "R7-isolation", at: "$.predicate.target.network", "expected 'none'")
        expectRejected(forged { Forge.set(&$0, "host", "10.0.0.1") }, "R7-isolation", at: "$.predicate.target.host", "has no field 'host'")
        expectRejected(forged { Forge.set(&$0, "settings", ["listen_addresses": "*"]) }, "R7-isolation", at: "$.predicate.target.settings.listen_addresses", "no TCP")
        expectRejected(forged { Forge.set(&$0, "database", "postgres") }, "R7-isolation", at: "$.predicate.target.database", "rehearse_scratch")
    }

    // MARK: lanes (R11, R8)

    @Test func laneTwoWithoutAGrantIsRejected() {
        let f = Forge.forge { Forge.set(&$0, "predicate.lane", .string(Lane.operatorRealDataCloneHandoff.rawValue)) }
        expectRejected(f, "R11-lane", at: "$.predicate.grant", "requires a grant reference")
    }

    @Test(arguments: [Lane.productionDryRunOnly, .productionRealRunPrecheckOnly, .productionExecution])
    func lanesThatPermitNoRehearsalAreRejected(lane: Lane) {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.lane", .string(lane.rawValue)) }, "R8-forbidden", at: "$.predicate.lane", lane.rawValue)
    }

    @Test func anUnknownLaneIsRejectedBySchema() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.lane", "HOLD") }, "R1-schema", at: "$.predicate.lane", "is not one of")
    }

    // MARK: inputs and roles (R12)

    @Test func theRollbackRolePointingAtBirthIsRejected() {
        let f = Forge.forge { Forge.set(&$0, "predicate.inputs.rollback.subject", "inputs/birth.sql") }
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.rollback.subject", "must be the copy made for that role, inputs/rollback.sql")
    }

    @Test func swappedSubjectsAreRejected() {
        let f = Forge.forge { e in
            Forge.set(&e, "predicate.inputs.schema.subject", "inputs/profile.yaml")
            Forge.set(&e, "predicate.inputs.profile.subject", "inputs/schema.sql")
        }
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.schema.subject", "inputs/schema.sql")
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.profile.subject", "inputs/profile.yaml")
    }

    @Test func theRollbackCopiedFromTheBirthFileIsRejected() {
        // The copy is the birth script under the rollback's name: the source
        // path the forger must then claim is not the manifest's.
        let f = Forge.forge(files: { $0["inputs/rollback.sql"] = $0["inputs/birth.sql"] }) { e in
            Forge.set(&e, "predicate.inputs.rollback.source_path", "birth.sql")
        }
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.rollback.source_path", "is not the manifest's rollback file rollback.sql")
    }

    @Test func aMissingRoleIsRejected() {
        let f = Forge.forge(files: { $0["inputs/checks_after_birth.sql"] = nil }) { e in
            Forge.set(&e, "predicate.inputs.checks_after_birth", nil)
            Forge.set(&e, "subject", .array((e["subject"]?.arrayValue ?? []).filter { $0["name"]?.stringValue != "inputs/checks_after_birth.sql" }))
        }
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs", "the manifest names checks/after-birth.sql as the checks_after_birth input")
    }

    @Test func anExtraRoleIsRejected() {
        let bytes = Array("SELECT 1;\n".utf8)
        let f = Forge.forge(files: { $0["inputs/seed_data.sql"] = bytes }) { e in
            Forge.set(&e, "predicate.inputs.seed_data", ["subject": "inputs/seed_data.sql", "source_path": "seed.sql"])
            Forge.set(&e, "subject", .array((e["subject"]?.arrayValue ?? []) + [Forge.subject("inputs/seed_data.sql", bytes)]))
        }
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.seed_data", "the manifest names no seed_data input")
        expectRejected(f, "R12-inputs", at: "$.subject[7].name", "the copy of no input the manifest names")
    }

    @Test func aDialectVariantBesideTheSubjectsIsRejected() {
        // Reproduction once read inputs/schema.sqlite.sql, which no subject covers.
        let f = Forge.forge(files: { $0["inputs/schema.sqlite.sql"] = Array("CREATE TABLE t (x);\n".utf8) })
        expectRejected(f, "R12-inputs", at: "$.subject", "inputs/schema.sqlite.sql is in inputs/ but is no subject")
    }

    @Test func aVariantSourcePathForTheEngineIsAccepted() {
        let f = Forge.forge(files: { $0["inputs/schema.sql"] = $0["inputs/schema.sql"] }) { e in
            Forge.set(&e, "predicate.inputs.schema.source_path", "schema.sqlite.sql")
        }
        #expect(!Validator().validate(f).findings.contains { $0.rule == "R12-inputs" })
        let other = Forge.forge { Forge.set(&$0, "predicate.inputs.schema.source_path", "schema.postgres.sql") }
        expectRejected(other, "R12-inputs", at: "$.predicate.inputs.schema.source_path", "or its sqlite variant schema.sqlite.sql")
    }

    @Test func aManifestThatNamesNoChecksRejectsRecordedChecks() {
        let path = "inputs/manifest.yaml"
        let f = Forge.forge(files: { files in
            let text = String(decoding: files[path]!, as: UTF8.self)
            let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("checks:") && !$0.hasPrefix("  after_") }
            files[path] = Array(kept.joined(separator: "\n").utf8)
        })
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_birth", "although the manifest names no checks_after_birth file")
        expectRejected(f, "R12-inputs", at: "$.predicate.inputs.checks_after_rollback", "the manifest names no checks_after_rollback input")
    }

    @Test func aMissingOrBrokenManifestIsRejected() {
        let broken = Forge.forge(files: { $0["inputs/manifest.yaml"] = Array("name: [unclosed\n".utf8) })
        expectRejected(broken, "R12-inputs", at: "$.predicate.inputs.manifest", "is not a valid manifest")
        let gone = Forge.forge(files: { $0["inputs/manifest.yaml"] = nil }) { e in
            Forge.set(&e, "subject", .array((e["subject"]?.arrayValue ?? []).filter { $0["name"]?.stringValue != "inputs/manifest.yaml" }))
        }
        expectRejected(gone, "R12-inputs", at: "$.predicate.inputs.manifest", "is not in the run folder")
    }

    @Test func aSpecDigestThatDoesNotNameTheSealedInputsIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.source.spec_digest", .string(String(repeating: "ab", count: 32))) },
                       "R12-inputs", at: "$.predicate.source.spec_digest", "does not recompute from the generator and the sealed schema and profile")
        // A profile edited and resealed (its subject digest updated) changes the spec digest.
        let edited = Forge.forge(files: { $0["inputs/profile.yaml"]! += Array("\n# edited\n".utf8) })
        expectRejected(edited, "R12-inputs", at: "$.predicate.source.spec_digest", "does not recompute")
    }

    @Test func aSurrogateNameOtherThanTheManifestsIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.source.name", "payments") },
                       "R12-inputs", at: "$.predicate.source.name", "is not the name in the sealed manifest, 'commerce'")
    }

    // MARK: checks (R13)

    @Test func everyCheckRemovedIsRejected() {
        let f = Forge.forge { e in
            Forge.set(&e, "predicate.checks.after_birth", .array([]))
            Forge.set(&e, "predicate.checks.after_rollback", .array([]))
        }
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_birth", "records 0 checks, but the sealed checks/after-birth.sql holds")
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_rollback", "records 0 checks, but the sealed checks/after-rollback.sql holds")
    }

    @Test func aRenamedCheckIsRejected() {
        let f = Forge.forge { Forge.set(&$0, "predicate.checks.after_rollback.0.name", "everything is fine") }
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_rollback[0].name", "is not the check the sealed checks/after-rollback.sql holds there")
    }

    @Test func aChangedCheckCountIsRejected() {
        let e = Forge.evidence(Forge.pass)
        let checks = e["predicate"]?["checks"]?["after_birth"]?.arrayValue ?? []
        let more = Forge.forge { Forge.set(&$0, "predicate.checks.after_birth", .array(checks + [checks[0]])) }
        expectRejected(more, "R13-checks", at: "$.predicate.checks.after_birth", "records \(checks.count + 1) checks")
        let fewer = Forge.forge { Forge.set(&$0, "predicate.checks.after_birth", .array(Array(checks.dropFirst()))) }
        expectRejected(fewer, "R13-checks", at: "$.predicate.checks.after_birth", "records \(checks.count - 1) checks")
    }

    @Test func aCheckMovedToAnotherLineOrFileIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.checks.after_birth.0.line", .integer(999)) },
                       "R13-checks", at: "$.predicate.checks.after_birth[0].line", "has check 1 at line")
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.checks.after_birth.0.file", "other.sql") },
                       "R13-checks", at: "$.predicate.checks.after_birth[0].file", "is checks/after-birth.sql")
    }

    @Test func aCheckEditedInTheSealedFileIsRejected() {
        let f = Forge.forge(files: { files in
            files["inputs/checks_after_birth.sql"] = Array("-- check: all good\nSELECT 1;\n".utf8)
        })
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_birth", "but the sealed checks/after-birth.sql holds 1")
    }

    @Test(arguments: ["0 rows", "1 row: 0", "more than one row", "error: no such table: x", "1 row: t"])
    func aPassingCheckThatReturnedSomethingElseIsRejected(returned: String) {
        let f = Forge.forge { Forge.set(&$0, "predicate.checks.after_birth.0.returned", .string(returned)) }
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_birth[0].returned", "a passing check returns one row holding true")
    }

    @Test func aFailedCheckUnderAnOkPhaseIsRejected() {
        let f = Forge.forge { Forge.set(&$0, "predicate.checks.after_birth.0.outcome", "fail") }
        expectRejected(f, "R13-checks", at: "$.predicate.checks.after_birth", "is recorded as ok but its checks include a failure")
    }

    // MARK: statements (R14)

    @Test func aStatementDroppedOrMovedIsRejected() {
        let statements = Forge.evidence(Forge.pass)["predicate"]?["statements"]?["rollback"]?.arrayValue ?? []
        let dropped = Forge.forge { Forge.set(&$0, "predicate.statements.rollback", .array(Array(statements.dropLast()))) }
        expectRejected(dropped, "R14-statements", at: "$.predicate.statements.rollback", "but the sealed rollback file holds statements at lines")
        let moved = Forge.forge { Forge.set(&$0, "predicate.statements.birth.0.line", .integer(4242)) }
        expectRejected(moved, "R14-statements", at: "$.predicate.statements.birth", "4242")
    }

    @Test func aRollbackSwappedForAHarmlessOneIsRejected() {
        // The sealed rollback replaced by a no-op script: the statements recorded no longer fit.
        let f = Forge.forge(files: { $0["inputs/rollback.sql"] = Array("SELECT 1;\n".utf8) })
        expectRejected(f, "R14-statements", at: "$.predicate.statements.rollback", "holds statements at lines 1")
    }

    @Test func statementsRecordedForAFailedBirthAreRejected() {
        let f = Forge.forge { e in
            for i in 3...9 { Forge.set(&e, "predicate.phases.\(i).outcome", .string(i == 3 ? "failed" : "skipped")) }
        }
        expectRejected(f, "R14-statements", at: "$.predicate.statements.birth", "although birth did not complete")
    }

    @Test func sqliteSplittingAgreesWithTheEngineOnTriggersStringsAndComments() {
        let text = """
            -- check: one
            SELECT ';' AS a;
            /* a; comment */ CREATE TRIGGER t AFTER INSERT ON x BEGIN
              UPDATE y SET z = 1; DELETE FROM y;
            END;
            -- plain name
            SELECT "semi;colon" FROM q; SELECT 3
            """
        let s = SealedScript(bytes: Array(text.utf8), path: "x.sql", engine: "sqlite")!
        #expect(s.lines == [2, 3, 7, 7])
        #expect(s.checkNames == ["one", "check 2 (line 3)", "plain name", "check 4 (line 7)"])
    }

    @Test func aScriptBuiltToMakeSplittingQuadraticIsRefusedQuickly() {
        // A trigger body holding a million semicolons: SQLite's completeness
        // test is asked at each one and rescans from the statement's start.
        let hostile = Array("CREATE TRIGGER t AFTER INSERT ON x BEGIN ".utf8) + [UInt8](repeating: UInt8(ascii: ";"), count: 1_000_000)
        let clock = ContinuousClock.now
        #expect(SealedScript(bytes: hostile, path: "birth.sql", engine: "sqlite") == nil)
        // Semicolons inside one unterminated string are skipped without
        // asking: the script splits, as one statement.
        let inString = Array("SELECT '".utf8) + [UInt8](repeating: UInt8(ascii: ";"), count: 1_000_000)
        #expect(SealedScript(bytes: inString, path: "birth.sql", engine: "sqlite")?.statements.count == 1)
        #expect(ContinuousClock.now - clock < .seconds(20))
        let f = Forge.forge(files: { $0["inputs/birth.sql"] = hostile })
        expectRejected(f, "R14-statements", at: "$.predicate.statements.birth", "cannot be split into statements")
    }

    // MARK: domains (R15)

    @Test func aNegativeSeedIsRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.source.seed", .integer(-1)) },
                       "R15-domains", at: "$.predicate.source.seed", "is negative")
    }

    @Test func aSeedBeyondSixtyFourBitsIsNotJSONTheValidatorReads() {
        let raw = String(decoding: Forge.pass.files["evidence.json"]!, as: UTF8.self)
        let seed = Forge.evidence(Forge.pass)["predicate"]!["source"]!["seed"]!.integerValue!
        var folder = Forge.pass
        folder.files["evidence.json"] = Array(raw.replacingOccurrences(of: "\"seed\":\(seed)", with: "\"seed\":18446744073709551616").utf8)
        let report = Validator().validate(Forge.resealed(folder))
        #expect(report.findings.contains { $0.rule == "R0-json" && $0.message.contains("64") }, "\(report.findings)")
    }

    static let badScales = ["inf", "-inf", "nan", "NaN", "infinity", "0x10", "1e3", "1E3", "1e300", "-1", "+1", "01", "00.5", " 1", "1 ",
                            "0", "0.0", "", ".5", "5.", "1.50", "1,5", "1_000", "١", "1\u{0}", "0.1.2"]

    @Test(arguments: AdversarialEvidenceTests.badScales)
    func aScaleOutsideItsDomainIsRejected(scale: String) {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.source.scale", .string(scale)) },
                       "R15-domains", at: "$.predicate.source.scale", "is not a scale")
    }

    @Test(arguments: [(0.00001, "0.00001"), (0.000015, "0.000015"), (1e16, "10000000000000000"), (2.5e-7, "0.00000025"), (0.0001, "0.0001")])
    func rehearseWritesEveryScaleAsAPlainDecimalTheValidatorAccepts(value: Double, text: String) {
        #expect(describeScale(value) == text)
        #expect(EvidenceRules.parseScale(text) == value)
    }

    @Test(arguments: ["1", "0.01", "0.25", "12.5", "1000", "3"])
    func aScaleAsRehearseWritesItIsAccepted(scale: String) {
        #expect(EvidenceRules.parseScale(scale) != nil)
        #expect(describeScale(EvidenceRules.parseScale(scale)!) == scale)
    }

    @Test(arguments: ["run\u{1}id", "run\nid", "run\u{7F}", "a/b", "..", ".hidden", "../../etc", "caf\u{E9}", "\u{212A}", "x y", "", String(repeating: "a", count: 129)])
    func aRunIDOutsideThePortableSetIsRejected(runID: String) {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.run_id", .string(runID)) },
                       "R15-domains", at: "$.predicate.run_id", "is not a run ID")
    }

    @Test func theRunIDOfANameWithLettersOutsideASCIIIsPortable() {
        #expect(EvidenceRules.isRunID(Rehearsal.runID(name: "café ünïcode/..", at: 0)))
    }

    @Test(arguments: ["yesterday", "2026-11-30 14:00:00Z", "2026-11-30T14:00:00+01:00", "2026-11-30T14:00:00Z\n"])
    func aStartTimeThatIsNotRFC3339UTCIsRejected(time: String) {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.started_at", .string(time)) },
                       "R15-domains", at: "$.predicate.started_at", "is not an RFC 3339 UTC time")
    }

    @Test func negativeDurationsAndCountsAreRejected() {
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.phases.0.duration_us", .integer(-5)) },
                       "R15-domains", at: "$.predicate.phases[0].duration_us", "cannot be negative")
        expectRejected(Forge.forge { Forge.set(&$0, "predicate.statements.birth.0.rows_changed", .integer(-5)) },
                       "R15-domains", at: "$.predicate.statements.birth[0]", "not negative")
    }

    // MARK: names, byte for byte (class 7)

    @Test func aSealLineWhoseNameOnlyLooksLikeTheFileIsRejected() {
        // The seal says "Kelvin.txt" (ASCII K); the file is named with U+212A
        // KELVIN SIGN. As Swift Strings the two are equal; as bytes they are not.
        var folder = Forge.pass
        folder.files["\u{212A}elvin.txt"] = Array("x".utf8)
        var entries = Seal.entries(for: Forge.pass)
        entries["Kelvin.txt"] = Digest.sha256Hex(Array("x".utf8))
        folder.files[Seal.fileName] = Array(Seal.render(entries).utf8)
        let findings = Seal.verify(folder)
        #expect(findings.contains { $0.kind == .refused && $0.path == "\\xe2\\x84\\xaaelvin.txt" }, "\(findings)")
        #expect(findings.contains { $0.kind == .missing && $0.path == "Kelvin.txt" }, "\(findings)")
        expectRejected(folder, "R2-seal", at: "Kelvin.txt", "sealed but missing")
    }

    @Test(arguments: ["caf\u{E9}.txt", "cafe\u{301}.txt", "\u{212A}", "a b", "../evidence.json", "/etc/passwd", "a//b", "./a", "a/./b", "a/", "x\r", "x\\y", "x\u{0}"])
    func aSealLineOutsideThePortableSetIsMalformed(name: String) {
        var folder = Forge.pass
        let text = String(decoding: folder.files[Seal.fileName]!, as: UTF8.self) + "\(String(repeating: "0", count: 64))  \(name)\n"
        folder.files[Seal.fileName] = Array(text.utf8)
        let findings = Seal.verify(folder)
        #expect(findings.contains { $0.kind == .malformed && $0.detail.contains("outside the portable set") }, "\(findings)")
    }

    @Test func nfcAndNfdNamesOnDiskAreBothRefusedAndNeverMerged() throws {
        let dir = TempDir()
        let run = dir.file("run")
        try FileManager.default.copyItem(at: Forge.corpus.appendingPathComponent("pass_commerce"), to: run)
        // Create the names from raw bytes, so no layer normalizes them.
        for bytes: [UInt8] in [[0x63, 0x61, 0x66, 0xC3, 0xA9], [0x63, 0x61, 0x66, 0x65, 0xCC, 0x81]] {
            let path = Array(run.path.utf8) + [0x2F] + bytes + [0]
            let fd = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            close(fd)
        }
        let folder = try RunFolder(directory: run)
        #expect(folder.refused.map(\.path).sorted() == ["caf\\xc3\\xa9", "cafe\\xcc\\x81"])
        #expect(Validator().validate(folder).findings.filter { $0.rule == "R2-seal" }.count == 2)
        // Sealing such a folder is refused too.
        #expect(throws: RehearseError.self) { try Seal.write(directory: run) }
    }

    @Test func anInMemoryFolderWithANonPortableNameIsRejected() {
        var folder = Forge.pass
        folder.files["inputs/\u{212A}.sql"] = []
        let findings = Seal.verify(folder)
        #expect(findings.contains { $0.kind == .refused && $0.path == "inputs/\\xe2\\x84\\xaa.sql" })
    }

    // MARK: the run folder itself (class 8/9)

    @Test func linksAndFIFOsAreNamedNeverOpenedAndRejected() throws {
        let dir = TempDir()
        let run = dir.file("run")
        try FileManager.default.copyItem(at: Forge.corpus.appendingPathComponent("pass_commerce"), to: run)
        try FileManager.default.createSymbolicLink(atPath: run.appendingPathComponent("inputs/link.sql").path, withDestinationPath: "/etc/passwd")
        #expect(mkfifo(run.appendingPathComponent("pipe").path, 0o644) == 0)
        let clock = ContinuousClock.now
        let report = try Validator().validate(runDirectory: run)
        #expect(ContinuousClock.now - clock < .seconds(10), "a FIFO must not block")
        #expect(report.findings.contains { $0.rule == "R2-seal" && $0.path == "pipe" && $0.message.contains("not a regular file (a FIFO)") })
        #expect(report.findings.contains { $0.rule == "R2-seal" && $0.path == "inputs/link.sql" && $0.message.contains("a symbolic link") })
    }

    @Test func aHugeFileIsRefusedFromItsSizeWithoutReadingIt() throws {
        let dir = TempDir()
        let run = dir.file("run")
        try FileManager.default.copyItem(at: Forge.corpus.appendingPathComponent("pass_commerce"), to: run)
        // A sparse 6 GB evidence file: reading it would take minutes and 6 GB.
        let handle = try FileHandle(forWritingTo: run.appendingPathComponent("evidence.json"))
        try handle.truncate(atOffset: 6 << 30)
        try handle.close()
        let clock = ContinuousClock.now
        #expect {
            try RunFolder(directory: run)
        } throws: { error in
            let e = error as? RehearseError
            return e?.code == .evidenceRejected && e!.message.contains("evidence.json holds 6442450944 bytes, more than the 64 MiB")
        }
        #expect(ContinuousClock.now - clock < .seconds(5))
    }

    @Test func tooManyFilesOrTooManyBytesAreRefused() throws {
        let dir = TempDir()
        let many = dir.file("many")
        try FileManager.default.createDirectory(at: many, withIntermediateDirectories: true)
        for i in 0...RunFolder.maxEntries { FileManager.default.createFile(atPath: many.appendingPathComponent("f\(i)").path, contents: nil) }
        #expect { try RunFolder(directory: many) } throws: { ($0 as? RehearseError)?.message.contains("more than \(RunFolder.maxEntries) entries") == true }
        let big = dir.file("big")
        try FileManager.default.createDirectory(at: big, withIntermediateDirectories: true)
        for i in 0..<5 {
            let h = try FileHandle(forWritingTo: { FileManager.default.createFile(atPath: big.appendingPathComponent("f\(i)").path, contents: nil); return big.appendingPathComponent("f\(i)") }())
            try h.truncate(atOffset: 60 << 20)
            try h.close()
        }
        #expect { try RunFolder(directory: big) } throws: { ($0 as? RehearseError)?.message.contains("more than 256 MiB") == true }
    }

    @Test func sealFindingsNameTheirPathOnce() {
        var folder = Forge.pass
        folder.files["inputs/birth.sql"]! += Array("\n".utf8)
        let report = Validator().validate(folder)
        let seal = report.findings.first { $0.rule == "R2-seal" }
        #expect(seal?.path == "inputs/birth.sql")
        #expect(seal?.message == "bytes differ from the seal")
        #expect(seal?.description == "[R2-seal] inputs/birth.sql: bytes differ from the seal")
    }

    // MARK: reproduction reads only subjects and never traps (class 6, 8/9)

    @Test(arguments: ["inf", "1e300", "nan", "-1", "5000"])
    func reproductionOfAForgedScaleIsAFindingNotATrap(scale: String) throws {
        let f = Forge.forge { Forge.set(&$0, "predicate.source.scale", .string(scale)) }
        let findings = try Reproduction.check(f)
        #expect(findings.map(\.path) == ["$.predicate.source.scale"], "\(findings)")
        #expect(findings.first?.rule == Reproduction.rule)
    }

    @Test func reproductionReadsTheSealedSchemaNotAVariantBesideIt() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory
        // A variant that would fail to load if it were read.
        let f = Forge.forge(try RunFolder(directory: run), files: { $0["inputs/schema.sqlite.sql"] = Array("THIS IS NOT SQL;\n".utf8) })
        let findings = try Reproduction.check(f, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings)")
        #expect(dir.leftovers("rehearse-").isEmpty)
    }
}
