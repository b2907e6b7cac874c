import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The migration layouts `rehearse migrations` reads, and how `auto` tells
/// them apart from the directory's file names alone.
package enum MigrationLayout: String, Sendable, CaseIterable {
    case golangMigrate = "golang-migrate"
    case dbmate
    case flyway
    case sqitch
    case suffixed

    /// The layout the directory's files follow, or bad input naming what was looked for.
    package static func detect(_ directory: URL) throws -> MigrationLayout {
        let names = try MigrationFiles.list(directory)
        if names.contains("sqitch.plan") { return .sqitch }
        if names.contains(where: { FlywayReader.parse($0) != nil }) { return .flyway }
        if names.contains(where: { SuffixedReader.parse($0)?.dialect != nil }) { return .suffixed }
        if names.contains(where: { GolangMigrateReader.parse($0) != nil }) { return .golangMigrate }
        for name in names where name.hasSuffix(".sql") {
            if let text = try? MigrationFiles.read(directory, name), DbmateReader.sectionMarker(in: text) {
                return .dbmate
            }
        }
        throw RehearseError.badInput("\(directory.path): no migration layout recognised. rehearse reads golang-migrate (N_name.up.sql / .down.sql), dbmate (one file with -- migrate:up and -- migrate:down), Flyway (V1__name.sql, U1__name.sql), Sqitch (sqitch.plan with deploy/ and revert/) and dialect-suffixed files (N_name.postgres.up.sql). Point at the folder holding the migrations, or give --layout.")
    }

    /// Reads the directory by this layout's rules for `dialect` (`sqlite` or `postgres`).
    package func read(_ directory: URL, dialect: Dialect) throws -> MigrationSet {
        var set: MigrationSet = try MigrationScan.$dialect.withValue(dialect) {
            switch self {
            case .golangMigrate: try GolangMigrateReader.read(directory)
            case .dbmate: try DbmateReader.read(directory)
            case .flyway: try FlywayReader.read(directory)
            case .sqitch: try SqitchReader.read(directory)
            case .suffixed: try SuffixedReader.read(directory, dialect: dialect)
            }
        }
        // Files the runner would apply and rehearse did not read come last,
        // each a SKIPPED step: the walk is then never "all passed".
        set.steps += set.unreadSteps.sorted { $0.name < $1.name }
        set.unreadSteps = []
        return set
    }
}

/// File access shared by the readers: names in a directory, text of a file,
/// with messages that say what to do.
package enum MigrationFiles {
    /// Where names and bytes come from (see ``MigrationFileSource``).
    @TaskLocal package static var source: MigrationFileSource = .disk(nil)

    package static func list(_ directory: URL) throws -> [String] {
        if case .recorded(let r) = source { return r.topLevel }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw RehearseError.badInput("\(directory.path): no such directory. Give the folder holding the migrations.")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw RehearseError.environment("\(directory.path): the directory cannot be read. Check its permissions.")
        }
        return names.sorted()
    }

    /// Every entry that is not a folder below the directory's top-level
    /// folders, as paths relative to the directory, sorted (symbolic links
    /// are listed, not followed). At most 100 000 are listed.
    package static func nested(_ directory: URL) throws -> [String] {
        if case .recorded(let r) = source { return r.nested }
        let base = SurrogateSource.realPath(directory.path) ?? directory.path
        var out: [String] = []
        var queue = try list(directory).filter { name in
            var st = stat()
            return lstat(base + "/" + name, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        }
        while let dir = queue.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: base + "/" + dir) else {
                throw RehearseError.environment("\(directory.path)/\(dir): the folder cannot be read. Check its permissions.")
            }
            for name in names {
                let rel = dir + "/" + name
                var st = stat()
                if lstat(base + "/" + rel, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { queue.append(rel) } else { out.append(rel) }
                if out.count > 100_000 {
                    throw RehearseError.badInput("\(directory.path): more than 100000 files below its folders; point at the folder holding the migrations.")
                }
            }
        }
        return out.sorted()
    }

    /// A migration file's text, read by the rules every rehearse input obeys
    /// (``SurrogateSource/readConfined(_:display:key:)``): a regular file
    /// reached without a symbolic link, one hard link, at most 64 MiB, text
    /// that the engines and rehearse split alike. Its bytes go into sealed
    /// evidence, so a link to a file outside the directory is refused.
    package static func read(_ directory: URL, _ relative: String) throws -> String {
        if case .recorded(let r) = source {
            guard let bytes = r.bytes[relative] else { throw RehearseError.badInput("\(directory.path)/\(relative): the file is missing.") }
            return try InputText.decode(Data(bytes), file: relative)
        }
        let base = SurrogateSource.realPath(directory.path) ?? directory.path
        do {
            let read = try SurrogateSource.readConfined(base + "/" + relative, display: relative, key: "migration")
            if case .disk(let log?) = source { log.note(relative, [UInt8](read.bytes)) }
            return try InputText.decode(read.bytes, file: relative)
        } catch let refusal as SurrogateSource.InputRefusal {
            throw RehearseError.badInput("\(directory.path)/\(relative): " + (refusal.missing ? "the file is missing." : "the migration file \(refusal.message)"))
        }
    }

    /// Whether `relative` names an entry of the directory (a reader then reads it).
    package static func exists(_ directory: URL, _ relative: String) -> Bool {
        if case .recorded(let r) = source { return r.bytes[relative] != nil }
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent(relative).path)
    }

    /// Compares digit strings as numbers of any length (no overflow): shorter
    /// after dropping leading zeros is smaller.
    package static func numericLess(_ a: Substring, _ b: Substring) -> Bool {
        let x = a.drop { $0 == "0" }, y = b.drop { $0 == "0" }
        if x.count != y.count { return x.count < y.count }
        return x < y
    }

    package static func isCode(_ name: String) -> Bool {
        [".go", ".java", ".rb", ".py", ".kt", ".scala", ".js", ".ts", ".class"].contains { name.hasSuffix($0) }
    }
}
