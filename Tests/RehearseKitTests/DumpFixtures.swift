import Crypto
import Foundation
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// pg_dump files of Chinook in every format, made once per test process from
/// the shared cluster, plus keys, trust files and grants for them.
enum DumpFixtures {
    private final class Holder: @unchecked Sendable {
        // @unchecked: written once under `lock`.
        let lock = NSLock()
        var dir: URL?
    }
    private static let holder = Holder()

    /// A directory holding chinook.sql, chinook.custom, chinook.tar and chinook.dir/.
    static var dumps: URL {
        get throws {
            holder.lock.lock()
            defer { holder.lock.unlock() }
            if let d = holder.dir { return d }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-test-dumps-\(getpid())")
            try? FileManager.default.removeItem(at: dir)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let db = try TestPostgres.database()
            defer { db.drop() }
            let script = try String(contentsOf: Repo.chinook.deletingLastPathComponent().appendingPathComponent("Chinook_PostgreSql.sql"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("DROP DATABASE") && !$0.hasPrefix("CREATE DATABASE") && !$0.hasPrefix("\\c") }
                .joined(separator: "\n")
            try TestPostgres.connect(db.name).execute(script)
            for (flag, name) in [("p", "chinook.sql"), ("c", "chinook.custom"), ("t", "chinook.tar"), ("d", "chinook.dir")] {
                try pgDump(database: db.name, ["-F", flag, "-f", dir.appendingPathComponent(name).path])
            }
            holder.dir = dir
            atexit { try? FileManager.default.removeItem(at: DumpFixtures.holder.dir!) }
            return dir
        }
    }

    static func pgDump(database: String, _ arguments: [String]) throws {
        let c = try TestPostgres.cluster
        let p = Process()
        p.executableURL = c.bindir.appendingPathComponent("pg_dump")
        p.arguments = ["-h", c.socketDirectory.path, "-p", "\(PostgresCluster.port)", "-U", PostgresCluster.superuser, "-d", database] + arguments
        p.environment = ["PATH": "/usr/bin:/bin"]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw RehearseError(.environment, "pg_dump \(arguments) failed") }
    }

    /// A key, its trust file (threshold 1) in `dir`, and a signed grant for `dump`.
    static func grant(for dump: String, engine: String, in dir: TempDir, key: Curve25519.Signing.PrivateKey = .init(),
                      notBefore: Int64? = nil, notAfter: Int64? = nil) throws -> (grant: String, trust: String) {
        let now = Int64(Date().timeIntervalSince1970)
        let statement = GrantStatement(lane: .operatorRealDataCloneHandoff, subjectSHA256: try DumpDigest.of(path: dump), issuer: "test operator",
                                       notBefore: notBefore ?? now - 60, notAfter: notAfter ?? now + 3600, nonce: GrantStatement.freshNonce(), engine: engine)
        let signed = try GrantAuthoring.sign(try GrantAuthoring.create(statement), file: "g", key: key).bytes
        let name = UUID().uuidString.prefix(8)
        let grant = dir.file("grant-\(name).json"), trust = dir.file("trust-\(name).json")
        try Data(signed).write(to: grant)
        let pub: JSONValue = ["type": "ed25519", "keyid": .string(Signing.keyID(key.publicKey)), "public_key": .string(key.publicKey.rawRepresentation.base64EncodedString())]
        try Data(JSONValue.object(["threshold": 1, "keys": [pub]]).canonicalBytes).write(to: trust)
        return (grant.path, trust.path)
    }

    /// A ustar archive with one empty regular member named `name` (and toc.dat first).
    static func tar(members: [(name: String, type: UInt8)]) -> [UInt8] {
        var out: [UInt8] = []
        for m in members {
            var h = [UInt8](repeating: 0, count: 512)
            let name = Array(m.name.utf8)
            h.replaceSubrange(0..<min(100, name.count), with: name.prefix(100))
            for (offset, field) in [(100, "0000644"), (108, "0000000"), (116, "0000000"), (124, "00000000005"), (136, "00000000000")] {
                h.replaceSubrange(offset..<(offset + field.utf8.count), with: Array(field.utf8))
            }
            h[156] = m.type
            h.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
            h.replaceSubrange(263..<265, with: Array("00".utf8))
            h.replaceSubrange(148..<156, with: Array("        ".utf8))
            let sum = h.reduce(0) { $0 + Int($1) }
            h.replaceSubrange(148..<155, with: Array(String(format: "%06o\0", sum).utf8))
            out += h
            out += Array("PGDMP".utf8) + [UInt8](repeating: 0, count: 507)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }
}
