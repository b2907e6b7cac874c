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

/// The conformance corpus in Tests/Conformance (made by
/// scripts/make-conformance.py): every `_fail` case must be rejected for the
/// rule its one-line README names; every other case must validate.
@Suite struct ConformanceTests {
    static let corpus = Repo.root.appendingPathComponent("Tests/Conformance")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).filter { name in
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: corpus.appendingPathComponent(name).path, isDirectory: &isDir)
            return isDir.boolValue
        }.sorted()
    }

    @Test func theCorpusCoversTheRequiredCases() {
        let required = ["byte_flip_fail", "truncation_fail", "trailing_bytes_fail", "crlf_conversion_fail", "bom_fail", "utf16_fail",
                        "duplicate_key_fail", "trailing_comma_fail", "float_fail", "unknown_predicate_field_fail",
                        "wrong_predicate_type_fail", "md5_only_digest_fail", "subject_digest_mismatch_fail",
                        "seal_over_other_bytes_fail", "fingerprints_swapped_fail", "surrogate_presented_as_real_fail",
                        "pass_with_drift_fail", "pass_with_failed_check_fail", "signature_untrusted_key_fail",
                        "signature_below_threshold_fail", "pass_commerce", "inconclusive_valid", "pass_with_unexercised_statement_fail",
                        "inconclusive_with_drift_fail"]
        #expect(Set(required).isSubset(of: Set(Self.cases)), "missing: \(Set(required).subtracting(Self.cases).sorted())")
    }

    @Test(arguments: ConformanceTests.cases)
    func caseValidatesAsItsReadmeSays(name: String) throws {
        let folder = Self.corpus.appendingPathComponent(name)
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.hasSuffix("\n") && readme.dropLast().split(separator: "\n").count == 1, "a README of one line")
        let trust = name.contains("sign") ? try TrustPolicy(file: Self.corpus.appendingPathComponent("trust.json")) : nil
        let report = try Validator(trust: trust).validate(runDirectory: folder)
        let expectation = String(readme.prefix { $0 != ":" })
        if name.hasSuffix("_fail") {
            #expect(!report.isValid, "\(name) was accepted")
            #expect(report.findings.contains { $0.rule == expectation }, "\(name) failed for \(report.findings.map(\.rule)), not \(expectation)")
        } else {
            #expect(report.isValid, "\(name): \(report.findings)")
            #expect(report.claimedVerdict?.rawValue == expectation)
        }
    }

    /// The corpus's genuine runs are still true: replayed from their sealed
    /// inputs with this build, they give the same fingerprints, drift and
    /// verdict. A change to the generator or the fingerprint that would make
    /// old evidence unreproducible fails here, and the corpus is regenerated
    /// (scripts/make-conformance.py) with the reason in the changelog.
    @Test(arguments: ["pass_commerce", "fail_verdict_lossy", "inconclusive_valid"])
    func genuineCasesReplay(name: String) throws {
        let scratch = TempDir()
        let findings = try Replay.check(runDirectory: Self.corpus.appendingPathComponent(name), scratchParent: scratch.url)
        #expect(findings.isEmpty, "\(name): \(findings.map { "\($0.path): \($0.message)" })")
    }

    static let tamperChunks = Array(0..<8)

    /// Every position of a valid evidence file, changed by one byte, makes the
    /// validator reject the folder. The change cycles through bit flips, a full
    /// inversion and common forgeries (a digit, a quote) so every kind of byte
    /// is hit across the file. Runs in memory, in eight parallel chunks.
    @Test(arguments: ConformanceTests.tamperChunks)
    func everySingleByteChangeIsRejected(chunk: Int) throws {
        var folder = try RunFolder(directory: Self.corpus.appendingPathComponent("pass_commerce"))
        #expect(Validator().validate(folder).isValid)
        let original = folder.files["evidence.json"]!
        let deltas: [UInt8] = [0x01, 0x80, 0xFF, 0x02, 0x20, 0x10, 0x04, 0x40, 0x08]
        var accepted: [Int] = []
        for position in stride(from: chunk, to: original.count, by: Self.tamperChunks.count) {
            var bytes = original
            bytes[position] ^= deltas[position % deltas.count]
            folder.files["evidence.json"] = bytes
            if Validator().validate(folder).isValid { accepted.append(position) }
        }
        #expect(accepted.isEmpty, "changes accepted at \(accepted.prefix(10))")
    }
}
