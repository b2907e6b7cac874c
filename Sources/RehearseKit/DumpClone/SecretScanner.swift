import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// One secret found: where and by which rule, and a fingerprint that binds the
/// rule, the place and a hash of the value. The value itself is never kept.
package struct SecretFinding: Sendable, Equatable {
    package var rule: String
    /// `schema.table.column` when the value sits in COPY data or an INSERT, else nil.
    package var column: String?
    /// The line the value starts on.
    package var line: Int
    /// Offset of the value's first byte (of the match itself where the rule
    /// matched the text as written) in the scanned SQL text: the dump's own
    /// bytes for a plain dump, pg_restore's rendering for an archive.
    package var byteOffset: Int
    package var fingerprint: String
    /// The offsets count in pg_restore's rendering of an archive, not in its file.
    package var inRendering = false
    /// For a value read from an SQLite table: its row (1-based, in the
    /// table's rowid order); line and byte offset then mean nothing.
    package var row: Int?

    package var location: String {
        if let row { return (column.map { "\($0), " } ?? "") + "row \(row)" }
        return (column.map { "\($0), " } ?? "") + "line \(line), byte \(byteOffset)" + (inRendering ? " of pg_restore's rendering" : "")
    }

    package var json: JSONValue {
        ["rule": .string(rule), "column": column.map { .string($0) } ?? .null,
         "line": row == nil ? .integer(Int64(line)) : .null, "byte_offset": row == nil ? .integer(Int64(byteOffset)) : .null,
         "row": row.map { .integer(Int64($0)) } ?? .null, "fingerprint": .string(fingerprint),
         "offsets_in": .string(row != nil ? "table" : inRendering ? "rendering" : "dump")]
    }
}

/// A reviewed list of finding fingerprints that are not secrets. Because a
/// fingerprint includes the value's hash, an allowlisted line cannot hide a
/// different value at the same place.
package struct SecretAllowlist: Sendable {
    package var fingerprints: Set<String>
    package var digest: String?

    package static let none = SecretAllowlist(fingerprints: [], digest: nil)

    package init(fingerprints: Set<String>, digest: String?) {
        self.fingerprints = fingerprints
        self.digest = digest
    }

    /// One fingerprint per line (64 lowercase hex digits), optionally followed
    /// by white space and a `#` comment; blank and `#` lines are ignored.
    package init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file), data.count <= 16 << 20 else {
            throw RehearseError.badInput("Cannot read the allowlist \(RunFolder.display(file)): it is missing, unreadable or larger than 16 MiB.")
        }
        var set = Set<String>()
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            guard Digest.isSHA256Hex(line) else {
                throw RehearseError.badInput("\(RunFolder.display(file)):\(n + 1): not a finding fingerprint (64 lowercase hex digits, as 'rehearse scan' prints them).")
            }
            set.insert(line)
        }
        self.init(fingerprints: set, digest: Digest.sha256Hex(data))
    }
}

/// What a scan found, and what the evidence records of it.
package struct SecretScanReport: Sendable {
    package var findings: [SecretFinding]
    /// Findings beyond the first ``SecretScanner/maxReported`` are counted, not listed.
    package var findingCount: Int
    package var suppressedCount: Int
    package var bytesScanned: Int
    package var allowlistDigest: String?

    package var isClean: Bool { findingCount == 0 }

    package var evidenceJSON: JSONValue {
        ["scanner_version": .string(SecretRules.scannerVersion), "rules_digest": .string(SecretRules.digest),
         "finding_count": .integer(Int64(findingCount)), "suppressed_count": .integer(Int64(suppressedCount)),
         "allowlist_digest": allowlistDigest.map { .string($0) } ?? .null, "bytes_scanned": .integer(Int64(bytesScanned))]
    }

    /// The refusal for a dump with findings: rule and place, never a value.
    package func refusal(_ dump: String) -> RehearseError {
        var lines = ["Refused: the dump \(RunFolder.display(dump)) is not secret-free: \(findingCount) finding(s). Nothing was restored. Remove the secrets from the dump (or, for reviewed false positives, list their fingerprints in an --allowlist file) and ask for a grant for the cleaned dump."]
        for f in findings.prefix(20) { lines.append("  \(f.rule) at \(f.location) fingerprint \(f.fingerprint)") }
        if findingCount > 20 { lines.append("  … and \(findingCount - 20) more ('rehearse scan' lists them)") }
        return RehearseError(.refused, lines.joined(separator: "\n"))
    }
}

