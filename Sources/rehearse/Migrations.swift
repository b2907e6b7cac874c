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
    struct Migrations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rehearse a project's migrations (golang-migrate, dbmate, Flyway, Sqitch, dialect-suffixed) step by step or as a range.",
            discussion: """
                Each step is rehearsed on a scratch database that holds the earlier migrations' ups (after --prelude) \
                and generated rows: birth = up, checks, rollback = down on a fresh connection, compare with the state \
                before; then re-birth = up again, compared with the first born state. --mode range runs the ups of \
                --from..--to, then their downs in reverse. Every step gets a sealed run folder under OUT/steps/, and \
                OUT/walk.json with OUT/SEAL.sha256 covers the walk ('rehearse validate OUT' re-checks it). \
                Exit status: the worst step's, in the order 0 (all passed) < 6 (not proven: irreversible, skipped code, \
                not rehearsable, inconclusive) < 1 (a step failed) < 2 < 3 < 4 < 5.
                """
        )

        @Argument(help: ArgumentHelp("The folder holding the migrations.", valueName: "DIR"))
        var directory: String

        @Option(name: .long, help: "Layout: auto (the default; the detected layout is printed), golang-migrate, dbmate, flyway, sqitch or suffixed.")
        var layout: LayoutName = .auto

        @Option(name: .long, help: ArgumentHelp("First migration to rehearse (version, or Sqitch change name; a reworked change as change@tag or change@HEAD); earlier ones build the schema.", valueName: "V"))
        var from: String?

        @Option(name: .long, help: ArgumentHelp("Last migration to rehearse.", valueName: "V"))
        var to: String?

        @Option(name: .long, help: "step (each migration: up, down, up again) or range (ups --from..--to, then downs in reverse).")
        var mode: ModeName = .step

        @Option(name: .long, help: ArgumentHelp("Profile of the generated rows (default: --rows rows in every table).", valueName: "FILE"))
        var profile: String?

        @Option(name: .long, help: "Rows generated in every table when no --profile is given (default 20).")
        var rows: Int64?

        @Option(name: .long, help: ArgumentHelp("SQL applied before the first migration (schemas, settings, roles the project's own setup makes); recorded in the evidence.", valueName: "FILE"))
        var prelude: String?

        @Option(name: .long, help: ArgumentHelp("The schema before --from as one SQL file, instead of applying the earlier ups.", valueName: "FILE"))
        var baseline: String?

        @Option(name: .long, help: "Seed for the generated rows (default 1).")
        var seed: Int64?

        @Option(name: .long, help: "Engine of the scratch database: sqlite (default) or postgres.")
        var engine: Run.EngineName = .sqlite

        @Option(name: .customLong("pg-url"), help: ArgumentHelp("With --engine postgres: this local server instead of an ephemeral cluster (Unix socket or loopback).", valueName: "CONNINFO"))
        var pgURL: String?

        @Option(name: .customLong("pg-bindir"), help: ArgumentHelp("Directory with initdb, pg_ctl and postgres.", valueName: "DIR"))
        var pgBindir: String?

        @Flag(name: .customLong("pg-superuser"), help: "PostgreSQL: run the migrations as the superuser (for migrations that create roles or untrusted extensions).")
        var pgSuperuser = false

        @Option(name: .long, help: ArgumentHelp("Folder for the walk's evidence (default: rehearsals/<run-id>).", valueName: "DIR"))
        var out: String?

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Flag(name: .shortAndLong, help: "Print only the summary and the walk folder.")
        var quiet = false

        enum LayoutName: String, ExpressibleByArgument, CaseIterable {
            case auto, golangMigrate = "golang-migrate", dbmate, flyway, sqitch, suffixed
        }
        enum ModeName: String, ExpressibleByArgument, CaseIterable { case step, range }

        func validate() throws {
            try OptionBounds.check(seed: seed, scale: nil, jobs: nil)
            if profile != nil && rows != nil { throw ValidationError("Give --profile FILE or --rows N, not both.") }
            if let rows, rows < 0 || rows > 1_000_000 { throw ValidationError("--rows must be between 0 and 1000000.") }
            if engine == .sqlite, pgURL != nil || pgBindir != nil || pgSuperuser {
                throw ValidationError("--pg-url, --pg-bindir and --pg-superuser apply to --engine postgres only.")
            }
        }

        func run() throws {
            var options = MigrationWalk.Options()
            options.layout = layout == .auto ? nil : MigrationLayout(rawValue: layout.rawValue)
            options.from = from
            options.to = to
            options.mode = mode == .range ? .range : .step
            options.profile = profile.map { URL(fileURLWithPath: $0) }
            if let rows { options.rows = rows }
            options.prelude = prelude.map { URL(fileURLWithPath: $0) }
            options.baseline = baseline.map { URL(fileURLWithPath: $0) }
            if let seed { options.seed = UInt64(seed) }
            options.outputDirectory = out.map { URL(fileURLWithPath: $0) }
            options.postgresSuperuser = pgSuperuser
            if engine == .postgres {
                options.engine = .postgres(try pgURL.map { .server(try PostgresServerAddress(parsing: $0)) } ?? .ephemeral(bindir: pgBindir, runAs: nil))
            }
            let dir = URL(fileURLWithPath: directory)
            if format == .text && !quiet {
                let detected = try options.layout ?? MigrationLayout.detect(dir)
                options.layout = detected
                Console.out(Console.bold("rehearse migrations") + " \(directory) " + Console.dim("(layout \(detected.rawValue)\(layout == .auto ? ", detected" : ""), \(engine.rawValue), \(mode.rawValue) mode)"))
                options.onStep = { Console.out(Self.line($0)) }
            }
            let walk = try MigrationWalk(directory: dir, options: options).run()
            switch format {
            case .json: Console.out(Self.json(walk).canonicalString)
            case .text:
                if !quiet {
                    for note in walk.notes { Console.out(Console.dim("note: \(note)")) }
                }
                Console.out("Walk: \(walk.summary); exit status \(walk.exitStatus)")
                Console.out("Evidence: \(walk.walkFolder.path) (rehearse validate \(walk.walkFolder.path))")
            }
            if walk.exitStatus != 0 { throw ExitCode(walk.exitStatus) }
        }

        static func line(_ r: MigrationStepResult) -> String {
            let mark = switch r.status {
            case "PASS": Console.green("PASS")
            case "SKIPPED": Console.dim("SKIPPED")
            default: Console.red(r.status)
            }
            var lines = ["\(mark.padding(toLength: max(mark.count, 15), withPad: " ", startingAt: 0)) \(String(format: "%04d", r.index + 1)) \(r.version) \(r.name)  \(Console.dim(r.files.joined(separator: ", ")))"]
            for d in r.detail { lines.append("      " + d) }
            for n in r.notes { lines.append(Console.dim("      note: " + n)) }
            return lines.joined(separator: "\n")
        }

        static func json(_ walk: MigrationWalkResult) -> JSONValue {
            [
                "layout": .string(walk.layout.rawValue),
                "directory": .string(walk.directory),
                "dialect": .string(walk.dialect.rawValue),
                "mode": .string(walk.mode),
                "summary": .string(walk.summary),
                "exit_status": .integer(Int64(walk.exitStatus)),
                "walk_dir": .string(walk.walkFolder.path),
                "notes": .array(walk.notes.map { .string($0) }),
                "steps": .array(walk.steps.map(\.json)),
            ]
        }
    }
}
