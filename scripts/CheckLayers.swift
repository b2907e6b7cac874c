// The layer checker behind scripts/check-layers.sh (run with the `swift`
// interpreter; no python or jq needed). It reads `swift package describe
// --type json` on stdin and fails (exit 1) when
//   - a target depends on one of our targets the layer table below forbids,
//   - a system library (CSQLite3, CLibPQ) or a restricted product
//     (ArgumentParser) sits in a target it does not belong to,
//   - a non-test target is missing from the table (add it here first),
//   - a Swift file of a target imports a module that target may not depend on
//     (SwiftPM lets transitive dependencies leak into `import`), or imports one
//     of ours it may depend on but does not declare in Package.swift.
// Test targets (and the fuzz harnesses under Fuzz/) may depend on anything.
//
// Usage: swift scripts/CheckLayers.swift [--root DIR] < describe.json
// --root is the package root the targets' paths are relative to (default: the
// JSON's own "path"). Exit status: 0 clean, 1 violations, 2 unusable input.
//
// The table mirrors docs/ARCHITECTURE.md; change both together.
import Foundation

// MARK: the rules

/// Our targets and the ONLY targets of ours each may depend on.
let allowed: [String: Set<String>] = [
    "RehearseCore": [],
    "RehearseEvidence": ["RehearseCore"],
    "RehearseValidator": ["RehearseCore", "RehearseEvidence"],
    "RehearseSurrogate": ["RehearseCore", "RehearseEvidence"],
    "RehearseEngine": ["RehearseCore", "RehearseEvidence", "RehearseSurrogate"],
    "RehearseSQLite": ["RehearseCore", "RehearseEvidence", "RehearseSurrogate", "RehearseEngine"],
    "RehearsePostgres": ["RehearseCore", "RehearseEvidence", "RehearseSurrogate", "RehearseEngine"],
    "RehearseKit": [
        "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate",
        "RehearseEngine", "RehearseSQLite", "RehearsePostgres",
    ],
    "rehearse": [
        "RehearseKit", "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate",
        "RehearseEngine", "RehearseSQLite", "RehearsePostgres",
    ],
]

/// The database engines: they never import each other.
let engines: Set<String> = ["RehearseSQLite", "RehearsePostgres"]

/// System libraries and the one target each may sit in.
let systemLibraries: [String: Set<String>] = [
    // Core uses SQLite's tokenizer tables only (keyword check, statement
    // completeness), never a database.
    "CSQLite3": ["RehearseCore", "RehearseSQLite"],
    "CLibPQ": ["RehearsePostgres"],
]

/// Products of other packages restricted to some targets (the rest may go anywhere).
let restrictedProducts: [String: Set<String>] = [
    "ArgumentParser": ["rehearse"],
]

/// Modules of the toolchain and the platform any target may import.
let platformModules: Set<String> = [
    "Swift", "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "Dispatch", "Glibc", "Musl", "Darwin", "WinSDK", "Android", "Bionic", "ucrt",
    "_Concurrency", "_StringProcessing", "RegexBuilder", "Synchronization", "Observation", "os",
]

/// Why an edge between two of ours is forbidden, in one phrase.
func reason(_ from: String, _ to: String) -> String {
    if engines.contains(from) && engines.contains(to) { return "engines never import each other" }
    if to == "rehearse" { return "nothing depends on the CLI" }
    if from == "RehearseCore" { return "RehearseCore is the bottom layer and depends on none of ours" }
    if engines.contains(from) && (to == "RehearseValidator" || to == "RehearseKit") {
        return "engines never reach up to the validator or the orchestration"
    }
    if from == "RehearseValidator" {
        return "the validator stays engine-free; it reaches engines only through the protocol the CLI wires"
    }
    if from == "RehearseSurrogate" && (to == "RehearseEngine" || engines.contains(to)) {
        return "the surrogate model is engine-free"
    }
    let may = allowed[from].map { $0.sorted().joined(separator: ", ") } ?? ""
    return "\(from) may depend only on [\(may)]"
}

// MARK: input

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("check-layers: \(message)\n".data(using: .utf8)!)
    exit(2)
}

var rootOverride: String?
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--root":
        guard let value = args.popFirst() else { fail("--root needs a directory") }
        rootOverride = value
    default:
        fail("unknown argument \(arg) (usage: CheckLayers.swift [--root DIR] < describe.json)")
    }
}

let input = FileHandle.standardInput.readDataToEndOfFile()
guard let package = (try? JSONSerialization.jsonObject(with: input)) as? [String: Any],
      let targets = package["targets"] as? [[String: Any]]
else { fail("stdin is not the JSON of `swift package describe --type json` (no \"targets\")") }
let root = rootOverride ?? (package["path"] as? String) ?? FileManager.default.currentDirectoryPath

// MARK: import scanning