/// Streams SQL text (a plain pg_dump, or an archive rendered by `pg_restore
/// -f -`), whole lines at a time: a read boundary never splits what a rule
/// looks at, because the partial line is carried into the next window. It
/// follows just enough SQL to know which table and column a value belongs to:
/// CREATE TABLE column lists, COPY … FROM stdin blocks, and INSERTs.
package struct SecretScanner {
    package static let maxLine = 64 << 20
    package static let maxReported = 1000

    package let allowlist: SecretAllowlist
    package var pending: [UInt8] = []
    package var offset = 0
    package var lineNumber = 0
    package var findings: [SecretFinding] = []
    package var count = 0
    package var suppressed = 0
    package var context = SQLValueContext()
    /// String constants of the SQL text (not COPY data) as the server reads them.
    package var literals = SQLLiteralDecoder()
    /// The text scanned is pg_restore's rendering of an archive.
    package var rendered = false
    /// Where the finding being recorded sits.
    package var at = SQLValueContext.Origin(offset: 0, line: 0)
    /// The SQLite row of the value being scanned, if it is one.
    package var atRow: Int?

    package init(allowlist: SecretAllowlist = .none, rendered: Bool = false) {
        self.allowlist = allowlist
        self.rendered = rendered
    }

    /// Adds bytes; scans every line they complete.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count, let hit = memchr(bytes.baseAddress! + start, 0x0a, bytes.count - start) {
            let i = UnsafeRawPointer(hit) - bytes.baseAddress!
            pending.append(contentsOf: bytes[start..<i])
            try line()
            start = i + 1
        }
        pending.append(contentsOf: bytes[start..<bytes.count])
        guard pending.count <= Self.maxLine else {
            throw RehearseError.refused("Refused: the secret scan could not finish: line \(lineNumber + 1) is longer than \(Self.maxLine >> 20) MiB, so it cannot be scanned whole. Nothing was restored.")
        }
    }

    package mutating func feed(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    package mutating func finish() throws -> SecretScanReport {
        if !pending.isEmpty { try line() }
        scanDecoded(literals.finish())
        for v in context.finish() {
            at = SQLValueContext.Origin(offset: v.offset(of: v.value.startIndex), line: v.line)
            for (rule, range) in SecretRules.shapeMatches(v.value) { record(rule: rule, column: nil, value: v.value[range]) }
            for r in Self.pemHeaders(v.value) + Self.assignments(v.value) { record(rule: r.rule, column: nil, value: v.value[r.range]) }
        }
        return SecretScanReport(findings: findings, findingCount: count, suppressedCount: suppressed, bytesScanned: offset,
                                allowlistDigest: allowlist.digest)
    }

    /// Client encodings in which a byte that reads as `\\` or `'` in ASCII can
    /// be the second byte of a character: a byte-wise scan mis-reads their
    /// escapes and quotes (red team D-F6 hid a key in an SJIS dump).
    package static let unsafeEncodings: Set<String> = ["sjis", "shiftjis", "shiftjis2004", "mskanji", "win932", "windows932", "cp932",
                                                      "big5", "win950", "windows950", "cp950", "gbk", "win936", "windows936", "cp936",
                                                      "uhc", "win949", "windows949", "cp949", "gb18030", "johab"]

    /// Lines left in which an encoding named by a statement that began on
    /// an earlier line (`SET client_encoding` / `TO 'SJIS'`) still counts.
    package var encodingLines = 0

    /// Refuses a dump that sets, in any spelling the server accepts
    /// (`SET client_encoding = … | TO …`, `SET NAMES`, `set_config(…)`, a
    /// statement over several lines, an alias with punctuation: the server
    /// ignores all but letters and digits), a client encoding the scan
    /// cannot read byte by byte.
    package mutating func checkEncoding(_ text: [UInt8]) throws {
        if text.count > 65_536 { return }
        let lower = String(decoding: text, as: UTF8.self).lowercased()
        let trimmed = lower.drop { $0 == " " || $0 == "\t" }
        if lower.contains("client_encoding") || trimmed.hasPrefix("set names") || trimmed.hasPrefix("set session names")
            || trimmed.hasPrefix("set local names") {
            encodingLines = 3
        }
        guard encodingLines > 0 else { return }
        encodingLines -= 1
        let words = lower.split { !($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
        for word in words {
            let name = String(word.filter { $0.isLetter || $0.isNumber })
            if Self.unsafeEncodings.contains(name) {
                throw RehearseError.refused("Refused: the dump sets client_encoding '\(RunFolder.display(String(word)))' (line \(lineNumber)), an encoding in which a byte that reads as a backslash or a quote can be part of a character, so the secret scan cannot read its values reliably. Dump it again with --encoding=UTF8. Nothing was restored.")
            }
        }
    }

    package mutating func line() throws {
        lineNumber += 1
        let text = pending
        try checkEncoding(text)
        pending.removeAll(keepingCapacity: true)
        defer { offset += text.count + 1 }
        var hits: [(rule: String, column: String?, value: ArraySlice<UInt8>, at: SQLValueContext.Origin)] = []
        // COPY data is data, not SQL: its escapes are decoded per field below.
        if context.copyTarget == nil { scanDecoded(literals.feed(line: text, offset: offset, number: lineNumber)) }
        for v in context.values(in: text, origin: .init(offset: offset, line: lineNumber)) {
            // What the server stores, not the escaped text: COPY fields are
            // decoded (\xHH, \OOO, \n, \p → p), and a bytea's hex is decoded too.
            let value = v.isCopyField ? SecretDecoding.copyField(v.value) : v.value
            let start = SQLValueContext.Origin(offset: v.offset(of: v.value.startIndex), line: v.line)
            // A match in the text as written is placed exactly; one in a
            // decoded form at its value's start.
            func place(_ form: ArraySlice<UInt8>, _ range: Range<Int>) -> SQLValueContext.Origin {
                guard form.startIndex == v.value.startIndex, form.endIndex == v.value.endIndex, form.elementsEqual(v.value) else { return start }
                return SQLValueContext.Origin(offset: v.offset(of: range.lowerBound), line: start.line + v.value[..<range.lowerBound].reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) })
            }
            if let column = v.column, SecretRules.isSecretColumn(v.columnName), !SecretRules.isHarmlessValue(value) {
                hits.append(("sensitive_column", column, value, start))
            }
            for form in Self.forms(value) {
                for (rule, range) in SecretRules.shapeMatches(form) { hits.append((rule, v.column, form[range], place(form, range))) }
                for range in Self.pemHeaders(form) + Self.assignments(form) {
                    hits.append((range.rule, v.column, form[range.range], place(form, range.range)))
                }
            }
        }
        for h in hits { at = h.at; record(rule: h.rule, column: h.column, value: h.value) }
    }

    /// String constants whose value differs from their text as written
    /// (escapes, `U&` forms, joined constants): scanned as the server stores them.
    package mutating func scanDecoded(_ decoded: [SQLLiteralDecoder.Literal]) {
        for literal in decoded {
            at = SQLValueContext.Origin(offset: literal.offset, line: literal.line)
            for form in Self.forms(literal.value[...]) {
                for (rule, range) in SecretRules.shapeMatches(form) { record(rule: rule, column: nil, value: form[range]) }
                for r in Self.pemHeaders(form) + Self.assignments(form) { record(rule: r.rule, column: nil, value: form[r.range]) }
            }
        }
    }

    /// Scans one value known to sit in `table.column` (an SQLite table read
    /// directly), with the same rules as a COPY field.
    package mutating func value(table: String, column: String, bytes: UnsafeRawBufferPointer, row: Int) {
        at = SQLValueContext.Origin(offset: offset, line: row)
        atRow = row
        defer { atRow = nil }
        let value = Array(bytes)[...]
        let qualified = "\(table).\(column)"
        if SecretRules.isSecretColumn(column), !SecretRules.isHarmlessValue(value) { record(rule: "sensitive_column", column: qualified, value: value) }
        for form in Self.forms(value) {
            for (rule, range) in SecretRules.shapeMatches(form) { record(rule: rule, column: qualified, value: form[range]) }
            for r in Self.pemHeaders(form) + Self.assignments(form) { record(rule: r.rule, column: qualified, value: form[r.range]) }
        }
        offset += bytes.count
    }

    /// A value as stored and the forms it turns back into when read: a
    /// bytea's hex decoded, a JSON string's `\u` escapes decoded.
    package static func forms(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        [value] + [SecretDecoding.byteaHex(value), SecretDecoding.jsonEscapes(value)].compactMap { $0 }
    }

    package mutating func record(rule: String, column: String?, value: ArraySlice<UInt8>) {
        let fingerprint = Digest.sha256Hex(Array("\(SecretRules.scannerVersion)\0\(rule)\0\(column ?? "sql")\0\(Digest.sha256Hex(value))".utf8))
        if allowlist.fingerprints.contains(fingerprint) { suppressed += 1; return }
        count += 1
        if findings.count < Self.maxReported {
            findings.append(SecretFinding(rule: rule, column: column, line: at.line, byteOffset: at.offset, fingerprint: fingerprint, inRendering: rendered, row: atRow))
        }
    }

    /// `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED or
    /// none), also base64-encoded (`LS0tLS1CRUdJTi…`).
    package static func pemHeaders(_ t: ArraySlice<UInt8>) -> [(rule: String, range: Range<Int>)] {
        let begin = Array("-----BEGIN ".utf8), tail = Array("PRIVATE KEY-----".utf8)
        var out: [(String, Range<Int>)] = []
        if let b64 = SecretDecoding.base64PEM(t) { out.append(("pem_private_key", b64)) }
        var i = t.startIndex
        while i + begin.count <= t.endIndex {
            if t[i..<(i + begin.count)].elementsEqual(begin) {
                var j = i + begin.count
                while j < t.endIndex, j - i < 64, (65...90).contains(t[j]) || t[j] == 32 { j += 1 }
                let k = j - tail.count + "-----".utf8.count
                if j + 5 <= t.endIndex, k >= i + begin.count, t[k..<(k + tail.count)].elementsEqual(tail) {
                    // the value hashed is the rest of the line: the key body when it is on one line
                    out.append(("pem_private_key", i..<t.endIndex))
                    return out
                }
            }
            i += 1
        }
        return out
    }

    package static let assignmentWords = ["password", "passwd", "secret", "token", "api_key", "apikey"].map { Array($0.utf8) }

    /// `password = <token>` / `"secret": "<token>"` with a high-entropy
    /// token; also `PASSWORD '…'` role clauses.
    package static func assignments(_ t: ArraySlice<UInt8>) -> [(rule: String, range: Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        let lower = t.map { (65...90).contains($0) ? $0 + 32 : $0 }
        let base = t.startIndex
        for word in assignmentWords {
            var i = 0
            while i + word.count <= lower.count {
                guard lower[i..<(i + word.count)].elementsEqual(word) else { i += 1; continue }
                var j = i + word.count
                // PASSWORD '…' (CREATE/ALTER ROLE … PASSWORD 'x')
                if word == assignmentWords[0], j + 1 < lower.count, lower[j] == 32, lower[j + 1] == 39 {
                    let start = j + 2
                    var end = start
                    while end < lower.count, lower[end] != 39 { end += 1 }
                    if end > start { out.append(("role_password", (base + start)..<(base + end))) }
                }
                while j < lower.count, [34, 39, 32, 9].contains(lower[j]) { j += 1 }
                guard j < lower.count, lower[j] == 61 || lower[j] == 58 else { i += word.count; continue }
                j += 1
                while j < lower.count, [34, 39, 32, 9].contains(lower[j]) { j += 1 }
                var end = j
                while end < lower.count, SecretRules.isBase64(t[base + end]) || [45, 95, 46].contains(t[base + end]) { end += 1 }
                let token = t[(base + j)..<(base + end)]
                if token.count >= 16, SecretRules.entropy(token) >= 3.5 { out.append(("high_entropy_assignment", (base + j)..<(base + end))) }
                i = max(end, i + word.count)
            }
        }
        return out
    }
}
