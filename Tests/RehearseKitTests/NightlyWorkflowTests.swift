import Foundation
import Testing
import Yams

/// The shipped GitHub workflow, parsed: a nightly schedule and a manual
/// trigger, a matrix over shards whose count matches the shard argument, the
/// same `make nightly` the Makefile defines, and the artifact upload of the
/// output folder on pass or fail.
@Suite struct NightlyWorkflowTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func workflowHasScheduleManualTriggerShardMatrixAndArtifact() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(".github/workflows/nightly-rehearsal.yml"), encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        // YAML 1.1 reads the bare key `on` as true; Yams keeps it as the string "on".
        let on = try #require((doc["on"] ?? doc["true"]) as? [String: Any])
        let schedule = try #require(on["schedule"] as? [[String: Any]])
        let cron = try #require(schedule.first?["cron"] as? String)
        let fields = cron.split(separator: " ")
        #expect(fields.count == 5, "a five-field cron: \(cron)")
        #expect(fields[2] == "*" && fields[3] == "*" && fields[4] == "*", "every day: \(cron)")
        #expect(on.keys.contains("workflow_dispatch"))

        let jobs = try #require(doc["jobs"] as? [String: Any])
        #expect(jobs.count == 1)
        let job = try #require(jobs.values.first as? [String: Any])
        let strategy = try #require(job["strategy"] as? [String: Any])
        #expect(strategy["fail-fast"] as? Bool == false, "one shard's failure must not cancel the others")
        let matrix = try #require(strategy["matrix"] as? [String: Any])
        let shards = try #require(matrix["shard"] as? [Int])
        #expect(shards.count >= 2)
        #expect(shards == Array(1...shards.count))

        let steps = try #require(job["steps"] as? [[String: Any]])
        let runs = steps.compactMap { $0["run"] as? String }
        let nightly = try #require(runs.first { $0.contains("make nightly") })
        #expect(nightly == "make nightly NIGHTLY_SHARD=${{ matrix.shard }}/\(shards.count) NIGHTLY_OUT=nightly-out")
        let upload = try #require(steps.first { ($0["uses"] as? String)?.hasPrefix("actions/upload-artifact@") == true })
        #expect(upload["if"] as? String == "always()", "the artifact is uploaded when the night fails too")
        let with = try #require(upload["with"] as? [String: Any])
        #expect(with["path"] as? String == "nightly-out")
        #expect((with["name"] as? String)?.contains("${{ matrix.shard }}") == true, "one artifact per shard")

        // The Makefile's nightly target runs the same script with the shard and folder.
        let makefile = try String(contentsOf: Self.root.appendingPathComponent("Makefile"), encoding: .utf8)
        #expect(makefile.contains("nightly: release\n\tscripts/nightly-rehearsal.sh --shard $(NIGHTLY_SHARD) $(if $(NIGHTLY_OUT),--out $(NIGHTLY_OUT))"))
    }
}
