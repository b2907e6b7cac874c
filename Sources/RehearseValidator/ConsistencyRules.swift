import Foundation
import RehearseCore
import RehearseEvidence

/// The rules that bind the evidence to what ran: every field has a closed
/// vocabulary, and the sealed manifest and scripts decide which inputs,
/// statements and checks the evidence may record. A forger who rewrites the
/// record and reseals it must keep it consistent with the sealed bytes too.
extension EvidenceRules {
    package static let targetKinds = ["sqlite-file", "postgres-ephemeral-cluster", "postgres-server"]
    package static let engineNames = ["sqlite", Dialect.postgres.rawValue]

    /// R7-isolation: the target kind is one the engines write, and its other
    /// fields are the ones that kind has, with values that kind allows. A
    /// named server's host must be a socket directory or a literal loopback
    /// address, and the network must say what that host is.
    /// What PostgreSQL targets record of where the connection went, as the
    /// server and libpq reported it (`PostgresEndpoint`).
    package static let endpointFields: Set<String> = ["server_address", "port", "socket_directory", "address"]

    package func target() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let target = evidence["target"]?.objectValue ?? [:]
        let kind = target["kind"]?.stringValue ?? ""
        let network = target["network"]?.stringValue ?? ""
        let engine = evidence["engine"]?["name"]?.stringValue ?? ""
        func add(_ field: String, _ message: String) { out.append(finding("R7-isolation", "$.predicate.target\(field)", message)) }
        guard Self.targetKinds.contains(kind) else {
            add(".kind", "'\(kind)' is not a scratch target rehearse provisions (\(Self.targetKinds.joined(separator: ", ")))")
            return out
        }
        let allowed: Set<String> = switch kind {
        case "sqlite-file": ["kind", "network", "private_temporary_directory"]
        case "postgres-ephemeral-cluster": Set(["kind", "network", "private_temporary_directory", "listen_addresses", "settings", "run_as", "database"])
            .union(Self.endpointFields)
        default: Set(["kind", "network", "host", "database"]).union(Self.endpointFields)
        }
        for key in target.keys.sorted() where !allowed.contains(key) {
            add(".\(key)", "a \(kind) target has no field '\(key)'")
        }
        // rehearse creates its own scratch database: `rehearse_scratch` in a
        // cluster, `rehearse_<12 hex digits>` on a server. Any other name
        // would claim the run touched a database rehearse did not create.
        if let database = target["database"] {
            let name = database.stringValue ?? ""
            let valid = kind == "postgres-ephemeral-cluster" ? name == "rehearse_scratch"
                : name.utf8.count == 21 && name.hasPrefix("rehearse_") && name.utf8.dropFirst(9).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
            if !valid {
                add(".database", "'\(RunFolder.display(name))' is not a scratch database rehearse creates (\(kind == "postgres-ephemeral-cluster" ? "rehearse_scratch" : "rehearse_ and 12 hex digits")); rehearse never runs in a database it did not create")
            }
        }
        let engineForKind = kind == "sqlite-file" ? "sqlite" : Dialect.postgres.rawValue
        if engine != engineForKind {
            out.append(finding("R7-isolation", "$.predicate.engine.name", "'\(engine)' did not run a \(kind) target (that is \(engineForKind))"))
        }
        switch kind {
        case "sqlite-file", "postgres-ephemeral-cluster":
            if network != "none" { add(".network", "a \(kind) has no network exposure: expected 'none', found '\(network)'") }
            if target["private_temporary_directory"] != .bool(true) {
                add(".private_temporary_directory", "a \(kind) must live in a private temporary directory")
            }
            if kind == "postgres-ephemeral-cluster", target["database"] == nil { add(".database", "an ephemeral cluster's database is not recorded") }
            if kind == "postgres-ephemeral-cluster", let listen = target["settings"]?["listen_addresses"], listen != .string("") {
                add(".settings.listen_addresses", "an ephemeral cluster runs with listen_addresses empty (no TCP), not \(listen.canonicalString)")
            }
        default:
            guard let host = target["host"]?.stringValue else {
                add(".host", "a postgres-server target must record the host it connected to")
                break
            }
            if target["database"] == nil { add(".database", "a postgres-server target must record its scratch database") }
            var loopback = false
            for entry in host.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                if entry.isEmpty || entry == "(default socket directory)" || entry.hasPrefix("/") || entry.hasPrefix("@") {
                    // A Unix socket; an empty entry is what a hostaddr-only address records.
                    if entry.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) {
                        add(".host", "the socket directory '\(RunFolder.display(entry))' holds control characters")
                    }
                    if entry.isEmpty { loopback = loopback || network == "loopback" }
                } else if entry.lowercased() == "localhost" || LoopbackAddress.isLiteral(entry) {
                    loopback = true
                } else {
                    add(".host", "'\(RunFolder.display(entry))' is neither a socket directory nor a literal loopback address; rehearse never connects to another host")
                    return out
                }
            }
            // The server's own report (null: a Unix socket) decides the
            // network when it is recorded: a host list may mix a socket and
            // a loopback address, and only one of them was used.
            let reported = target["server_address"]
            let expected = reported.map { $0 == .null ? "none" : "loopback" } ?? (loopback ? "loopback" : "none")
            if reported != nil, expected == "loopback", !loopback {
                add(".server_address", "the server answered over TCP, but the host '\(RunFolder.display(host))' names no loopback address")
            }
            if network != expected {
                add(".network", "the host '\(RunFolder.display(host))' is \(loopback ? "a loopback address" : "a Unix socket"), so the network is '\(expected)', not '\(network)'")
            }
        }
        // What libpq reported (PostgresEndpoint): the address of a TCP
        // connection is loopback, and a port is a port.
        if let address = target["address"], !(address.stringValue.map(LoopbackAddress.isLiteral) ?? false) {
            add(".address", "'\(RunFolder.display(address.stringValue ?? "?"))' is not a literal loopback address; rehearse never connects anywhere else")
        }
        if let port = target["port"]?.stringValue, !(port.utf8.count <= 5 && port.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (1...65535).contains(Int(port) ?? 0)) {
            add(".port", "'\(RunFolder.display(port))' is not a port number (1 to 65535)")
        }
        return out
    }

    /// R11-lane: a lane other than HOLD_REAL_DATA needs a grant; this
    /// evidence format has no grant reference yet, so none can be shown.
    package func lane() -> [ValidationFinding] {
        let lane = evidence["lane"]?.stringValue ?? ""
        guard lane != Lane.holdRealData.rawValue, lane != Lane.productionExecution.rawValue,
              lane != Lane.productionDryRunOnly.rawValue, lane != Lane.productionRealRunPrecheckOnly.rawValue else { return [] }
        if evidence["grant"] == nil || evidence["grant"] == .null {
            return [finding("R11-lane", "$.predicate.grant", "the lane \(lane) requires a grant reference, and none is recorded")]
        }
        return []
    }

    /// The sealed manifest, parsed as a rehearsal parses it.
    package func manifest() -> Result<SurrogateManifest, ManifestProblem> {
        let path = EvidenceWriter.inputsFolder + "/" + SurrogateManifest.fileName
        guard let bytes = folder.file(named: path) else {
            return .failure(ManifestProblem(finding: finding("R12-inputs", "$.predicate.inputs.manifest", "\(path) is not in the run folder; without it nothing says which inputs the run had")))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ManifestProblem(finding: finding("R12-inputs", "$.predicate.inputs.manifest", "\(path) is not UTF-8")))
        }
        do {
            return .success(try SurrogateManifest(parsing: text, file: path))
        } catch {
            return .failure(ManifestProblem(finding: finding("R12-inputs", "$.predicate.inputs.manifest", "\(path) is not a valid manifest: \(error)")))
        }
    }

    package struct ManifestProblem: Error { var finding: ValidationFinding }

    /// The roles a manifest gives a run, with the name the manifest uses.
    package static func roles(of m: SurrogateManifest) -> [(role: String, name: String)] {
        var roles = [("manifest", SurrogateManifest.fileName), ("schema", m.schema), ("profile", m.profile), ("birth", m.birth), ("rollback", m.rollback)]
        if let c = m.checksAfterBirth { roles.append(("checks_after_birth", c)) }
        if let c = m.checksAfterRollback { roles.append(("checks_after_rollback", c)) }
        return roles
    }

    /// R12-inputs: the sealed manifest decides the roles. Each role it names
    /// is recorded, no other; each role's source is the manifest's file (or
    /// that file's variant for the engine) and its subject is the copy made
    /// for that role, `inputs/<role>.<ext>`; every file under inputs/ is a
    /// subject, and every subject is a role's. The surrogate's name is the
    /// manifest's.
    package func inputs(_ m: SurrogateManifest) -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let engine = evidence["engine"]?["name"]?.stringValue ?? ""
        let recorded = evidence["inputs"]?.objectValue ?? [:]
        let roles = Self.roles(of: m)
        var expectedSubjects = Set<[UInt8]>()
        for (role, name) in roles {
            guard let input = recorded[role] else {
                out.append(finding("R12-inputs", "$.predicate.inputs", "the manifest names \(name) as the \(role) input, but the evidence records no \(role) input"))
                continue
            }
            let source = input["source_path"]?.stringValue ?? ""
            let ext = (name as NSString).pathExtension
            let variant = ext.isEmpty ? name : (name as NSString).deletingPathExtension + ".\(engine).\(ext)"
            if !(source.utf8.elementsEqual(name.utf8) || (role != "manifest" && source.utf8.elementsEqual(variant.utf8))) {
                out.append(finding("R12-inputs", "$.predicate.inputs.\(role).source_path",
                                   "'\(RunFolder.display(source))' is not the manifest's \(role) file \(name)\(role == "manifest" ? "" : " or its \(engine) variant \(variant)")"))
            }
            let subject = EvidenceWriter.inputPath(role: role, of: source)
            expectedSubjects.insert(Array(subject.utf8))
            if !(input["subject"]?.stringValue ?? "").utf8.elementsEqual(subject.utf8) {
                out.append(finding("R12-inputs", "$.predicate.inputs.\(role).subject",
                                   "the \(role) input must be the copy made for that role, \(subject), not '\(RunFolder.display(input["subject"]?.stringValue ?? ""))'"))
            }
        }
        let known = Set(roles.map(\.role))
        for role in recorded.keys.sorted() where !known.contains(role) {
            out.append(finding("R12-inputs", "$.predicate.inputs.\(role)", "the manifest names no \(role) input"))
        }
        for (i, subject) in (statement["subject"]?.arrayValue ?? []).enumerated() {
            let name = subject["name"]?.stringValue ?? ""
            // A name outside inputs/ is R3's finding already.
            if name.hasPrefix(EvidenceWriter.inputsFolder + "/"), !name.split(separator: "/").contains(".."), !expectedSubjects.contains(Array(name.utf8)) {
                out.append(finding("R12-inputs", "$.subject[\(i)].name", "'\(RunFolder.display(name))' is the copy of no input the manifest names"))
            }
        }
        let prefix = Array((EvidenceWriter.inputsFolder + "/").utf8)
        for path in folder.paths where Array(path.utf8).starts(with: prefix) && !expectedSubjects.contains(Array(path.utf8)) {
            out.append(finding("R12-inputs", "$.subject", "\(RunFolder.display(path)) is in inputs/ but is no subject: a reader of the run folder could take it for an input"))
        }
        // The spec digest names the sealed schema and profile (and so, through
        // R6, does the provenance table the pre-birth fingerprint holds).
        if evidence["source"]?["kind"]?.stringValue != "dump_clone",
           let schema = folder.file(named: evidence["inputs"]?["schema"]?["subject"]?.stringValue ?? ""),
           let profile = folder.file(named: evidence["inputs"]?["profile"]?["subject"]?.stringValue ?? "") {
            let generator = evidence["source"]?["generator"]?.stringValue ?? ""
            var spec: JSONValue = [
                "generator": .string(generator),
                "schema_sha256": .string(Digest.sha256Hex(schema)),
                "profile_sha256": .string(Digest.sha256Hex(profile)),
            ]
            // Since rehearse-surrogate/2, targeting (on unless the profile
            // switches it off) makes the sealed birth part of the spec.
            if generator != "rehearse-surrogate/1",
               ProfileSwitches.targeting(profile: String(decoding: profile, as: UTF8.self)),
               let birth = folder.file(named: evidence["inputs"]?["birth"]?["subject"]?.stringValue ?? ""),
               let rollback = folder.file(named: evidence["inputs"]?["rollback"]?["subject"]?.stringValue ?? "") {
                spec = spec.with("birth_sha256", .string(Digest.sha256Hex(birth)))
                spec = spec.with("rollback_sha256", .string(Digest.sha256Hex(rollback)))
            }
            if Digest.sha256Hex(spec.canonicalBytes) != evidence["source"]?["spec_digest"]?.stringValue {
                out.append(finding("R12-inputs", "$.predicate.source.spec_digest", "does not recompute from the generator and the sealed schema and profile"))
            }
        }
        let name = evidence["source"]?["name"]?.stringValue ?? ""
        if !name.utf8.elementsEqual(m.name.utf8) {
            out.append(finding("R12-inputs", "$.predicate.source.name", "'\(RunFolder.display(name))' is not the name in the sealed manifest, '\(RunFolder.display(m.name))'"))
        }
        return out
    }

    /// The sealed script a role's subject holds, split for the run's engine.
    package func sealedScript(role: String) -> SealedScript? {
        guard let input = evidence["inputs"]?[role], let subject = input["subject"]?.stringValue,
              let bytes = folder.file(named: subject) else { return nil }
        return SealedScript(bytes: bytes, path: input["source_path"]?.stringValue ?? subject, engine: evidence["engine"]?["name"]?.stringValue ?? "")
    }

    package func outcome(_ phase: Phase) -> String? {
        evidence["phases"]?.arrayValue?.first { $0["name"]?.stringValue == phase.rawValue }?["outcome"]?.stringValue
    }

    /// R13-checks: the checks recorded after birth and after rollback are
    /// exactly the statements of the sealed checks files, by name, file and
    /// line, in order; none when the manifest names no checks file or the
    /// phase did not run.
    package func checks(_ m: SurrogateManifest) -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let engine = evidence["engine"]?["name"]?.stringValue ?? ""
        for (key, role, phase, named) in [("after_birth", "checks_after_birth", Phase.checksAfterBirth, m.checksAfterBirth != nil),
                                          ("after_rollback", "checks_after_rollback", Phase.checksAfterRollback, m.checksAfterRollback != nil)] {
            let path = "$.predicate.checks.\(key)"
            let recorded = evidence["checks"]?[key]?.arrayValue ?? []
            let ran = outcome(phase) == "ok" || outcome(phase) == "failed"
            guard named, ran else {
                if !recorded.isEmpty {
                    out.append(finding("R13-checks", path, named ? "\(recorded.count) checks recorded although \(phase.rawValue) did not run"
                                                               : "\(recorded.count) checks recorded although the manifest names no \(role) file"))
                }
                continue
            }
            guard let script = sealedScript(role: role) else {
                out.append(finding("R13-checks", path, "the sealed \(role) file cannot be split into statements for this engine (it is not UTF-8, or too long to split)"))
                continue
            }
            let names = script.checkNames, lines = script.lines
            let file = evidence["inputs"]?[role]?["source_path"]?.stringValue ?? ""
            // A check file that does not compile records the checks before the
            // error and then one failed check located at it.
            let compileFailure = recorded.last.map { $0["outcome"]?.stringValue == "fail" && ($0["name"]?.stringValue ?? "").hasPrefix("check at line ") } ?? false
            let compared = compileFailure && recorded.count <= names.count ? recorded.count - 1 : recorded.count
            if compileFailure ? recorded.count > names.count : recorded.count != names.count {
                out.append(finding("R13-checks", path, "records \(recorded.count) checks, but the sealed \(file) holds \(names.count)"))
                continue
            }
            for i in 0..<min(compared, names.count) {
                let c = recorded[i]
                if !(c["name"]?.stringValue ?? "").utf8.elementsEqual(names[i].utf8) {
                    out.append(finding("R13-checks", "\(path)[\(i)].name", "'\(RunFolder.display(c["name"]?.stringValue ?? ""))' is not the check the sealed \(file) holds there, '\(RunFolder.display(names[i]))'"))
                }
                if c["line"]?.integerValue != Int64(lines[i]) {
                    out.append(finding("R13-checks", "\(path)[\(i)].line", "the sealed \(file) has check \(i + 1) at line \(lines[i])"))
                }
            }
            for (i, c) in recorded.enumerated() where !(c["file"]?.stringValue ?? "").utf8.elementsEqual(file.utf8) {
                out.append(finding("R13-checks", "\(path)[\(i)].file", "the \(role) file is \(file)"))
            }
            // A check passes only by returning one row holding true.
            let truths: Set<String> = engine == "sqlite" ? ["1 row: 1"] : ["1 row: t", "1 row: 1"]
            for (i, c) in recorded.enumerated() where c["outcome"]?.stringValue == "pass" && !truths.contains(c["returned"]?.stringValue ?? "") {
                out.append(finding("R13-checks", "\(path)[\(i)].returned", "a passing check returns one row holding true, not '\(RunFolder.display(c["returned"]?.stringValue ?? ""))'"))
            }
            let failed = recorded.contains { $0["outcome"]?.stringValue != "pass" }
            if outcome(phase) == "ok" && failed || outcome(phase) == "failed" && !failed {
                out.append(finding("R13-checks", path, "\(phase.rawValue) is recorded as \(outcome(phase) ?? "?") but its checks \(failed ? "include a failure" : "all passed")"))
            }
        }
        return out
    }

    /// R14-statements: a script that ran records one statement per statement
    /// of its sealed file, at that statement's line; a script that failed or
    /// did not run records none.
    package func statements() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        for (role, phase) in [("birth", Phase.birth), ("rollback", Phase.rollback)] {
            let path = "$.predicate.statements.\(role)"
            let recorded = evidence["statements"]?[role]?.arrayValue ?? []
            guard outcome(phase) == "ok" else {
                if !recorded.isEmpty { out.append(finding("R14-statements", path, "\(recorded.count) statements recorded although \(role) did not complete")) }
                continue
            }
            guard let script = sealedScript(role: role) else {
                out.append(finding("R14-statements", path, "the sealed \(role) file cannot be split into statements for this engine (it is not UTF-8, or too long to split)"))
                continue
            }
            let lines = recorded.compactMap { $0["line"]?.integerValue }
            if lines != script.lines.map(Int64.init) {
                out.append(finding("R14-statements", path, "records statements at lines \(Self.describe(lines)), but the sealed \(role) file holds statements at lines \(Self.describe(script.lines.map(Int64.init)))"))
            }
        }
        return out
    }

    package static func describe(_ lines: [Int64]) -> String {
        if lines.isEmpty { return "(none)" }
        let shown = lines.prefix(12).map(String.init).joined(separator: ", ")
        return lines.count > 12 ? shown + ", … (\(lines.count) in all)" : shown
    }

    /// R15-domains: numbers and identifiers hold their domains. The seed is
    /// zero or more; the scale is written as rehearse writes it, a finite
    /// positive plain decimal (no sign, exponent, hex, inf or nan, no leading
    /// zero or white space); the run ID uses only [A-Za-z0-9._-]; the
    /// start time is an RFC 3339 UTC second; durations and counts are not
    /// negative.
    package func domains() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let source = evidence["source"]
        if let seed = source?["seed"]?.integerValue, seed < 0 {
            out.append(finding("R15-domains", "$.predicate.source.seed", "\(seed) is negative; a seed is zero or more"))
        }
        let scale = source?["scale"]?.stringValue ?? ""
        if source?["kind"]?.stringValue != "dump_clone", Self.parseScale(scale) == nil {
            out.append(finding("R15-domains", "$.predicate.source.scale", "'\(RunFolder.display(scale))' is not a scale: expected a finite number greater than zero written as a plain decimal, as rehearse writes it (e.g. 1, 0.25, 12.5)"))
        }
        let runID = evidence["run_id"]?.stringValue ?? ""
        if !Self.isRunID(runID) {
            out.append(finding("R15-domains", "$.predicate.run_id", "'\(RunFolder.display(runID))' is not a run ID: 1 to 128 of A-Z a-z 0-9 . _ -, not starting with '.'"))
        }
        let started = evidence["started_at"]?.stringValue ?? ""
        if started.utf8.count != 20 || !started.utf8.enumerated().allSatisfy({ i, b in
            switch i {
            case 4, 7: b == UInt8(ascii: "-")
            case 10: b == UInt8(ascii: "T")
            case 13, 16: b == UInt8(ascii: ":")
            case 19: b == UInt8(ascii: "Z")
            default: b >= 0x30 && b <= 0x39
            }
        }) {
            out.append(finding("R15-domains", "$.predicate.started_at", "'\(RunFolder.display(started))' is not an RFC 3339 UTC time like 2026-01-31T12:00:00Z"))
        }
        for (i, p) in (evidence["phases"]?.arrayValue ?? []).enumerated() where (p["duration_us"]?.integerValue ?? 0) < 0 {
            out.append(finding("R15-domains", "$.predicate.phases[\(i)].duration_us", "a duration cannot be negative"))
        }
        for role in ["birth", "rollback"] {
            for (i, s) in (evidence["statements"]?[role]?.arrayValue ?? []).enumerated()
            where (s["duration_us"]?.integerValue ?? 0) < 0 || (s["rows_changed"]?.integerValue ?? 0) < 0 || (s["line"]?.integerValue ?? 1) < 1 {
                out.append(finding("R15-domains", "$.predicate.statements.\(role)[\(i)]", "a line is 1 or more, and a duration or row count is not negative"))
            }
        }
        for (table, n) in (source?["rows"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) where (n.integerValue ?? 0) < 0 {
            out.append(finding("R15-domains", "$.predicate.source.rows.\(table)", "a row count cannot be negative"))
        }
        return out
    }

    /// A scale as rehearse writes it (``describeScale(_:)``), or nil: only
    /// digits with at most one point, no leading zero before other digits,
    /// finite, greater than zero, and written exactly as rehearse would
    /// write that number.
    package static func parseScale(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 32,
              bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }),
              bytes.filter({ $0 == UInt8(ascii: ".") }).count <= 1,
              bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: "."),
              !(bytes.count > 1 && bytes[0] == 0x30 && bytes[1] != UInt8(ascii: ".")),
              let value = Double(text), value.isFinite, value > 0,
              describeScale(value) == text else { return nil }
        return value
    }

    package static func isRunID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return !b.isEmpty && b.count <= 128 && b[0] != UInt8(ascii: ".") && RunFolder.isPortableComponent(b)
    }
}
