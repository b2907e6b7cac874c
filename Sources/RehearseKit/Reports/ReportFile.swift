import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Writes one report file (`--junit`, `--markdown`, `--html`, `--summary`).
/// Reports are replaceable outputs, unlike evidence: an existing regular
/// file is overwritten (CI writes the same names every night), but never
/// through a symbolic link, and a folder or missing parent is bad input with
/// the option named, not Foundation's error text.
package enum ReportFile {
    package static func write(_ text: String, to path: String, option: String) throws {
        let url = URL(fileURLWithPath: path)
        var st = stat()
        if lstat(url.path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFLNK {
                throw RehearseError.badInput("\(option) \(path) is a symbolic link; rehearse never writes a report through a link. Give a plain file name.")
            }
            if kind != S_IFREG {
                throw RehearseError.badInput("\(option) \(path) exists and is not a regular file. Give a file name for the report.")
            }
        }
        try OutputLocation.check(url.deletingLastPathComponent(), option: option)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw RehearseError.environment("\(option) \(path): the report could not be written (\(SystemErrorText.describe(error))). Check the folder and its free space.")
        }
    }
}
