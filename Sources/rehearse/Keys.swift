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
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create Ed25519 signing keys and trust files.",
            subcommands: [Generate.self, Trust.self]
        )

        struct Generate: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a key pair: PREFIX.key (private, mode 0600) and PREFIX.pub.")

            @Option(name: .long, help: ArgumentHelp("Path prefix of the two files.", valueName: "PREFIX"))
            var out: String

            func run() throws {
                let made = try Signing.generateKeyPair(prefix: out)
                Console.out("keyid \(made.keyID)")
                Console.out("private key: \(made.privateFile.path) (keep it secret)")
                Console.out("public key:  \(made.publicFile.path)")
            }
        }

        struct Trust: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print a trust file for 'rehearse validate --trust' from public keys.")

            @Option(name: .long, help: "How many distinct listed keys must have signed.")
            var threshold = 1

            @Argument(help: ArgumentHelp("Public key files (PREFIX.pub).", valueName: "PUB"))
            var publicKeys: [String]

            func validate() throws {
                if publicKeys.isEmpty { throw ValidationError("Give at least one public key file.") }
                if threshold < 1 { throw ValidationError("--threshold must be 1 or more.") }
            }

            func run() throws {
                Console.out(try TrustPolicy.file(publicKeyFiles: publicKeys, threshold: threshold).canonicalString)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a run folder's evidence (or a migrations walk's walk.json) with an Ed25519 key (DSSE envelope), then reseal the folder.",
            discussion: "Only evidence that validates is signed. Several keys may sign the same evidence; each adds its signature. A walk's walk.json binds every step's run folder, script and migration file by digest, so its signature (walk.dsse.json) covers the whole walk."
        )

        @Argument(help: ArgumentHelp("A run folder or a migrations walk folder.", valueName: "RUN_DIR"))
        var runDirectory: String

        @Option(name: .long, help: ArgumentHelp("Private key file (PREFIX.key).", valueName: "FILE"))
        var key: String

        func run() throws {
            let url = URL(fileURLWithPath: runDirectory)
            if MigrationWalkValidator.isWalk(url) {
                let id = try MigrationWalkValidator.sign(walk: url, keyFile: URL(fileURLWithPath: key))
                Console.out("\(runDirectory)/\(MigrationWalkValidator.envelopeFile): signed by \(id)")
                return
            }
            let id = try Signing.sign(runDirectory: URL(fileURLWithPath: runDirectory), keyFile: URL(fileURLWithPath: key))
            Console.out("\(runDirectory)/\(Signing.envelopeFile): signed by \(id)")
        }
    }
}
