// libFuzzer target over the strict parser and the validator. Built only by
// `make fuzz` (scripts/fuzz.sh), with coverage instrumentation and
// AddressSanitizer; libFuzzer's driver is called from here.
//
// Invariants, checked on every input:
// 1. Whatever the strict parser accepts re-serializes to canonical bytes that
//    parse back to the same value and the same bytes.
// 2. Whenever the validator accepts a folder, evidence.json re-serializes to
//    exactly its own bytes, and the seal check agrees on its own.
// The input is tried as evidence.json twice: under the template's seal, and
// resealed, so the rules past the seal are reached too.
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseKit
import RehearseSurrogate
import RehearseValidator

let templatePath = ProcessInfo.processInfo.environment["REHEARSE_FUZZ_TEMPLATE"] ?? "Tests/Conformance/pass_commerce"
let template: RunFolder
do {
    template = try RunFolder(directory: URL(fileURLWithPath: templatePath))
} catch {
    FileHandle.standardError.write(Data("rehearse-fuzz: cannot read the template run folder \(templatePath): \(error)\n".utf8))
    exit(2)
}

// The template's other files never change: hash them once.
let templateEntries = Seal.entries(for: template)

func resealed(_ folder: RunFolder, evidence: [UInt8]) -> RunFolder {
    var copy = folder
    var entries = templateEntries
    entries["evidence.json"] = Digest.sha256Hex(evidence)
    copy.files[Seal.fileName] = Array(Seal.render(entries).utf8)
    return copy
}

func checkInvariants(_ input: [UInt8]) {
    if let value = try? JSONValue.parseStrict(input) {
        let canonical = value.canonicalBytes
        guard let again = try? JSONValue.parseStrict(canonical), again == value, again.canonicalBytes == canonical else {
            fatalError("canonical bytes of an accepted input do not round-trip")
        }
    }
    var folder = template
    folder.files["evidence.json"] = input
    for candidate in [folder, resealed(folder, evidence: input)] {
        let report = Validator().validate(candidate)
        guard report.isValid else { continue }
        guard let value = try? JSONValue.parseStrict(input), value.canonicalBytes == input else {
            fatalError("the validator accepted evidence that does not re-serialize to its own bytes")
        }
        guard Seal.verify(candidate).isEmpty else {
            fatalError("the validator accepted a folder whose seal check fails")
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    checkInvariants(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
