import ArgumentParser
import Foundation
import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseKit
import RehearsePostgres
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

extension Rehearse {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a surrogate to a new SQLite file (or an empty local PostgreSQL database), without rehearsing anything."
        )

        @Option(name: .long, help: ArgumentHelp("Surrogate name or directory.", valueName: "NAME|DIR"))
        var surrogate = "commerce"

        @Option(name: .long, help: ArgumentHelp("The SQLite file to create (must not exist).", valueName: "FILE"))
        var out: String?

        @Option(name: .customLong("pg-url"), help: ArgumentHelp("Load into this empty PostgreSQL database instead (a Unix socket or loopback server; dbname required).", valueName: "CONNINFO"))
        var pgURL: String?

        @Option(name: .long, help: "Seed (default: the manifest's).")
        var seed: Int64?

        @Option(name: .long, help: "Multiply every table's row count (default: the manifest's).")
        var scale: Double?

        @Option(name: .long, help: "Threads generating values (default: all cores); the data is the same for any count.")
        var jobs: Int?

        @Flag(name: .shortAndLong, help: "No progress output.")
        var quiet = false

        func validate() throws {
            try OptionBounds.check(seed: seed, scale: scale, jobs: jobs)
            if (out == nil) == (pgURL == nil) { throw ValidationError("Give exactly one of --out FILE (SQLite) or --pg-url CONNINFO (PostgreSQL).") }
        }

        func run() throws {
            let source = try SurrogateSource.locate(surrogate, executable: URL(fileURLWithPath: CommandLine.arguments[0]))
            let clock = ContinuousClock.now
            let jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
            if let pgURL {
                let server = try PostgresServerAddress(parsing: pgURL)
                let record = try SurrogateGenerator.generate(source, seed: seed.map { UInt64($0) }, scale: scale, into: server, jobs: jobs,
                                                             progress: Console.progress(quiet: quiet))
                if !quiet {
                    let elapsed = ContinuousClock.now - clock
                    Console.out("Wrote \(Console.grouped(record.totalRows)) rows in \(record.rowsPerTable.count) tables to database \(server.namedDatabase ?? "?") in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
                    Console.out("Seed \(record.seed), spec digest \(record.specDigest); tagged \(SurrogateTag.generated) in table \(SurrogateTag.provenanceTable).")
                    let profile = try source.loadProfile(dialect: .postgres)
                    Self.printFidelity(try PostgresFidelity.measure(server: server, profile: profile, rows: record.rowsPerTable))
                }
                return
            }
            guard let out else { return }
            try OutputLocation.checkNewFile(URL(fileURLWithPath: out))
            let record = try SurrogateGenerator.generate(source, seed: seed.map { UInt64($0) }, scale: scale, to: URL(fileURLWithPath: out),
                                                         jobs: jobs, progress: Console.progress(quiet: quiet))
            let elapsed = ContinuousClock.now - clock
            if !quiet {
                Console.out("Wrote \(Console.grouped(record.totalRows)) rows in \(record.rowsPerTable.count) tables to \(out) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
                Console.out("Seed \(record.seed), spec digest \(record.specDigest); tagged \(SurrogateTag.generated) in table \(SurrogateTag.provenanceTable).")
                let profile = try source.loadProfile(dialect: .sqlite)
                let rows = try SQLiteFidelity.measure(file: URL(fileURLWithPath: out), profile: profile, rows: record.rowsPerTable)
                Self.printFidelity(rows)
            }
        }

        /// The achieved shape beside the profile, one measure a line.
        static func printFidelity(_ rows: [FidelityRow]) {
            guard !rows.isEmpty else { return }
            let within = rows.filter(\.withinTolerance).count
            Console.out()
            Console.out("Fidelity: \(within) of \(rows.count) measures within tolerance")
            let subjectWidth = min(48, rows.map(\.subject.count).max() ?? 0)
            let header = "  " + "what".padding(toLength: subjectWidth, withPad: " ", startingAt: 0) + "  " + "measure".padding(toLength: 25, withPad: " ", startingAt: 0)
                + "  " + "profile".padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + "achieved".padding(toLength: 10, withPad: " ", startingAt: 0) + "  tolerance"
            Console.out(Console.dim(header))
            for r in rows {
                let mark = r.withinTolerance ? Console.green("✓") : Console.red("✗")
                Console.out("\(mark) " + r.subject.padding(toLength: subjectWidth, withPad: " ", startingAt: 0) + "  "
                    + r.metric.padding(toLength: 25, withPad: " ", startingAt: 0) + "  " + r.target.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + "  " + r.achieved.padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + r.tolerance)
            }
        }
    }
}
