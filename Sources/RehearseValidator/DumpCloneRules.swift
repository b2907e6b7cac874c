import Foundation
import RehearseCore
import RehearseEvidence

/// R18-dump-clone: what a dump clone's evidence must hold, and what a
/// surrogate's must not. A dump clone carries the tag REAL_DUMP_CLONE, runs
/// under lane 2, records the dump's SHA-256, format, restore tool and secret
/// scan, and references a grant for lane 2 whose subject is that SHA-256; the
/// grant's exact bytes are sealed in the run folder (grant.dsse.json) and
/// agree with what the evidence records of them. A surrogate records none of
/// the dump fields, so a surrogate run cannot claim a dump, and a dump clone
/// none of the generator's. With a trust policy, the grant's signatures are
/// verified again (the window is judged at the run's own check time).
extension EvidenceRules {
    package static let surrogateSourceFields: Set<String> = ["generator", "spec_digest", "seed", "scale"]
    package static let dumpSourceFields: Set<String> = ["dump_sha256", "format", "restore_tool", "secret_scan"]

    package func dumpClone() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        func add(_ path: String, _ message: String) { out.append(finding("R18-dump-clone", path, message)) }
        let source = evidence["source"]
        let present = Set(source?.objectValue?.keys.map { $0 } ?? [])
        switch source?["kind"]?.stringValue {
        case "surrogate":
            for field in Self.dumpSourceFields.intersection(present).sorted() {
                add("$.predicate.source.\(field)", "a surrogate-tagged run claims a dump (\(field)); surrogate evidence records no dump")
            }
            for field in Self.surrogateSourceFields.subtracting(present).sorted() {
                add("$.predicate.source.\(field)", "missing: a surrogate records its \(field)")
            }
            if evidence["grant"] != .null { add("$.predicate.grant", "a surrogate run references a grant; grants are for dump clones") }
        case "dump_clone":
            for field in Self.surrogateSourceFields.intersection(present).sorted() {
                add("$.predicate.source.\(field)", "a dump clone records generator fields (\(field)); its data came from a dump, not the generator")
            }
            for field in Self.dumpSourceFields.subtracting(present).sorted() {
                add("$.predicate.source.\(field)", "missing: a dump clone records its \(field)")
            }
            if source?["tag"]?.stringValue != DumpCloneEvidence.tag {
                add("$.predicate.source.tag", "a dump clone must carry the tag \(DumpCloneEvidence.tag)")
            }
            if evidence["lane"]?.stringValue != Lane.operatorRealDataCloneHandoff.rawValue {
                add("$.predicate.lane", "a dump clone runs under lane 2, \(Lane.operatorRealDataCloneHandoff.rawValue)")
            }
            if let digest = source?["dump_sha256"]?.stringValue, !Digest.isSHA256Hex(digest) {
                add("$.predicate.source.dump_sha256", "not a SHA-256 hex digest")
            }
            guard let grant = evidence["grant"], grant != .null else {
                add("$.predicate.grant", "a dump clone without a grant")
                return out
            }
            if grant["subject_sha256"]?.stringValue != source?["dump_sha256"]?.stringValue {
                add("$.predicate.grant.subject_sha256", "the grant is for another dump than the one recorded (source.dump_sha256)")
            }
            if grant["lane"]?.stringValue != Lane.operatorRealDataCloneHandoff.rawValue {
                add("$.predicate.grant.lane", "the grant is not for lane 2")
            }
            if grant["engine"]?.stringValue != evidence["engine"]?["name"]?.stringValue {
                add("$.predicate.grant.engine", "the grant is for another engine than the one recorded")
            }
            // A dump clone's database was restored from the dump, not generated:
            // the generator's provenance table in its fingerprints means the run
            // fingerprinted a surrogate (a relabelled surrogate run).
            for stage in ["pre", "born", "post"] where evidence["fingerprints"]?[stage]?["tables"]?[SurrogateTag.provenanceTable] != nil {
                add("$.predicate.fingerprints.\(stage).tables.\(SurrogateTag.provenanceTable)", "a dump clone's fingerprints hold the generator's provenance table: they describe a generated surrogate, not a restored dump")
            }
            if source?["secret_scan"]?["finding_count"]?.integerValue != 0 {
                add("$.predicate.source.secret_scan.finding_count", "a dump clone with secret-scan findings was restored; the gate refuses any")
            }
            out += sealedGrant(grant).map { finding("R18-dump-clone", "\(DumpCloneEvidence.grantFile)", $0) }
        default:
            break
        }
        return out
    }

    /// The sealed grant's bytes agree with the evidence's grant record.
    package func sealedGrant(_ grant: JSONValue) -> [String] {
        guard let bytes = folder.file(named: DumpCloneEvidence.grantFile) else {
            return ["missing: a dump clone's run folder holds the exact grant it ran under"]
        }
        if Digest.sha256Hex(bytes) != grant["digest"]?.stringValue { return ["does not hash to the grant digest the evidence records"] }
        guard case .success(let envelope) = GrantVerifier.parseEnvelope(bytes) else { return ["is not a well-formed grant"] }
        let s = envelope.statement
        let recorded: [(String, JSONValue)] = [("nonce", .string(s.nonce)), ("lane", .string(s.lane.rawValue)), ("subject_sha256", .string(s.subjectSHA256)),
                                              ("issuer", .string(s.issuer)), ("not_before", .integer(s.notBefore)), ("not_after", .integer(s.notAfter)),
                                              ("engine", .string(s.engine))]
        return recorded.compactMap { key, value in grant[key] == value ? nil : "its \(key) is not the one the evidence records" }
    }
}