/// The modules a Swift source imports, with their line numbers; imports inside
/// block comments and multi-line string literals do not count.
func imports(of text: String) -> [(line: Int, module: String)] {
    var found: [(Int, String)] = []
    var inBlockComment = 0
    var inMultilineString = false
    let modifiers: Set<String> = ["public", "package", "internal", "fileprivate", "private"]
    let kinds: Set<String> = ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"]
    for (index, raw) in text.components(separatedBy: "\n").enumerated() {
        let line = raw.trimmingCharacters(in: .whitespaces)
        let startsInCode = inBlockComment == 0 && !inMultilineString
        // Update the comment/string state for the next line (roughly: enough for imports).
        var rest = Substring(line)
        while !rest.isEmpty {
            if inMultilineString {
                guard let r = rest.range(of: "\"\"\"") else { break }
                inMultilineString = false
                rest = rest[r.upperBound...]
            } else if inBlockComment > 0 {
                let open = rest.range(of: "/*"), close = rest.range(of: "*/")
                if let c = close, open == nil || c.lowerBound < open!.lowerBound {
                    inBlockComment -= 1
                    rest = rest[c.upperBound...]
                } else if let o = open {
                    inBlockComment += 1
                    rest = rest[o.upperBound...]
                } else { break }
            } else {
                // The earliest of: a line comment, a block comment, a multi-line
                // string, an ordinary string (skipped, so "/*" in SQL code is text).
                let marks = [rest.range(of: "//"), rest.range(of: "/*"), rest.range(of: "\"")]
                guard let first = marks.compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound }) else { break }
                let token = rest[first]
                if token == "//" { break }
                if token == "/*" {
                    inBlockComment += 1
                    rest = rest[first.upperBound...]
                } else if rest[first.lowerBound...].hasPrefix("\"\"\"") {
                    inMultilineString = true
                    rest = rest[rest.index(first.lowerBound, offsetBy: 3)...]
                } else {
                    // An ordinary string: skip to its closing quote (escapes skipped).
                    var i = first.upperBound
                    while i < rest.endIndex && rest[i] != "\"" {
                        i = rest[i] == "\\" ? rest.index(i, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex : rest.index(after: i)
                    }
                    rest = i < rest.endIndex ? rest[rest.index(after: i)...] : rest[rest.endIndex...]
                }
            }
        }
        guard startsInCode else { continue }
        // [@attributes] [access] import [kind] Module[.Sub]
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        while let w = words.first, w.hasPrefix("@") { words = words.dropFirst() }
        if let w = words.first, modifiers.contains(w) { words = words.dropFirst() }
        guard words.first == "import" else { continue }
        words = words.dropFirst()
        if let w = words.first, kinds.contains(w) { words = words.dropFirst() }
        guard let target = words.first else { continue }
        let module = String(target.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" }))
        if !module.isEmpty { found.append((index + 1, module)) }
    }
    return found
}

// MARK: the checks

var violations: [String] = []
var checkedTargets = 0
var checkedImports = 0
let ours = Set(allowed.keys)

for target in targets {
    guard let name = target["name"] as? String else { continue }
    let type = target["type"] as? String ?? ""
    let path = target["path"] as? String ?? ""
    if type == "test" || path.hasPrefix("Fuzz/") { continue }
    if type == "system-target" {
        if systemLibraries[name] == nil {
            violations.append("system library \(name) has no rule: say in scripts/CheckLayers.swift which target it belongs to")
        }
        continue
    }
    guard let may = allowed[name] else {
        violations.append("target \(name) is not in the layer table: add it to scripts/CheckLayers.swift and docs/ARCHITECTURE.md")
        continue
    }
    checkedTargets += 1
    let deps = target["target_dependencies"] as? [String] ?? []
    let products = target["product_dependencies"] as? [String] ?? []
    for dep in deps {
        if let owners = systemLibraries[dep], !owners.contains(name) {
            violations.append("\(name) -> \(dep) (forbidden: \(dep) belongs in \(owners.sorted().joined(separator: ", ")) only)")
        } else if ours.contains(dep), !may.contains(dep) {
            violations.append("\(name) -> \(dep) (forbidden: \(reason(name, dep)))")
        }
    }
    for product in products {
        if let owners = restrictedProducts[product], !owners.contains(name) {
            violations.append("\(name) -> product \(product) (forbidden: \(product) belongs in \(owners.sorted().joined(separator: ", ")) only)")
        }
    }
    let declared = Set(deps).union(products)
    for source in target["sources"] as? [String] ?? [] where source.hasSuffix(".swift") {
        let relative = "\(path)/\(source)"
        let file = (root as NSString).appendingPathComponent(relative)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            violations.append("\(relative): cannot read it (is --root \(root) the package root?)")
            continue
        }
        for (line, module) in imports(of: text) {
            checkedImports += 1
            let at = "\(relative):\(line): import \(module) in \(name)"
            if module == name || platformModules.contains(module) { continue }
            if let owners = systemLibraries[module] {
                if !owners.contains(name) {
                    violations.append("\(at) (forbidden: \(module) belongs in \(owners.sorted().joined(separator: ", ")) only)")
                } else if !declared.contains(module) {
                    violations.append("\(at) (undeclared: add \(module) to \(name)'s dependencies in Package.swift)")
                }
            } else if ours.contains(module) {
                if !may.contains(module) {
                    violations.append("\(at) (forbidden: \(reason(name, module)))")
                } else if !declared.contains(module) {
                    violations.append("\(at) (undeclared: add \(module) to \(name)'s dependencies in Package.swift)")
                }
            } else if let owners = restrictedProducts[module], !owners.contains(name) {
                violations.append("\(at) (forbidden: \(module) belongs in \(owners.sorted().joined(separator: ", ")) only)")
            } else if !declared.contains(module) {
                violations.append("\(at) (neither a declared dependency of \(name) nor a platform module; if it is one, add it to platformModules in scripts/CheckLayers.swift)")
            }
        }
    }
}

if violations.isEmpty {
    print("check-layers: OK (\(checkedTargets) targets, \(checkedImports) imports checked against the layer table)")
    exit(0)
}
for v in violations { FileHandle.standardError.write("check-layers: \(v)\n".data(using: .utf8)!) }
FileHandle.standardError.write("check-layers: FAILED with \(violations.count) violation(s); the allowed layers are in docs/ARCHITECTURE.md\n".data(using: .utf8)!)
exit(1)
