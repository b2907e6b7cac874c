import Foundation
import RehearseCore
import RehearseEvidence

/// Where the files shipped with rehearse (the bundled surrogates and the
/// JSON schemas) are found. An installed binary finds them relative to its own
/// real path, as other command-line tools find theirs: `make install` puts the
/// binary in `PREFIX/bin` and the data in `PREFIX/share/rehearse`, so the
/// surrogates sit at `../share/rehearse/surrogates` from the binary, wherever
/// the prefix is and however the binary was reached (PATH, a symlink, a
/// relative path, another working directory).
package enum Resources {
    /// The running program's real path: `/proc/self/exe` (the kernel's word,
    /// not `argv[0]`, which is just a name when the program came from PATH),
    /// with every symlink resolved. Nil when it cannot be read.
    package static var runningExecutable: URL? {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), path.hasPrefix("/") {
            return URL(fileURLWithPath: path).resolvingSymlinksInPath()
        }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
    }

    /// The executable whose neighbourhood holds the share directory. Callers
    /// pass `argv[0]`, which names the binary only when it holds a `/`: a bare
    /// name came from PATH, and read against the working directory it would
    /// name some other file (or a planted one). So a given path is used only
    /// when it exists and did not come from a bare `argv[0]`; otherwise the
    /// running program's real path is.
    package static func executable(_ given: URL?) -> URL? {
        if let given, FileManager.default.isExecutableFile(atPath: given.path) {
            let argv0 = CommandLine.arguments.first ?? ""
            let fromBareName = !argv0.contains("/") && given.standardizedFileURL.path == URL(fileURLWithPath: argv0).standardizedFileURL.path
            if !fromBareName { return given.resolvingSymlinksInPath() }
        }
        return runningExecutable
    }

    /// Where bundled surrogates are looked for by name, in order:
    /// `../share/rehearse/surrogates` from the binary's real path (an
    /// install), each directory of `$REHEARSE_SURROGATES_PATH` (colon
    /// separated), `./surrogates`, and last, for a development build that
    /// lives in `.build/<triple>/<config>/`, the checkout's `surrogates`.
    /// The checkout is recognised by the `.build` folder only: walking up
    /// from an installed binary would look in directories such as `/tmp`,
    /// where anyone can plant a surrogate of a known name.
    package static func surrogateSearchRoots(executable given: URL?) -> [URL] {
        var roots: [URL] = []
        let exe = executable(given)
        if let exe {
            roots.append(exe.deletingLastPathComponent().appendingPathComponent("../share/rehearse/surrogates").standardizedFileURL)
        }
        if let env = ProcessInfo.processInfo.environment["REHEARSE_SURROGATES_PATH"] {
            roots += env.split(separator: ":").filter { !$0.isEmpty }.map { URL(fileURLWithPath: String($0)).standardizedFileURL }
        }
        roots.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("surrogates"))
        if let exe {
            let parts = exe.pathComponents
            if let build = parts.lastIndex(of: ".build"), build > 0 {
                let checkout = URL(fileURLWithPath: NSString.path(withComponents: Array(parts[..<build])))
                roots.append(checkout.appendingPathComponent("surrogates"))
            }
        }
        var seen = Set<String>()
        return roots.filter { seen.insert($0.path).inserted }
    }

    /// The names of the surrogates in a search root (directories holding a manifest).
    package static func surrogates(in root: URL) -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter {
            fm.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent(SurrogateManifest.fileName).path)
        }.sorted()
    }

    /// The first search root that holds any surrogate: where `--surrogate
    /// commerce` would be found. Nil when none does.
    package static func bundledSurrogates(executable: URL? = nil) -> URL? {
        surrogateSearchRoots(executable: executable).first { !surrogates(in: $0).isEmpty }
    }

    /// One line for `--version` and for the unknown-surrogate refusal: where
    /// the bundled surrogates are, or every place that was looked in.
    package static func describeSurrogates(executable: URL? = nil) -> String {
        if let found = bundledSurrogates(executable: executable) {
            return "surrogates: \(found.path) (\(surrogates(in: found).joined(separator: ", ")))"
        }
        return "surrogates: none found; looked in " + placesLooked(executable: executable)
    }

    /// The search roots, in order, as a refusal names them.
    package static func placesLooked(executable: URL? = nil) -> String {
        surrogateSearchRoots(executable: executable).map(\.path).joined(separator: ", ")
    }
}
