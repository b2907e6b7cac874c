import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The facts of valid evidence that reports show, read from the parsed
/// predicate. Every string here came from a file a stranger may have written
/// (a table named `<script>`); the renderers escape each one for their format.
/// Missing fields read as empty rather than failing: the validator has already
/// checked the shape, and a field a later version adds is simply not shown.
package struct EvidenceFacts: Sendable {
    package struct PhaseFact: Sendable { public var name, outcome, detail: String; public var durationMicros: Int64 }
    package struct CheckFact: Sendable { public var stage, name, outcome, returned, file: String; public var line: Int64 }
    /// One table's row comparison (drift or birth surface).
    package struct DataChange: Sendable {
        package var table: String
        package var rowsBefore, rowsAfter, added, removed, changed: Int64?
        package var columns: [(name: String, count: Int64)]
        package var sampleKeys: [String]
        package var matchedBy, note: String?
    }
    package struct SchemaChange: Sendable { public var kind, name, change: String; public var details: [String] }
    /// What PostgreSQL observed one script do (locks, rewrites, rows).
    package typealias Observed = ScriptObservation
    /// One fingerprinted object (or table's data) before and after.
    package struct Comparison: Sendable { public var name: String; public var pre, post: String?; public var drifted: Bool { pre != post } }

    package var verdict: String
    package var runID, startedAt, lane, engine, engineVersion, targetKind, network: String
    package var grant: String?
    package var sourceKind, sourceName, tag, seed, scale, specDigest: String
    package var phases: [PhaseFact]
    package var checks: [CheckFact]
    package var driftSchema: [SchemaChange]
    package var driftData: [DataChange]
    package var birthSchema: [SchemaChange]
    package var birthData: [DataChange]
    package var observedBirth, observedRollback: Observed?
    package var objects: [Comparison]
    package var tables: [Comparison]
    package var preSchemaDigest, postSchemaDigest, preDataDigest, postDataDigest: String
    package var failurePhase, failureMessage: String?
    /// Birth statements that did not exercise their data change (the reason
    /// a run is INCONCLUSIVE), as "line N: statement: reason".
    package var unexercised: [String] = []
    /// Input role (birth, rollback, schema …) → SHA-256 of the sealed copy,
    /// from the statement's subjects: which exact scripts the evidence proves.
    package var inputDigests: [String: String] = [:]

    package var hasDrift: Bool { !driftSchema.isEmpty || !driftData.isEmpty }

    package init(statement: JSONValue) {
        self.init(predicate: statement["predicate"] ?? .null)
        var bySubject: [String: String] = [:]
        for subject in statement["subject"]?.arrayValue ?? [] {
            if let name = subject["name"]?.stringValue, let d = subject["digest"]?["sha256"]?.stringValue { bySubject[name] = d }
        }
        for (role, input) in statement["predicate"]?["inputs"]?.objectValue ?? [:] {
            if let subject = input["subject"]?.stringValue, let d = bySubject[subject] { inputDigests[role] = d }
        }
    }

    package init(predicate p: JSONValue) {
        func s(_ v: JSONValue?) -> String { v?.stringValue ?? v?.integerValue.map(String.init) ?? "" }
        verdict = s(p["verdict"])
        runID = s(p["run_id"])
        startedAt = s(p["started_at"])
        lane = s(p["lane"])
        grant = p["grant"].flatMap { $0 == .null ? nil : $0.canonicalString }
        engine = s(p["engine"]?["name"])
        engineVersion = s(p["engine"]?["version"])
        targetKind = s(p["target"]?["kind"])
        network = s(p["target"]?["network"])
        sourceKind = s(p["source"]?["kind"])
        sourceName = s(p["source"]?["name"])
        tag = s(p["source"]?["tag"])
        seed = s(p["source"]?["seed"])
        scale = s(p["source"]?["scale"])
        specDigest = s(p["source"]?["spec_digest"])
        phases = (p["phases"]?.arrayValue ?? []).map {
            PhaseFact(name: s($0["name"]), outcome: s($0["outcome"]), detail: s($0["detail"]), durationMicros: $0["duration_us"]?.integerValue ?? 0)
        }
        var checks: [CheckFact] = []
        for stage in ["after_birth", "after_rollback"] {
            for c in p["checks"]?[stage]?.arrayValue ?? [] {
                checks.append(CheckFact(stage: stage, name: s(c["name"]), outcome: s(c["outcome"]), returned: s(c["returned"]),
                                        file: s(c["file"]), line: c["line"]?.integerValue ?? 0))
            }
        }
        self.checks = checks
        driftSchema = Self.schemaChanges(p["drift"]?["schema"])
        driftData = Self.dataChanges(p["drift"]?["data"])
        birthSchema = Self.schemaChanges(p["birth_surface"]?["schema"])
        birthData = Self.dataChanges(p["birth_surface"]?["data"])
        observedBirth = Self.observed(p["observed"]?["birth"])
        observedRollback = Self.observed(p["observed"]?["rollback"])
        let pre = p["fingerprints"]?["pre"], post = p["fingerprints"]?["post"]
        objects = Self.compare(pre?["objects"], post?["objects"]) { $0.stringValue }
        tables = Self.compare(pre?["tables"], post?["tables"]) { v in
            v["digest"]?.stringValue.map { "\($0) (\(v["rows"]?.integerValue ?? 0) rows)" }
        }
        preSchemaDigest = s(pre?["schema_digest"])
        postSchemaDigest = s(post?["schema_digest"])
        preDataDigest = s(pre?["data_digest"])
        postDataDigest = s(post?["data_digest"])
        unexercised = (p["unexercised"]?.arrayValue ?? []).map { u in
            let line = u["line"]?.integerValue.map { "line \($0)" } ?? "a statement"
            return "\(line): \(String((u["statement"]?.stringValue ?? "").prefix(200))): \(u["reason"]?.stringValue ?? "")"
        }
        if let f = p["failure"], f != .null {
            failurePhase = s(f["phase"])
            failureMessage = s(f["message"])
        }
    }

    private static func schemaChanges(_ v: JSONValue?) -> [SchemaChange] {
        (v?.arrayValue ?? []).map {
            SchemaChange(kind: $0["kind"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "", change: $0["change"]?.stringValue ?? "",
                         details: ($0["details"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }

    private static func dataChanges(_ v: JSONValue?) -> [DataChange] {
        (v?.arrayValue ?? []).map { d in
            let columns = (d["columns"]?.objectValue ?? [:]).map { (name: $0.key, count: $0.value.integerValue ?? 0) }
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            return DataChange(table: d["table"]?.stringValue ?? "", rowsBefore: d["rows_before"]?.integerValue, rowsAfter: d["rows_after"]?.integerValue,
                              added: d["added"]?.integerValue, removed: d["removed"]?.integerValue, changed: d["changed"]?.integerValue,
                              columns: columns, sampleKeys: (d["sample_keys"]?.arrayValue ?? []).compactMap(\.stringValue),
                              matchedBy: d["matched_by"]?.stringValue, note: d["note"]?.stringValue)
        }
    }

    private static func observed(_ v: JSONValue?) -> Observed? { ScriptObservation(json: v) }

    /// Every name in either fingerprint, in byte order, with both digests.
    private static func compare(_ pre: JSONValue?, _ post: JSONValue?, _ digest: (JSONValue) -> String?) -> [Comparison] {
        let a = pre?.objectValue ?? [:], b = post?.objectValue ?? [:]
        return Set(a.keys).union(b.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
            Comparison(name: $0, pre: a[$0].flatMap(digest), post: b[$0].flatMap(digest))
        }
    }

    /// One line per drifted table or object, for failure messages.
    package var driftSummary: [String] {
        var lines = driftSchema.map { "\($0.kind) \($0.name) \($0.change)" + ($0.details.isEmpty ? "" : ": " + $0.details.prefix(5).joined(separator: "; ")) }
        for d in driftData {
            var parts: [String] = []
            if let b = d.rowsBefore, let a = d.rowsAfter { parts.append("rows \(b) → \(a)") }
            if let c = d.changed, c > 0 { parts.append("\(c) changed") }
            if let c = d.added, c > 0 { parts.append("\(c) added") }
            if let c = d.removed, c > 0 { parts.append("\(c) removed") }
            if !d.columns.isEmpty { parts.append("columns " + d.columns.prefix(10).map { "\($0.name) (\($0.count))" }.joined(separator: ", ")) }
            if let n = d.note { parts.append(n) }
            lines.append("table \(d.table): " + parts.joined(separator: "; "))
        }
        return lines
    }
}
