import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Sqitch: `sqitch.plan` lists changes in deploy order, each with its
/// scripts in `deploy/`, `revert/` and `verify/` (`<change>.sql`). Tags
/// (`@name` lines) mark points; a change named again after a tag is a
/// rework, and its earlier instances' scripts are `<change>@<tag>.sql`,
/// where the tag is the first one after that instance (Sqitch's rule).
/// Dependencies (`[a b !c]`) must name changes earlier in the plan, as
/// Sqitch requires before it deploys; a change whose requirement is missing
/// is reported, not rehearsed. The verify script is the after-birth check.
package enum SqitchReader {
    /// sqitch.conf keys that point Sqitch at other scripts or another plan
    /// than the layout rehearse reads (W-F11).
    package static let confKeys: Set<String> = ["plan_file", "top_dir", "deploy_dir", "revert_dir", "verify_dir", "reworked_dir",
                                                "reworked_deploy_dir", "reworked_revert_dir", "reworked_verify_dir", "extension"]

    /// Refuses a directory whose sqitch.conf moves the plan or the scripts:
    /// rehearse would walk files `sqitch deploy` and `sqitch revert` do not run.
    package static func checkConf(_ directory: URL) throws {
        guard MigrationFiles.exists(directory, "sqitch.conf") else { return }
        let conf = try MigrationFiles.read(directory, "sqitch.conf")
        for (i, raw) in MigrationLines.split(conf).enumerated() {
            let line = MigrationLines.content(raw).trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), !line.hasPrefix(";"), let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            if confKeys.contains(key) {
                throw RehearseError.badInput("sqitch.conf:\(i + 1): \(key) points Sqitch at another plan or other scripts than sqitch.plan, deploy/, revert/ and verify/; rehearse reads those only and would walk files Sqitch does not run. Walk the folder the setting names, or remove the setting.")
            }
        }
    }

    package struct Entry { var name: String; var line: Int; var requires: [String]; var conflicts: [String] }

    package static func read(_ directory: URL) throws -> MigrationSet {
        try checkConf(directory)
        let plan = try MigrationFiles.read(directory, "sqitch.plan")
        var set = MigrationSet(layout: .sqitch, directory: directory, steps: [])
        var entries: [Entry] = []
        var tagsAfter: [Int: [String]] = [:] // entry index -> tags that follow it
        // Sqitch reads the plan line by line at LF; a CRLF line end is a line
        // end with trailing blank. A lone CR is refused: what Sqitch makes of
        // it depends on where it sits, and rehearse does not guess (W-F19).
        for (i, raw) in MigrationLines.split(plan).enumerated() {
            let content = MigrationLines.content(raw)
            if content.unicodeScalars.contains("\r") {
                throw RehearseError.badInput("sqitch.plan:\(i + 1): a carriage return (CR) inside the line, not before its line feed. rehearse does not guess how Sqitch reads it; save the plan with LF (or CRLF) line ends.")
            }
            let line = content.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("%") { continue }
            var body = line
            if let hash = body.range(of: " #") { body = String(body[..<hash.lowerBound]) }
            if body.hasPrefix("@") {
                let tag = String(body.dropFirst().prefix { !$0.isWhitespace })
                guard !entries.isEmpty else {
                    throw RehearseError.badInput("sqitch.plan:\(i + 1): the tag @\(tag) comes before any change. Sqitch tags a change; move the tag after one.")
                }
                tagsAfter[entries.count - 1, default: []].append(tag)
                continue
            }
            var name = String(body.prefix { !$0.isWhitespace })
            if name.hasPrefix("+") { name.removeFirst() }
            // A change name is a path under deploy/, revert/ and verify/: one that
            // climbs out (`..`) or is absolute could read any file into evidence.
            if name.hasPrefix("/") || name.split(separator: "/").contains("..") || name.contains("\\") {
                throw RehearseError.badInput("sqitch.plan:\(i + 1): the change name \(name) leaves the plan's directory. Sqitch names are paths inside deploy/, revert/ and verify/; rename the change.")
            }
            if name.hasPrefix("-") {
                throw RehearseError.badInput("sqitch.plan:\(i + 1): \(name) is a revert entry; rehearse reads plans of deploy entries only. Remove it or rebuild the plan.")
            }
            var deps: [String] = []
            if let open = body.firstIndex(of: "["), let close = body[open...].firstIndex(of: "]") {
                deps = body[body.index(after: open)..<close].split(whereSeparator: \.isWhitespace).map(String.init)
            }
            entries.append(Entry(name: name, line: i + 1, requires: deps.filter { !$0.hasPrefix("!") },
                                 conflicts: deps.filter { $0.hasPrefix("!") }.map { String($0.dropFirst()) }))
        }
        func exists(_ rel: String) -> Bool { MigrationFiles.exists(directory, rel) }
        var deployed: [String] = []
        var tagsSeen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            // A reworked change's earlier instance uses the scripts named for
            // the first tag after it.
            var fileName = entry.name
            if let rework = entries[(index + 1)...].firstIndex(where: { $0.name == entry.name }) {
                // The tags between this instance and its rework: `sqitch rework`
                // names the copy for the latest of them (the one the rework requires).
                let tags = (index..<rework).flatMap { tagsAfter[$0] ?? [] }
                guard let last = tags.last else {
                    throw RehearseError.badInput("sqitch.plan:\(entry.line): \(entry.name) is reworked at line \(entries[rework].line) but no tag lies between them. Sqitch requires a tag between a change and its rework.")
                }
                let tag = tags.reversed().first { exists("deploy/\(entry.name)@\($0).sql") } ?? last
                fileName = "\(entry.name)@\(tag)"
            }
            let deploy = "deploy/\(fileName).sql", revert = "revert/\(fileName).sql", verify = "verify/\(fileName).sql"
            var step = MigrationStep(version: "\(index + 1)", name: entry.name, up: [], down: nil)
            step.runnerWraps = false
            if !exists(deploy) {
                step.skip = .notRehearsable("\(deploy) is missing: sqitch.plan:\(entry.line) names \(entry.name) but the deploy script is not there")
            } else {
                step.up = [MigrationScript(file: deploy, text: try MigrationFiles.read(directory, deploy))]
                step.down = exists(revert) ? [MigrationScript(file: revert, text: try MigrationFiles.read(directory, revert))] : nil
                step.verify = exists(verify) ? MigrationScript(file: verify, text: try MigrationFiles.read(directory, verify)) : nil
                if step.verify == nil { step.notes.append("no \(verify): no after-birth check") }
            }
            for dep in entry.requires where !dep.contains(":") {
                let parts = dep.split(separator: "@", maxSplits: 1).map(String.init)
                let met = parts.count == 2 ? (parts[0].isEmpty ? tagsSeen.contains(parts[1]) : deployed.contains(parts[0]) && tagsSeen.contains(parts[1]))
                    : deployed.contains(dep)
                if !met, step.skip == nil {
                    step.skip = .notRehearsable("sqitch.plan:\(entry.line): requires \(dep), which is not earlier in the plan; Sqitch would refuse to deploy it")
                }
            }
            for dep in entry.requires where dep.contains(":") { step.notes.append("requires \(dep) from another project: not checked") }
            for c in entry.conflicts where deployed.contains(c) && step.skip == nil {
                step.skip = .notRehearsable("sqitch.plan:\(entry.line): conflicts with \(c), deployed earlier; Sqitch would refuse to deploy it")
            }
            if step.skip == nil { MigrationScan.mark(&step) }
            set.steps.append(step)
            deployed.append(entry.name)
            for t in tagsAfter[index] ?? [] { tagsSeen.insert(t) }
        }
        return set
    }
}
