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
    struct SealCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Write or verify SEAL.sha256, the SHA-256 of every file of a folder.",
            discussion: "A seal proves the bytes are the ones sealed; it does not prove who sealed them (see 'rehearse sign').",
            subcommands: [Verify.self, Write.self]
        )

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Recompute every sealed file's SHA-256 and name each missing, extra or changed file.",
                discussion: "Exit 0 when every folder matches its seal; 5 when any differs; 2 when a folder does not exist."
            )

            @Argument(help: ArgumentHelp("Sealed folders (run folders, surrogate directories).", valueName: "PATH"))
            var paths: [String]

            @Option(name: .long, help: "Output format: text or json.")
            var format: OutputFormat = .text

            func validate() throws {
                if paths.isEmpty { throw ValidationError("Give at least one folder to verify.") }
            }

            func run() throws {
                var results: [(String, [Seal.Finding])] = []
                for path in paths {
                    results.append((path, try Seal.verify(directory: URL(fileURLWithPath: path))))
                }
                switch format {
                case .json:
                    let value = JSONValue.array(results.map { path, findings in
                        ["path": .string(path), "ok": .bool(findings.isEmpty),
                         "findings": .array(findings.map { ["kind": .string($0.kind.rawValue), "file": .string($0.path), "message": .string($0.sentence)] })]
                    })
                    Console.out(value.canonicalString)
                case .text:
                    for (path, findings) in results {
                        if findings.isEmpty {
                            Console.out("\(path): " + Console.green("seal matches the bytes"))
                        } else {
                            Console.out("\(path): " + Console.red("seal does not match") + " (\(findings.count) differences)")
                            for f in findings { Console.out("  \(f)") }
                        }
                    }
                }
                let status = ExitStatus.of(valid: results.allSatisfy { $0.1.isEmpty }, verdict: nil)
                if status != 0 { throw ExitCode(status) }
            }
        }

        struct Write: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Write SEAL.sha256 over every file of a folder (replacing an existing seal).")

            @Argument(help: ArgumentHelp("The folder to seal.", valueName: "DIR"))
            var directory: String

            func run() throws {
                let entries = try Seal.write(directory: URL(fileURLWithPath: directory))
                Console.out("\(directory)/\(Seal.fileName): \(entries.count) files sealed")
            }
        }
    }
}
