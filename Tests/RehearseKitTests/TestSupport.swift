import Foundation
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// A fresh folder per test, removed when the value is released.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-test-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func write(_ name: String, _ text: String) {
        let target = file(name)
        try! FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! text.write(to: target, atomically: true, encoding: .utf8)
    }

    /// Entries left in the folder whose name starts with `prefix`.
    func leftovers(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasPrefix(prefix) }
    }
}

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func surrogate(_ name: String) -> URL { root.appendingPathComponent("surrogates").appendingPathComponent(name) }
    static let chinook = root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_Sqlite.sqlite")
    /// The team's read-only public data beside the checkout (../shared/data).
    static func shared(_ path: String) -> String { root.deletingLastPathComponent().appendingPathComponent("shared/data/" + path).path }

    /// A private, editable copy of a bundled surrogate (its shared files resolved).
    static func copy(_ name: String, into dir: TempDir, as target: String = "surrogate") -> URL {
        let source = try! SurrogateSource(directory: surrogate(name))
        let dest = dir.file(target)
        try! FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        let m = source.manifest
        var files = [m.schema, m.profile, m.birth, m.rollback]
        if let c = m.checksAfterBirth { files.append(c) }
        if let c = m.checksAfterRollback { files.append(c) }
        var manifest = try! String(contentsOf: source.directory.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        for f in files {
            let flat = (f as NSString).lastPathComponent
            let text = try! String(contentsOf: source.directory.appendingPathComponent(f), encoding: .utf8)
            try! text.write(to: dest.appendingPathComponent(flat), atomically: true, encoding: .utf8)
            // The file's PostgreSQL variant, if it has one, goes along under its flat name.
            let variant = source.file(f, dialect: .postgres)
            if variant.url.lastPathComponent != flat, let v = try? String(contentsOf: variant.url, encoding: .utf8) {
                try! v.write(to: dest.appendingPathComponent(variant.url.lastPathComponent), atomically: true, encoding: .utf8)
            }
            manifest = manifest.replacingOccurrences(of: " \(f)\n", with: " \(flat)\n")
        }
        try! manifest.write(to: dest.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        return dest
    }
}

/// Writes one file of a surrogate copy, replacing both the plain file and its
/// PostgreSQL variant (so a test's text applies to either engine).
func replace(_ name: String, in surrogate: URL, with text: String) throws {
    let variant = (name as NSString).deletingPathExtension + ".postgres." + (name as NSString).pathExtension
    try? FileManager.default.removeItem(at: surrogate.appendingPathComponent(variant))
    try text.write(to: surrogate.appendingPathComponent(name), atomically: true, encoding: .utf8)
}

extension SQLiteConnection {
    func scalar(_ sql: String) throws -> DatabaseValue { try rows(sql).first?.first ?? .null }
    func int(_ sql: String) throws -> Int64 {
        if case .integer(let i) = try scalar(sql) { return i }
        return -1
    }
}

/// Runs a rehearsal with scratch and evidence folders inside `dir`.
func rehearse(_ surrogate: URL, in dir: TempDir, seed: UInt64? = nil, scale: Double? = nil, keep: Bool = false) throws -> RehearsalResult {
    var options = Rehearsal.Options()
    options.seed = seed
    options.scale = scale
    options.keep = keep
    options.outputDirectory = dir.file("run-\(UUID().uuidString.prefix(6))")
    options.scratchParent = dir.url
    return try Rehearsal(source: SurrogateSource(directory: surrogate), options: options).run()
}

/// Generates a surrogate into a fresh SQLite file and returns a connection to it.
func generated(_ name: String, in dir: TempDir, seed: UInt64? = nil, scale: Double? = 0.1, file: String = "g.sqlite") throws -> SQLiteConnection {
    let url = dir.file(file)
    _ = try SurrogateGenerator.generate(SurrogateSource(directory: Repo.surrogate(name)), seed: seed, scale: scale, to: url)
    return try SQLiteConnection(path: url.path)
}
