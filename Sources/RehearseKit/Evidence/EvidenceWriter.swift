import Foundation

/// Writes a run folder: `evidence.json` in canonical bytes, the inputs under
/// `inputs/`, and `SEAL.sha256` over all of them, written last.
public enum EvidenceWriter {
    public static let format = "rehearse.evidence/v1"
    public static let evidenceFile = "evidence.json"
    public static let inputsFolder = "inputs"

    /// Creates the run folder, refusing one that already holds files so no
    /// earlier evidence is ever overwritten.
    static func prepare(_ directory: URL) throws {
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw RehearseError.badInput("\(directory.path): the output folder already holds files. Give --out a new or empty folder; rehearse never overwrites evidence.")
        }
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RehearseError.environment("Cannot create the run folder \(directory.path): \(error.localizedDescription). Check the path and its permissions.")
        }
    }

    static func write(evidence: JSONValue, inputs: RehearsalInputs, to directory: URL) throws {
        do {
            for file in inputs.files {
                let target = directory.appendingPathComponent(RehearsalInputs.runPath(role: file.role, of: file.path))
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: file.url, to: target)
            }
            try Data(evidence.canonicalBytes).write(to: directory.appendingPathComponent(evidenceFile), options: .atomic)
            try Seal.write(directory: directory)
        } catch let error as RehearseError {
            throw error
        } catch {
            throw RehearseError.environment("Cannot write evidence to \(directory.path): \(error.localizedDescription).")
        }
    }
}
