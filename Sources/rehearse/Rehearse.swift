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

/// The root command. `rehearse --surrogate …` runs a rehearsal (the default
/// subcommand); `validate` and `generate` are the others.
struct Rehearse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Rehearse a database change: birth, checks, rollback, and sealed proof that rollback restored the exact prior state.",
        discussion: """
            Exit statuses: 0 passed; 1 rehearsal failed (drift or a failing check); 2 bad input; \
            3 refused by governance; 4 environment problem; 5 evidence rejected by the validator; 6 not proven (inconclusive).
            """,
        // The second line says where `--surrogate NAME` finds the bundled
        // surrogates (an install's share directory, or a checkout's), or
        // every place looked in when none was found.
        version: RehearseVersion.describe + "\n" + Resources.describeSurrogates(),
        subcommands: [Run.self, Migrations.self, Validate.self, Generate.self, Profile.self, FingerprintCommand.self, SealCommand.self, Sign.self, Keys.self,
                      Lanes.self, GrantCommand.self, Scan.self, Report.self, Nightly.self, Packet.self, Precheck.self,
                      Manual.self],
        defaultSubcommand: Run.self
    )
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

@main
enum Main {
    static func main() {
        // First, before any thread: nothing in the environment may point a
        // PostgreSQL connection anywhere.
        ProcessSetup.scrubPostgresEnvironment()
        Signals.install()
        do {
            var command = try Rehearse.parseAsRoot()
            // Every run, whatever its engine, clears ephemeral PostgreSQL
            // clusters in TMPDIR whose rehearse process is gone and whose
            // guardian could not clear them (killed too, a machine crash).
            PostgresCluster.cleanStale(in: FileManager.default.temporaryDirectory)
            // And private dump copies a killed run left behind.
            DumpWorkspace.cleanStale(in: FileManager.default.temporaryDirectory)
            try command.run()
            Signals.waitIfInterrupted()
        } catch {
            // An interrupted run's error is the clean-up's doing: the
            // handler's status (130 or 143) is the one the process ends with.
            Signals.waitIfInterrupted()
            exit(report(error))
        }
    }

    /// Prints what went wrong and returns the exit status. The command line's
    /// own outcomes stay here (help is 0, a usage error 2, an `ExitCode` its
    /// value); every other error's status is `ExitStatus.of`'s.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as RehearseError:
            Console.error(error.message)
        case let code as ExitCode:
            return code.rawValue
        case let error as NSError where [NSCocoaErrorDomain, NSPOSIXErrorDomain, NSURLErrorDomain].contains(error.domain):
            // A file-system error no code path translated: say it in words,
            // never in Foundation's domain-and-code text.
            let path = (error.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""
            Console.error("A file operation failed\(path): \(SystemErrorText.describe(error)). Check the path and its permissions.")
        default:
            let exitCode = Rehearse.exitCode(for: error)
            let message = Rehearse.fullMessage(for: error)
            if exitCode == .success {
                print(message)
                return 0
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            // Bad command-line input is bad input: exit 2, as documented.
            // Any other error (a SQLite or libpq error no code path
            // translated) is the environment's, never the user's input.
            if exitCode == .validationFailure { return RehearseError.Code.badInput.exitStatus }
        }
        return ExitStatus.of(error)
    }
}
