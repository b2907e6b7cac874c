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
    struct FingerprintCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fingerprint",
            abstract: "Print the schema and data fingerprint of an SQLite file (opened read-only) or a local PostgreSQL database."
        )

        @Argument(help: ArgumentHelp("The SQLite database file.", valueName: "FILE"))
        var file: String?

        @Option(name: .customLong("pg-url"), help: ArgumentHelp("Fingerprint this PostgreSQL database instead (a Unix socket or loopback server; dbname required), in read-only sessions.", valueName: "CONNINFO"))
        var pgURL: String?

        @Option(name: .long, help: "Connections reading PostgreSQL tables at once (default: all cores).")
        var jobs: Int?

        func validate() throws {
            if (file == nil) == (pgURL == nil) { throw ValidationError("Give exactly one of FILE (SQLite) or --pg-url CONNINFO (PostgreSQL).") }
            try OptionBounds.check(seed: nil, scale: nil, jobs: jobs)
        }

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let fingerprint = if let pgURL {
                try PostgresFingerprint.of(server: PostgresServerAddress(parsing: pgURL), jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            } else {
                try SQLiteFingerprint.of(file: URL(fileURLWithPath: file ?? ""))
            }
            switch format {
            case .json:
                Console.out(fingerprint.json.canonicalString)
            case .text:
                Console.out("schema \(fingerprint.schemaDigest)  (\(fingerprint.objects.count) objects)")
                Console.out("data   \(fingerprint.dataDigest)  (\(fingerprint.tables.count) tables)")
                let width = fingerprint.tables.keys.map(\.count).max() ?? 0
                for name in fingerprint.tables.keys.sorted() {
                    let t = fingerprint.tables[name]!
                    let rows = Console.grouped(t.rows)
                    Console.out("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(repeating: " ", count: max(0, 12 - rows.count)))\(rows) rows  \(Console.dim(t.digest))")
                }
            }
        }
    }
}
