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
    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn a value-free shape profile from an SQLite database (opened read-only) or a local PostgreSQL database.",
            discussion: """
                The profile holds row counts, null fractions, distinct counts, average and maximum widths, \
                numeric ranges rounded out to powers of ten and foreign-key fan-out histograms: never a value, \
                a most-common value, a histogram bound or a sample row. With --schema-out, the database's DDL \
                is written too, so the two make a surrogate directory with your birth and rollback.
                """
        )

        @Option(name: .long, help: ArgumentHelp("The SQLite database to learn from.", valueName: "DB"))
        var from: String?

        @Option(name: .customLong("pg-url"), help: ArgumentHelp("Learn from this PostgreSQL database instead (a Unix socket or loopback server; dbname required).", valueName: "CONNINFO"))
        var pgURL: String?

        @Option(name: .long, help: ArgumentHelp("Where to write the profile (must not exist).", valueName: "FILE"))
        var out: String

        @Option(name: .long, help: ArgumentHelp("Also write the schema DDL here (must not exist).", valueName: "FILE"))
        var schemaOut: String?

        func validate() throws {
            if (from == nil) == (pgURL == nil) { throw ValidationError("Give exactly one of --from DB (SQLite) or --pg-url CONNINFO (PostgreSQL).") }
            if pgURL != nil, schemaOut != nil {
                throw ValidationError("--schema-out reads SQLite only; for PostgreSQL write the schema with pg_dump --schema-only.")
            }
        }

        func run() throws {
            // Before any reading: a profile of a large database takes a while,
            // and an unusable --out would otherwise show only at the end.
            try OutputLocation.checkNewFile(URL(fileURLWithPath: out))
            if let schemaOut { try OutputLocation.checkNewFile(URL(fileURLWithPath: schemaOut), option: "--schema-out") }
            if let pgURL {
                let server = try PostgresServerAddress(parsing: pgURL)
                let tables = try PostgresProfiler.learn(server: server)
                try write(LearnedProfile.yaml(tables, source: server.namedDatabase ?? "postgres"), to: out)
                let rows = tables.reduce(Int64(0)) { $0 + $1.rows }
                Console.out("Profiled \(tables.count) tables (\(Console.grouped(rows)) rows) into \(out); no values were written.")
                return
            }
            let from = from ?? ""
            let source = URL(fileURLWithPath: from)
            let tables = try SQLiteProfiler.learn(file: source)
            try write(LearnedProfile.yaml(tables, source: from), to: out)
            if let schemaOut { try write(try SQLiteProfiler.schemaDDL(file: source), to: schemaOut) }
            let rows = tables.reduce(Int64(0)) { $0 + $1.rows }
            Console.out("Profiled \(tables.count) tables (\(Console.grouped(rows)) rows) into \(out); no values were written.")
        }

        func write(_ text: String, to path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw RehearseError(.environment, "Cannot write \(path). Check that its folder exists and is writable.")
            }
        }
    }
}
