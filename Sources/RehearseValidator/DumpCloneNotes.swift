import Foundation
import RehearseCore
import RehearseEvidence

/// What `rehearse validate` says about a dump clone beyond its findings, so a
/// valid verdict is never read as more than was checked (attack-15 L4).
package enum DumpCloneNotes {
    /// Without --trust the sealed grant's signatures are not checked: the
    /// evidence may be valid while nobody trusted ever allowed the real data
    /// to be cloned. Nil for any other run, or when a trust file was given.
    package static func unverifiedGrant(_ folder: RunFolder, trustGiven: Bool) -> String? {
        guard !trustGiven, let bytes = folder.file(named: EvidenceWriter.evidenceFile), let statement = try? JSONValue.parseStrict(bytes),
              statement["predicate"]?["source"]?["kind"]?.stringValue == "dump_clone" else { return nil }
        return "this is a dump clone of real data, and its grant's signatures were NOT checked (no --trust): nothing here shows that a trusted operator allowed the clone. Run `rehearse validate --trust FILE` to check them."
    }
}
