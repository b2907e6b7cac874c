// libFuzzer target over what a surrogate's author controls: the manifest and
// the shape profile, parsed and planned against fixed schemas, then a few
// rows of every column generated. Built only by `make fuzz`
// (scripts/fuzz.sh), with coverage instrumentation and AddressSanitizer.
//
// An input is a manifest and a profile separated by a line `%%` (no
// separator: the whole input is the profile). Invariants, on every input:
// 1. Nothing traps or crashes: every number from outside is bounded (see
//    Limits) before it is converted or multiplied.
// 2. Every refusal is a RehearseError saying "bad input", never another error.
// 3. An accepted plan stays within Limits.maxRowsPerRun rows.
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseKit
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

let root = ProcessInfo.processInfo.environment["REHEARSE_FUZZ_ROOT"] ?? "."
/// Schemas to plan against: the bundled commerce one (keys, fan-outs,
/// CHECKs) and a small one with every affinity and a self reference.
let schemas: [[TableShape]] = {
    var texts: [String] = [
        """
        CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INTEGER CHECK (n BETWEEN -5 AND 9000000000000000000),
                        at TEXT, later TEXT, amount REAL CHECK (amount > 0), blob BLOB, flag BOOLEAN, num NUMERIC,
                        parent INTEGER REFERENCES t (id), CHECK (later > at));
        CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id), w TEXT CHECK (length(w) <= 3),
                        UNIQUE (t_id, id));
        CREATE TABLE j (a INTEGER NOT NULL REFERENCES t (id), b INTEGER NOT NULL REFERENCES u (id), PRIMARY KEY (a, b));
        """,
    ]
    if let commerce = try? String(contentsOfFile: root + "/surrogates/commerce/schema.sql", encoding: .utf8) { texts.append(commerce) }
    return texts.map { text in
        do { return try SQLiteSchemaShapes.read(schema: text) } catch {
            FileHandle.standardError.write(Data("rehearse-fuzz-spec: a fixed schema does not load: \(error)\n".utf8))
            exit(2)
        }
    }
}()

func refusalIsBadInput(_ error: Error, _ what: String) {
    guard let e = error as? RehearseError, e.code == .badInput else {
        fatalError("\(what) refused with something other than bad input: \(error)")
    }
}

func checkInvariants(_ input: [UInt8]) {
    let text = String(decoding: input, as: UTF8.self)
    var manifestText: Substring? = nil
    var profileText = Substring(text)
    if let separator = text.range(of: "\n%%\n") {
        manifestText = text[..<separator.lowerBound]
        profileText = text[separator.upperBound...]
    }
    var seed: UInt64 = 1, scale = 0.01
    if let manifestText {
        do {
            let manifest = try SurrogateManifest(parsing: String(manifestText), file: "manifest.yaml")
            seed = manifest.seed
            scale = manifest.scale
        } catch { refusalIsBadInput(error, "the manifest") }
    }
    let profile: ShapeProfile
    do { profile = try ShapeProfile(parsing: String(profileText), file: "profile.yaml") } catch {
        refusalIsBadInput(error, "the profile")
        return
    }
    for shapes in schemas {
        let plan: SurrogatePlan
        do { plan = try SurrogatePlan(shapes: shapes, profile: profile, seed: seed, scale: scale, profileFile: "profile.yaml") } catch {
            refusalIsBadInput(error, "the plan")
            continue
        }
        guard plan.totalRows <= Limits.maxRowsPerRun else { fatalError("a plan of \(plan.totalRows) rows was accepted") }
        // The first, last and a middle row of every column: the value
        // functions are where unchecked numbers would trap.
        for table in plan.tables where table.rows > 0 {
            for row in Set([0, table.rows / 2, table.rows - 1]) {
                for index in table.columns.indices { _ = table.value(index, row: row) }
            }
        }
        for deferred in plan.deferredForeignKeys where deferred.rows > 0 {
            _ = deferred.key(row: 0)
            _ = deferred.values(row: deferred.rows - 1)
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

_ = schemas
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    checkInvariants(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
