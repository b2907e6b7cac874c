import Foundation
import RehearseCore

/// The identifiers of the evidence format.
package enum EvidenceFormat {
    /// Evidence is an in-toto Statement, so attestation tooling can read it.
    package static let statementType = "https://in-toto.io/Statement/v1"
    /// The versioned type of rehearse's predicate; a change that a v1 reader
    /// would misread gets a new version.
    package static let predicateType = "https://rehearse.dev/evidence/v1"
}

/// Writes a run folder: `evidence.json` in canonical bytes, the inputs under
/// `inputs/`, and `SEAL.sha256` over all of them, written last.
package enum EvidenceWriter {
    package static let evidenceFile = "evidence.json"
    package static let inputsFolder = "inputs"

    /// Refuses, before any work starts, a run folder that already holds files,
    /// so no earlier evidence is ever overwritten. The folder itself is only
    /// created when evidence is written: an interrupted run leaves none.
    package static func checkAvailable(_ directory: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw RehearseError.badInput("\(directory.path) is a file. Give --out a new or empty folder.")
            }
            if let existing = try? fm.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
                throw RehearseError.badInput("\(directory.path): the output folder already holds files. Give --out a new or empty folder; rehearse never overwrites evidence.")
            }
        }
        try OutputLocation.check(directory)
    }

    /// Where an input's copy lives in the run folder: `inputs/<role>.<extension>`.
    package static func inputPath(role: String, of path: String) -> String {
        let ext = (path as NSString).pathExtension
        return inputsFolder + "/" + role + (ext.isEmpty ? "" : "." + ext)
    }

    /// `inputs`: each input's role, the path it was read from, and the bytes
    /// the run read (copied to ``inputPath(role:of:)``). `extra`: further
    /// files (name, bytes) sealed with the run, such as a dump clone's grant.
    package static func write(evidence: JSONValue, inputs: [(role: String, path: String, bytes: Data)], to directory: URL, extra: [(String, [UInt8])] = []) throws {
        try checkAvailable(directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RehearseError.environment("Cannot create the run folder \(directory.path): \(SystemErrorText.describe(error)). Check the path and its permissions.")
        }
        do {
            for file in inputs {
                let target = directory.appendingPathComponent(inputPath(role: file.role, of: file.path))
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                // The bytes the run read and digested, not a second read of
                // the file (which could have changed, or be a link, since).
                try file.bytes.write(to: target, options: .withoutOverwriting)
            }
            for (name, bytes) in extra {
                try Data(bytes).write(to: directory.appendingPathComponent(name), options: .withoutOverwriting)
            }
            try Data(evidence.canonicalBytes).write(to: directory.appendingPathComponent(evidenceFile), options: .atomic)
            try Seal.write(directory: directory)
        } catch let error as RehearseError {
            throw error
        } catch {
            throw RehearseError.environment("Cannot write evidence to \(directory.path): \(SystemErrorText.describe(error)).")
        }
    }
}