extension Validator {
    /// With a trust policy, a dump clone's sealed grant must verify again:
    /// every signature by a trusted key, at least the threshold of distinct
    /// keys, lane 2, the recorded dump and engine, and the window around the
    /// time the run checked it (its not_before is the grant's own; the run's
    /// check time is not recorded beyond the start time).
    package static func grantFindings(_ folder: RunFolder, evidence: JSONValue?, trust: TrustPolicy?) -> [ValidationFinding] {
        guard let trust, let predicate = evidence?["predicate"], predicate["source"]?["kind"]?.stringValue == "dump_clone",
              let bytes = folder.file(named: DumpCloneEvidence.grantFile) else { return [] }
        let started = predicate["started_at"]?.stringValue.flatMap(GrantClock.parse) ?? 0
        switch GrantVerifier.verify(bytes, trust: trust, now: started, lane: .operatorRealDataCloneHandoff,
                                    subjectSHA256: predicate["source"]?["dump_sha256"]?.stringValue, engine: predicate["engine"]?["name"]?.stringValue) {
        case .success: return []
        case .failure(let p): return [ValidationFinding(rule: "R9-signature", path: DumpCloneEvidence.grantFile, message: "the grant does not verify against the trust policy: \(p.sentence)")]
        }
    }
}

/// Replay and reproduction rebuild a run from its sealed inputs; a dump
/// clone's data is not among them (real data is never sealed into evidence),
/// so both refuse it with a finding rather than compare against a surrogate.
/// Replay of a dump clone takes the dump itself (RehearseKit's `DumpReplay`,
/// `rehearse validate --replay --dump PATH --trust FILE`).
package enum DumpCloneReplay {
    package static func refusal(_ folder: RunFolder, rule: String) -> ValidationFinding? {
        guard let bytes = folder.file(named: EvidenceWriter.evidenceFile), let statement = try? JSONValue.parseStrict(bytes),
              statement["predicate"]?["source"]?["kind"]?.stringValue == "dump_clone" else { return nil }
        return ValidationFinding(rule: rule, path: "$.predicate.source",
                                 message: "a dump clone cannot be rebuilt from its sealed inputs (real data is never sealed into evidence); replaying it needs the dump itself: rehearse validate --replay --dump PATH --trust FILE RUN, with the dump whose SHA-256 is source.dump_sha256")
    }
}
