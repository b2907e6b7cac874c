import RehearseCore
import RehearseEvidence

/// R17-exercised: the verdict PASS needs a birth that exercised its data
/// changes, and INCONCLUSIVE needs one that did not, with every other fact of
/// a PASS. The rule trusts no class or count the evidence states: it splits
/// the sealed birth, classifies each statement itself (StatementEffect), takes
/// the rows each one changed from the recorded statements (bound to their
/// lines by R14), and compares the pre and born fingerprints itself.
extension EvidenceRules {
    package func exercised() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let claimed = evidence["verdict"]?.stringValue
        let fps = evidence["fingerprints"]
        guard let pre = Self.tables(fps?["pre"]), let born = Self.tables(fps?["born"]), outcome(.birth) == "ok" else {
            if claimed == Verdict.inconclusive.rawValue {
                out.append(finding("R17-exercised", "$.predicate.verdict", "claims INCONCLUSIVE, but the birth did not complete with a born fingerprint: that is FAIL"))
            }
            if evidence["unexercised"] != nil {
                out.append(finding("R17-exercised", "$.predicate.unexercised", "is recorded although the birth has no born fingerprint to judge it by"))
            }
            return out
        }
        guard let script = sealedScript(role: "birth") else { return out }  // R14 reports it
        let recorded = evidence["statements"]?["birth"]?.arrayValue ?? []
        let file = evidence["inputs"]?["birth"]?["source_path"]?.stringValue ?? "birth"
        let judged = BirthExercise(sql: script.statements.map { (script.script.line(ofByteOffset: $0.startOffset), $0.sql) },
                                   rowsChanged: recorded.map { $0["rows_changed"]?.integerValue ?? 0 },
                                   dialect: script.dialect, pre: pre, born: born,
                                   preObjects: (fps?["pre"]?["objects"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                                   bornObjects: (fps?["born"]?["objects"]?.objectValue ?? [:]).compactMapValues(\.stringValue), file: file)
        for (i, s) in judged.statements.enumerated() where i < recorded.count {
            let path = "$.predicate.statements.birth[\(i)]"
            if let effect = recorded[i]["effect"], effect != .string(s.effect.kind.rawValue) {
                out.append(finding("R17-exercised", path + ".effect", "records \(effect.canonicalString), but the sealed statement at line \(s.line) is '\(s.effect.kind.rawValue)'"))
            }
            if let matched = recorded[i]["matched_rows"], matched != (s.matchedRows.map { JSONValue.integer($0) } ?? .null) {
                out.append(finding("R17-exercised", path + ".matched_rows", "records \(matched.canonicalString), but the facts give \(s.matchedRows.map(String.init) ?? "null")"))
            }
        }
        let expected: JSONValue? = judged.unexercised.isEmpty ? nil : .array(judged.unexercised.map(\.json))
        if evidence["unexercised"] != expected {
            out.append(finding("R17-exercised", "$.predicate.unexercised", expected == nil
                ? "lists unexercised statements, but every data change of the birth was exercised"
                : "does not list what the facts give: \(judged.unexercised.map { ($0.line.map { "line \($0): " } ?? "") + $0.reason }.joined(separator: "; "))"))
        }
        let phasesOK = evidence["phases"]?.arrayValue?.allSatisfy { $0["outcome"]?.stringValue == "ok" } ?? false
        let checks = (evidence["checks"]?["after_birth"]?.arrayValue ?? []) + (evidence["checks"]?["after_rollback"]?.arrayValue ?? [])
        let restoredFacts = phasesOK && checks.allSatisfy { $0["outcome"]?.stringValue == "pass" } && evidence["failure"] == .null
            && fps?["pre"]?["objects"] == fps?["post"]?["objects"] && fps?["pre"]?["tables"] == fps?["post"]?["tables"]
            && evidence["drift"]?["schema"]?.arrayValue?.isEmpty == true && evidence["drift"]?["data"]?.arrayValue?.isEmpty == true
        if claimed == Verdict.pass.rawValue, let first = judged.unexercised.first {
            out.append(finding("R17-exercised", "$.predicate.verdict", "claims PASS, but \(first.line.map { "the birth statement at \(file):\($0) " } ?? "the birth ")did not exercise its data change (\(first.reason)): that is INCONCLUSIVE"))
        }
        if claimed == Verdict.inconclusive.rawValue {
            if !restoredFacts {
                out.append(finding("R17-exercised", "$.predicate.verdict", "claims INCONCLUSIVE, but a phase, a check or the comparison failed: that is FAIL, which wins over INCONCLUSIVE"))
            } else if judged.unexercised.isEmpty {
                out.append(finding("R17-exercised", "$.predicate.verdict", "claims INCONCLUSIVE, but every data change of the birth was exercised and every fact supports PASS"))
            }
        }
        if claimed == Verdict.fail.rawValue, restoredFacts, !judged.unexercised.isEmpty {
            out.append(finding("R17-exercised", "$.predicate.verdict", "claims FAIL, but every fact supports INCONCLUSIVE"))
        }
        return out
    }

    /// A recorded fingerprint's tables: rows and digest by name.
    package static func tables(_ fp: JSONValue?) -> BirthExercise.Tables? {
        guard let fp, fp != .null, let tables = fp["tables"]?.objectValue else { return nil }
        return tables.mapValues { ($0["rows"]?.integerValue ?? -1, $0["digest"]?.stringValue ?? "") }
    }
}
