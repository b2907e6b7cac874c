import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The blocker map: what stands between HOLD_REAL_DATA and each later lane.
/// Each blocker has legs (toy, surrogate, real dump, a grant …); each leg
/// names the one kind of evidence that can discharge it and who acts next.
/// Read as strict JSON (no duplicate keys, no floats) and checked field by
/// field against schemas/blocker-map.schema.json's rules, with unknown
/// fields refused, so a typo cannot turn a leg into one nothing can open.
package struct BlockerMap: Sendable {
    package static let format = "rehearse-blocker-map/1"

    /// The kind of evidence that discharges a leg.
    package enum EvidenceKind: String, Sendable, CaseIterable {
        /// Valid evidence of a PASS on a generated surrogate (tagged GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP).
        case surrogatePass = "surrogate_pass"
        /// Valid evidence of a FAIL with drift on a generated surrogate: the detector caught a known-lossy rollback.
        case surrogateDetectsLoss = "surrogate_detects_loss"
        /// Valid evidence of a PASS on a real dump clone, under lane 2 with a grant. No surrogate run is ever this.
        case realDumpPass = "real_dump_pass"
        /// A person's signed decision or grant; no rehearsal evidence discharges it.
        case grant
    }

    package struct Leg: Sendable {
        package var name: String
        package var kind: EvidenceKind
        /// Only evidence of this surrogate (source name) counts, when set.
        package var surrogate: String?
        /// Only evidence from this engine counts, when set.
        package var engine: String?
        /// Only evidence whose sealed birth / rollback has this SHA-256
        /// counts, when set: the leg is about these exact scripts, and a
        /// look-alike surrogate of the same name with another birth is not them.
        package var birthSHA256: String?
        package var rollbackSHA256: String?
        package var remainingActor: String
        package var note: String?
    }

    package struct Blocker: Sendable {
        package var id: String
        package var description: String
        package var legs: [Leg]
        /// Whether lane 5 needs this blocker closed (what `rehearse precheck` checks).
        package var lane5Precondition: Bool
    }

    package var title: String
    package var blockers: [Blocker]
    /// SHA-256 of the map file's bytes, quoted in the packet.
    package var digest: String

    package static func load(file: URL) throws -> BlockerMap {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw RehearseError.badInput("--blockers \(file.path): the blocker map cannot be read (\(SystemErrorText.describe(error))). Give a blocker map JSON file (see schemas/blocker-map.schema.json).")
        }
        return try parse(Array(data), file: file.path)
    }

    package static func parse(_ bytes: [UInt8], file: String) throws -> BlockerMap {
        let root: JSONValue
        do {
            root = try JSONValue.parseStrict(bytes)
        } catch {
            throw RehearseError.badInput("\(file): not strict JSON (\(error)). A blocker map is JSON without duplicate keys or fractional numbers.")
        }
        func fail(_ path: String, _ what: String) -> RehearseError {
            .badInput("\(file) (\(path)): \(what) See schemas/blocker-map.schema.json.")
        }
        func object(_ v: JSONValue?, _ path: String, allowed: Set<String>, required: Set<String>) throws -> [String: JSONValue] {
            guard let o = v?.objectValue else { throw fail(path, "expected an object.") }
            if let extra = o.keys.sorted().first(where: { !allowed.contains($0) }) { throw fail(path, "unknown field \"\(extra)\".") }
            if let missing = required.sorted().first(where: { o[$0] == nil }) { throw fail(path, "the field \"\(missing)\" is missing.") }
            return o
        }
        func text(_ v: JSONValue?, _ path: String) throws -> String {
            guard let s = v?.stringValue, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, s.count <= 2000 else {
                throw fail(path, "expected non-empty text of at most 2000 characters.")
            }
            return s
        }
        let top = try object(root, "$", allowed: ["format", "title", "source", "blockers"], required: ["format", "title", "blockers"])
        guard top["format"]?.stringValue == format else { throw fail("$.format", "expected \"\(format)\".") }
        let title = try text(top["title"], "$.title")
        if let s = top["source"] { _ = try text(s, "$.source") }
        guard let list = top["blockers"]?.arrayValue, !list.isEmpty, list.count <= 500 else { throw fail("$.blockers", "expected a list of 1 to 500 blockers.") }
        var blockers: [Blocker] = []
        var ids = Set<String>()
        for (i, b) in list.enumerated() {
            let at = "$.blockers[\(i)]"
            let o = try object(b, at, allowed: ["id", "description", "legs", "lane5_precondition"], required: ["id", "description", "legs", "lane5_precondition"])
            let id = try text(o["id"], at + ".id")
            guard id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", options: .regularExpression) != nil else {
                throw fail(at + ".id", "an ID is letters, digits, '.', '_' and '-' (at most 128), not \"\(id)\".")
            }
            guard ids.insert(id).inserted else { throw fail(at + ".id", "the ID \(id) is used twice.") }
            guard let pre = o["lane5_precondition"]?.boolValue else { throw fail(at + ".lane5_precondition", "expected true or false.") }
            guard let legList = o["legs"]?.arrayValue, !legList.isEmpty, legList.count <= 20 else { throw fail(at + ".legs", "expected a list of 1 to 20 legs.") }
            var legs: [Leg] = []
            var names = Set<String>()
            for (j, l) in legList.enumerated() {
                let lat = "\(at).legs[\(j)]"
                let lo = try object(l, lat, allowed: ["name", "evidence", "surrogate", "engine", "birth_sha256", "rollback_sha256", "remaining_actor", "note"], required: ["name", "evidence", "remaining_actor"])
                let name = try text(lo["name"], lat + ".name")
                guard names.insert(name).inserted else { throw fail(lat + ".name", "the leg \(name) is listed twice for \(id).") }
                let kindText = try text(lo["evidence"], lat + ".evidence")
                guard let kind = EvidenceKind(rawValue: kindText) else {
                    throw fail(lat + ".evidence", "unknown evidence kind \"\(kindText)\"; use one of \(EvidenceKind.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                let surrogate = try lo["surrogate"].map { try text($0, lat + ".surrogate") }
                let engine = try lo["engine"].map { try text($0, lat + ".engine") }
                func sha(_ key: String) throws -> String? {
                    guard let v = lo[key] else { return nil }
                    guard let s = v.stringValue, s.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil else {
                        throw fail("\(lat).\(key)", "expected a SHA-256 as 64 lowercase hex digits.")
                    }
                    return s
                }
                let birth = try sha("birth_sha256"), rollback = try sha("rollback_sha256")
                if (surrogate != nil || engine != nil || birth != nil || rollback != nil) && !(kind == .surrogatePass || kind == .surrogateDetectsLoss) {
                    throw fail(lat, "surrogate, engine, birth_sha256 and rollback_sha256 narrow only surrogate_pass and surrogate_detects_loss legs.")
                }
                legs.append(Leg(name: name, kind: kind, surrogate: surrogate, engine: engine, birthSHA256: birth, rollbackSHA256: rollback,
                                remainingActor: try text(lo["remaining_actor"], lat + ".remaining_actor"),
                                note: try lo["note"].map { try text($0, lat + ".note") }))
            }
            blockers.append(Blocker(id: id, description: try text(o["description"], at + ".description"), legs: legs, lane5Precondition: pre))
        }
        return BlockerMap(title: title, blockers: blockers, digest: Digest.sha256Hex(bytes))
    }
}
