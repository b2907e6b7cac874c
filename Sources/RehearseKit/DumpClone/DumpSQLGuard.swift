import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Reads a plain SQL dump (or an archive rendered by pg_restore) the way
/// rehearse itself will split it, and refuses, before anything runs, whatever
/// could reach another host, run a program, read or write another file, or
/// run code at restore time:
///
/// - any psql meta-command (`\connect`, `\!`, `\copy`, `\i`, `\ir`, `\o`, `\g`,
///   `\set`, …) outside quotes and comments, anywhere on a line; only pg_dump's
///   own `\restrict KEY` / `\unrestrict KEY` are accepted. A line that starts
///   with a meta-command inside a comment, string or dollar quote is refused
///   too: another reader could see it as live.
/// - COPY … PROGRAM, COPY from or to a server file; only `COPY … FROM stdin`,
///   whose data block is read as data.
/// - statements pg_dump never writes that reach outside the database: foreign
///   servers, user mappings, subscriptions, dblink/fdw/adminpack/untrusted
///   language extensions, C or untrusted-language functions, LOAD, ALTER
///   SYSTEM, roles, databases, tablespaces, DO blocks, and SELECT/CALL of
///   anything but the catalogue functions pg_dump uses.
package struct DumpSQLGuard {
    package enum State: Equatable {
        case normal, lineComment, blockComment(Int), single(escapes: Bool), double, dollar([UInt8]), copyData
    }

    package let shown: String
    package var state = State.normal
    package var line = 1
    package var atLineStart = true
    package var statementLine = 1
    /// The statement outside quotes and comments, upper-cased, white space
    /// collapsed, each literal as '?' (bounded: the keywords are at its start).
    package var skeleton: [UInt8] = []
    package var previous: UInt8 = 0
    /// The byte before `previous`: an `E` opens an escape string only as a
    /// token of its own, not as the end of a word (`name'\'` is the type
    /// `name` and a standard string, red team D-F4).
    package var beforePrevious: UInt8 = 0
    package var pendingDollar: [UInt8]?
    package var statements = 0

    package init(shown: String) { self.shown = shown }

    package func refuse(_ what: String, at line: Int) -> RehearseError {
        RehearseError.refused("Refused: the dump \(RunFolder.display(shown)) at line \(line) \(what). A dump clone may only create and fill objects in its own scratch database; nothing from this dump was restored.")
    }

    package var pendingLine: [UInt8] = []

    /// Takes any chunk; checks whole lines, so nothing the guard looks ahead
    /// at (a closing dollar tag, `--`, `/*`) is ever split by a read boundary.
    package mutating func feed(_ chunk: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < chunk.count, let hit = memchr(chunk.baseAddress! + start, 0x0a, chunk.count - start) {
            let end = UnsafeRawPointer(hit) - chunk.baseAddress! + 1
            pendingLine.append(contentsOf: chunk[start..<end])
            try pendingLine.withUnsafeBytes { try feedLine($0) }
            pendingLine.removeAll(keepingCapacity: true)
            start = end
        }
        pendingLine.append(contentsOf: chunk[start..<chunk.count])
        if pendingLine.count > SecretScanner.maxLine {
            throw refuse("is longer than \(SecretScanner.maxLine >> 20) MiB on one line, so it cannot be checked whole", at: line)
        }
    }

    /// For a restore: each statement's text with the line it starts at, each
    /// COPY data line (with its newline), and the end of each COPY block.
    package var onStatement: ((_ sql: String, _ line: Int, _ skeleton: String) throws -> Void)?
    package var onCopyLine: ((UnsafeRawBufferPointer) throws -> Void)?
    package var onCopyEnd: (() throws -> Void)?
    /// The statement's raw bytes so far (only collected for a restore).
    package var statementText: [UInt8] = []
    package var segmentStart = 0
    package var currentLine: UnsafeRawBufferPointer?

    package mutating func feedLine(_ bytes: UnsafeRawBufferPointer) throws {
        if state == .copyData {
            // A whole line of COPY data, or the \. that ends it.
            let content = bytes.count > 0 && bytes[bytes.count - 1] == 0x0a ? UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 1)]) : bytes
            if content.elementsEqual(Array("\\.".utf8)) {
                state = .normal
                try onCopyEnd?()
            } else {
                try onCopyLine?(bytes)
            }
            line += 1; atLineStart = true; beforePrevious = 0x0a; previous = 0x0a
            return
        }
        segmentStart = 0
        currentLine = bytes
        defer {
            currentLine = nil
            if onStatement != nil, segmentStart < bytes.count, state != .copyData { statementText += bytes[segmentStart..<bytes.count] }
        }
        var i = 0
        while i < bytes.count {
            if state == .copyData {
                // the rest of the COPY statement's line is not data
                segmentStart = bytes.count
                line += 1; atLineStart = true; beforePrevious = 0x0a; previous = 0x0a
                return
            }
            let b = bytes[i]
            let startOfLine = atLineStart
            atLineStart = b == 0x0a
            defer { if b == 0x0a { line += 1 }; beforePrevious = previous; previous = b }
            switch state {
            case .copyData:
                break  // handled line by line above
            case .lineComment:
                if startOfLine, b == 92 { throw refuse("has a line starting with a backslash inside a comment (a hidden meta-command)", at: line) }
                if b == 0x0a { state = .normal }
            case .blockComment(let depth):
                if startOfLine, b == 92 { throw refuse("has a line starting with a backslash inside a comment (a hidden meta-command)", at: line) }
                if b == 0x2a, i + 1 < bytes.count, bytes[i + 1] == 0x2f { state = depth > 1 ? .blockComment(depth - 1) : .normal; i += 1 }
                else if b == 0x2f, i + 1 < bytes.count, bytes[i + 1] == 0x2a { state = .blockComment(depth + 1); i += 1 }
            case .single(let escapes):
                if startOfLine, b == 92 { throw refuse("has a line starting with a backslash inside a string (a hidden meta-command)", at: line) }
                if escapes, b == 92 { i += 1 } else if b == 39 {
                    if i + 1 < bytes.count, bytes[i + 1] == 39 { i += 1 } else { state = .normal }
                }
            case .double:
                if b == 34 { state = .normal }
            case .dollar(let tag):
                if startOfLine, b == 92 { throw refuse("has a line starting with a backslash inside a dollar-quoted body (a hidden meta-command)", at: line) }
                if b == 36, i + tag.count <= bytes.count, Array(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + tag.count)])) == tag {
                    state = .normal; i += tag.count - 1
                }
            case .normal:
                try normal(b, bytes, &i)
            }
            i += 1
        }
    }

    /// A byte that continues an identifier or keyword (letters, digits, `_`,
    /// `$`, and every byte of a multi-byte character), as the server's lexer reads them.
    package static func isWordByte(_ b: UInt8) -> Bool {
        b == 95 || b == 36 || b >= 0x80 || (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b)
    }

    package mutating func normal(_ b: UInt8, _ bytes: UnsafeRawBufferPointer, _ i: inout Int) throws {
        func next(_ k: Int) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }
        switch b {
        // A comment separates words as white space does (ALTER/**/DATABASE is ALTER DATABASE).
        case 45 where next(1) == 45: state = .lineComment; space()
        case 47 where next(1) == 42: state = .blockComment(1); i += 1; space()
        case 39:
            let escapes = (previous == 69 || previous == 101) && !Self.isWordByte(beforePrevious)
            state = .single(escapes: escapes); append(Array("'?'".utf8))
        case 34: state = .double; append([34])
        case 36:
            // $tag$ … $tag$ (a tag is letters, digits, underscores; not a $1 parameter)
            var j = i + 1
            while j < bytes.count, bytes[j] == 95 || (65...90).contains(bytes[j]) || (97...122).contains(bytes[j]) || ((48...57).contains(bytes[j]) && j > i + 1) { j += 1 }
            if j < bytes.count, bytes[j] == 36 {
                state = .dollar(Array(UnsafeRawBufferPointer(rebasing: bytes[i...j])))
                append(Array("'?'".utf8)); i = j
            } else {
                append([b])
            }
        case 92:
            try metaCommand(bytes, &i)
        case 59:
            if onStatement != nil, let l = currentLine {
                statementText += l[segmentStart...i]
                segmentStart = i + 1
            }
            try endStatement()
        case 0x0a, 0x0d, 0x09, 0x20, 0x0b, 0x0c:
            space()
        default:
            if skeleton.isEmpty { statementLine = line }
            append([(97...122).contains(b) ? b - 32 : b])
        }
    }

    package mutating func space() {
        if skeleton.last != 32 && !skeleton.isEmpty { append([32]) }
    }

    package mutating func append(_ bytes: [UInt8]) {
        if skeleton.count < 4096 { skeleton += bytes }
    }

    /// A backslash outside quotes: a psql meta-command. Only pg_dump's
    /// `\restrict` / `\unrestrict` (which themselves disable meta-commands) pass.
    package mutating func metaCommand(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) throws {
        var j = i + 1
        var word: [UInt8] = []
        while j < bytes.count, bytes[j] != 0x0a, bytes[j] != 0x20, bytes[j] != 0x09, word.count < 32 { word.append(bytes[j]); j += 1 }
        let name = String(decoding: word, as: UTF8.self)
        guard (name == "restrict" || name == "unrestrict"), skeleton.isEmpty else {
            // Only a known command's name is shown: the text after a backslash could be a secret.
            let known = ["connect", "c", "!", "copy", "i", "ir", "include", "include_relative", "o", "out", "g", "gexec", "gset", "set", "setenv", "cd", "w", "write",
                         "lo_import", "lo_export", "e", "edit", "ef", "ev", "s", "unset", "password", "getenv", "if", "elif", "else", "endif", "gx", "bind", "q"]
            let shown = known.contains(name) ? "\\" + name : "(a backslash command)"
            throw refuse("has the psql meta-command \(shown): meta-commands can connect elsewhere, run programs or read and write files, and rehearse runs none", at: line)
        }
        while j < bytes.count, bytes[j] != 0x0a { j += 1 }
        // pg_dump's \restrict line is for psql, not the server
        if onStatement != nil, let l = currentLine {
            statementText += l[segmentStart..<i]
            segmentStart = min(j + 1, l.count)
        }
        i = j - 1
    }

    package mutating func endStatement() throws {
        let text = String(decoding: skeleton, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        skeleton.removeAll(keepingCapacity: true)
        guard !text.isEmpty else { statementText.removeAll(keepingCapacity: true); return }
        statements += 1
        if let why = Self.forbidden(text) { throw refuse(why, at: statementLine) }
        if onStatement != nil {
            let sql = String(decoding: statementText, as: UTF8.self)
            statementText.removeAll(keepingCapacity: true)
            try onStatement?(sql, statementLine, text)
        }
        if text.hasPrefix("COPY ") { state = .copyData }
    }

    package static let untrustedExtensions = ["DBLINK", "POSTGRES_FDW", "FILE_FDW", "ADMINPACK", "PLPYTHON3U", "PLPYTHONU", "PLPYTHON2U", "PLPERLU", "PLTCLU", "PLSH", "LO"]
    /// pg_dump's calls, as skeletons without spaces (literals are '?').
    package static let allowedCalls = [#"PG_CATALOG\.SET_CONFIG\('\?','\?',(FALSE|TRUE)\)"#, #"PG_CATALOG\.SETVAL\('\?',[0-9]+,(FALSE|TRUE)\)"#]

    /// Why a statement (its skeleton) is refused, or nil.
    package static func forbidden(_ s: String) -> String? {
        let words = s.split(separator: " ").map(String.init)
        func starts(_ p: String) -> Bool { s.hasPrefix(p) }
        if starts("COPY ") {
            if words.contains("PROGRAM") { return "has COPY … PROGRAM, which runs a program on the server" }
            guard s.hasSuffix("FROM STDIN") || s.contains(" FROM STDIN ") else { return "has a COPY that reads or writes a server file or standard output; a dump clone accepts only COPY … FROM stdin" }
            return nil
        }
        if starts("CREATE SERVER") || starts("CREATE FOREIGN") || starts("IMPORT FOREIGN") || starts("CREATE USER MAPPING") || starts("ALTER SERVER") || starts("ALTER USER MAPPING") {
            return "defines a foreign server or mapping, which can reach another host"
        }
        if starts("CREATE SUBSCRIPTION") || starts("ALTER SUBSCRIPTION") { return "creates a subscription, which connects to another server" }
        if starts("CREATE EXTENSION") {
            if let name = words.drop(while: { $0 != "EXTENSION" }).dropFirst().first(where: { !["IF", "NOT", "EXISTS"].contains($0) }),
               untrustedExtensions.contains(name.replacingOccurrences(of: "\"", with: "").uppercased()) {
                return "creates the extension \(name.lowercased()), which can reach other hosts, files or programs"
            }
            return nil
        }
        if (starts("CREATE FUNCTION") || starts("CREATE OR REPLACE FUNCTION") || starts("CREATE PROCEDURE") || starts("CREATE OR REPLACE PROCEDURE")),
           let lang = words.firstIndex(of: "LANGUAGE").map({ words.indices.contains($0 + 1) ? words[$0 + 1] : "" }),
           ["C", "INTERNAL", "PLPYTHON3U", "PLPYTHONU", "PLPERLU", "PLTCLU", "PLSH"].contains(lang) {
            return "creates a function in language \(lang.lowercased()), which can load libraries or run untrusted code"
        }
        if starts("LOAD ") || starts("ALTER SYSTEM") { return "changes the server (\(words.prefix(2).joined(separator: " ")))" }
        for p in ["CREATE ROLE", "ALTER ROLE", "CREATE USER", "ALTER USER", "DROP ROLE", "DROP USER", "CREATE DATABASE", "ALTER DATABASE", "DROP DATABASE",
                  "CREATE TABLESPACE", "ALTER TABLESPACE", "CREATE GROUP", "ALTER GROUP", "SET ROLE", "SET SESSION AUTHORIZATION", "RESET ROLE", "CHECKPOINT", "VACUUM"] where starts(p) {
            return "has \(p), which acts outside the scratch database or changes identity"
        }
        // Turning standard strings off would make the server read backslashes
        // in '…' differently from how this guard split the statements.
        if (starts("SET STANDARD_CONFORMING_STRINGS") || starts("SET SESSION STANDARD_CONFORMING_STRINGS")) && (s.hasSuffix(" OFF") || s.hasSuffix("'?'")) {
            return "turns standard_conforming_strings off, which would make the server split strings differently from rehearse's check"
        }
        // pg_dump --inserts writes INSERT … VALUES only; INSERT … SELECT runs queries
        // (and hides values from the secret scan's column tracking).
        if starts("INSERT ") && (!words.contains(where: { $0.hasPrefix("VALUES") }) || s.range(of: #"\bSELECT\b"#, options: .regularExpression) != nil) {
            return "has an INSERT that is not INSERT … VALUES, which pg_dump never writes"
        }
        if starts("DO ") || s == "DO" { return "has a DO block, which runs code at restore time" }
        if starts("SELECT ") || starts("CALL ") || starts("EXECUTE ") {
            let body = s.replacingOccurrences(of: " ", with: "")
            // Exactly one of pg_dump's own calls, whole: nothing after it.
            if starts("SELECT "), allowedCalls.contains(where: { body.range(of: "^SELECT" + $0 + "$", options: .regularExpression) != nil }) { return nil }
            return "runs \(words[0]) \(words.dropFirst().prefix(2).joined(separator: " ")): a dump clone's restore calls no functions but pg_dump's own catalogue ones"
        }
        return nil
    }

    package mutating func finish() throws {
        if !pendingLine.isEmpty {
            let rest = pendingLine + [0x0a]
            pendingLine = []
            try rest.withUnsafeBytes { try feedLine($0) }
        }
        if case .copyData = state { throw refuse("ends inside COPY data (no \\. line): a truncated dump", at: line) }
        if state != .normal && state != .lineComment { throw refuse("ends inside a string, comment or dollar quote: a truncated or malformed dump", at: line) }
        try endStatement()
    }
}
