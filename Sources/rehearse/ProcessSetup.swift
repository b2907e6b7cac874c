import Foundation
import RehearseCore

/// What only the executable does to its own process: it owns the signal
/// handlers, the exit status and the environment, so the library never
/// exits, never parks a thread and never changes the environment.
enum ProcessSetup {
    /// Removes every `PG*` variable (PGHOST, PGHOSTADDR, PGSERVICE,
    /// PGSERVICEFILE, PGSYSCONFDIR, PGPASSFILE, PGOPTIONS, PGSSLMODE, ...)
    /// once, first thing, before any thread exists: libpq reads them for every
    /// parameter a connection does not give, so one could point a connection
    /// at another server. The library refuses to connect while any is set
    /// (`PGConnection`), and child programs get environments built from
    /// nothing or filtered.
    static func scrubPostgresEnvironment() {
        for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("PG") {
            unsetenv(key)
        }
    }
}

/// SIGINT and SIGTERM: the library's clean-up (`Interruption.cleanUp`), a
/// line per thing cleaned, then exit 130 or 143 (`ExitStatus`), whatever the
/// rest of the process is doing.
enum Signals {
    // Written once, by `install` on the main thread before any other thread
    // could read it; kept only so the sources stay alive.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers once; call from the entry point.
    static func install() {
        guard sources.isEmpty else { return }
        // One serial queue: a second signal waits for the first's clean-up,
        // which ends the process.
        let queue = DispatchQueue(label: "rehearse.interruption")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { handle(sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// Once a signal arrived, its handler is cleaning up and will end the
    /// process with the signal's status: the caller waits for that, so no
    /// error message or other status comes first.
    static func waitIfInterrupted() {
        guard Interruption.isInterrupted else { return }
        while true { DispatchSemaphore(value: 0).wait() }
    }

    private static func handle(_ sig: Int32) {
        var message = "\nrehearse: interrupted by \(sig == SIGINT ? "SIGINT" : "SIGTERM"); no evidence was written.\n"
        for line in Interruption.cleanUp(after: sig) { message += "rehearse: " + line + "\n" }
        FileHandle.standardError.write(Data(message.utf8))
        exit(ExitStatus.of(CancellationError()))
    }
}
