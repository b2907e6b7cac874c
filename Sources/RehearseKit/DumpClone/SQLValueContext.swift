import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Follows a SQL dump line by line just far enough to say which table and
/// column each value belongs to, for the secret scan: column lists from
/// CREATE TABLE, then the fields of COPY … FROM stdin blocks and the values of
/// INSERT … VALUES. Anything else is one value with no column. It never
/// rejects input; a line it does not understand is scanned as free text.
package struct SQLValueContext {
    package struct Value {
        package var column: String?
        package var columnName: String
        package var value: ArraySlice<UInt8>
        /// A COPY text-format field, whose escapes the server decodes.
        package var isCopyField = false
        /// Where the text `value` slices begins in the scanned SQL (byte
        /// offset and line number): the line, or an INSERT's first line.
        package var origin = Origin(offset: 0, line: 0)
        /// Line ends in that text before the value.
        package var linesBefore = 0

        /// The byte offset in the scanned SQL of index `i` of the text
        /// `value` slices.
        package func offset(of i: Int) -> Int { origin.offset + i }
        /// The line the value starts on.
        package var line: Int { origin.line + linesBefore }
    }

    package struct Origin: Equatable {
        package var offset: Int
        package var line: Int
    }

    package var columns: [String: [String]] = [:]
    package var copyTarget: (table: String, columns: [String])?
    package var creating: String?
    package var pendingInsert: [UInt8]?
    /// Where the pending INSERT began.
    package var pendingOrigin = Origin(offset: 0, line: 0)
    package static let maxInsert = 4 << 20

    /// What is left when the text ends inside an INSERT, as free text.
    package mutating func finish() -> [Value] {
        guard let pending = pendingInsert else { return [] }
        pendingInsert = nil
        return [Value(column: nil, columnName: "", value: pending[...], origin: pendingOrigin)]
    }

    /// The values of one line of SQL text (without its line end), which
    /// begins at `origin` in the scanned text.
    package mutating func values(in line: [UInt8], origin: Origin = Origin(offset: 0, line: 0)) -> [Value] {
        let values = values(in: line, at: origin)
        return values.map { v in var v = v; if v.origin == Origin(offset: 0, line: 0) { v.origin = origin }; return v }
    }

    private mutating func values(in line: [UInt8], at origin: Origin) -> [Value] {
        let all = line[...]
        if let target = copyTarget {
            if line == Array("\\.".utf8) { copyTarget = nil; return [] }
            var out: [Value] = []
            var start = 0, field = 0
            for i in 0...line.count where i == line.count || line[i] == 9 {
                let name = field < target.columns.count ? target.columns[field] : "column\(field + 1)"
                out.append(Value(column: "\(target.table).\(name)", columnName: name, value: all[start..<i], isCopyField: true))
                start = i + 1; field += 1
            }
            return out
        }
        if var pending = pendingInsert {
            // An INSERT whose values span lines: scanned whole when it ends.
            pending += line + [0x0a]
            if pending.count > Self.maxInsert {
                pendingInsert = nil
                return [Value(column: nil, columnName: "", value: pending[...], origin: pendingOrigin)]
            }
            let whole = String(decoding: pending, as: UTF8.self)
            if whole.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(";"), let values = insertValues(whole, pending) {
                pendingInsert = nil
                return values.map { var v = $0; v.origin = pendingOrigin; return v }
            }
            pendingInsert = pending
            return []
        }
        let text = String(decoding: line, as: UTF8.self)
        if let table = creating {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(")") { creating = nil } else if let name = Self.columnDefinitionName(trimmed) { columns[table, default: []].append(name) }
            return [Value(column: nil, columnName: "", value: all)]
        }
        let upper = text.uppercased()
        if upper.hasPrefix("CREATE ") && upper.contains(" TABLE ") {
            startCreate(text)
        } else if upper.hasPrefix("COPY "), upper.hasSuffix(" FROM STDIN;") {
            let rest = text.dropFirst(5)
            let name = Self.unquote(String(rest.prefix { $0 != " " && $0 != "(" }))
            var cols: [String] = []
            if let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")"), open < close {
                cols = Self.splitTopLevel(String(rest[rest.index(after: open)..<close])).map { Self.unquote($0.trimmingCharacters(in: .whitespaces)) }
            } else {
                cols = lookup(name)
            }
            copyTarget = (name, cols)
            return []
        } else if upper.hasPrefix("INSERT INTO ") {
            if text.trimmingCharacters(in: .whitespaces).hasSuffix(";"), let values = insertValues(text, line) { return values }
            pendingInsert = line + [0x0a]
            pendingOrigin = origin
            return []
        }
        return [Value(column: nil, columnName: "", value: all)]
    }

    package func lookup(_ table: String) -> [String] {
        columns[table] ?? columns["public." + table] ?? (table.hasPrefix("public.") ? columns[String(table.dropFirst(7))] : nil) ?? []
    }

    package mutating func startCreate(_ text: String) {
        guard let tableRange = text.range(of: " TABLE ", options: .caseInsensitive) else { return }
        var rest = text[tableRange.upperBound...].trimmingCharacters(in: .whitespaces)
        if rest.uppercased().hasPrefix("IF NOT EXISTS ") { rest = String(rest.dropFirst(14)).trimmingCharacters(in: .whitespaces) }
        let name = Self.unquote(String(rest.prefix { $0 != " " && $0 != "(" }))
        guard let open = rest.firstIndex(of: "(") else { return }
        let body = rest[rest.index(after: open)...]
        if let close = body.lastIndex(of: ")") {
            columns[name] = Self.splitTopLevel(String(body[..<close])).compactMap { Self.columnDefinitionName($0.trimmingCharacters(in: .whitespaces)) }
        } else {
            columns[name] = []
            creating = name
        }
    }

    /// The column an entry of a CREATE TABLE body defines, or nil for a constraint.
    package static func columnDefinitionName(_ entry: String) -> String? {
        let first = entry.hasPrefix("\"") ? String(entry.dropFirst().prefix { $0 != "\"" }) : String(entry.prefix { $0 != " " && $0 != "\t" && $0 != "," })
        if first.isEmpty { return nil }
        if !entry.hasPrefix("\""), ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "LIKE"].contains(first.uppercased()) { return nil }
        return first
    }

    /// INSERT INTO name [(cols)] VALUES (…)[, (…)]…; nil when the line is not one whole statement.
    package func insertValues(_ text: String, _ line: [UInt8]) -> [Value]? {
        let rest = text.dropFirst(12)
        let name = Self.unquote(String(rest.prefix { $0 != " " && $0 != "(" }))
        guard let valuesRange = rest.range(of: " VALUES", options: .caseInsensitive) ?? rest.range(of: "VALUES(", options: .caseInsensitive) else { return nil }
        let head = rest[..<valuesRange.lowerBound]
        var cols = lookup(name)
        if let open = head.firstIndex(of: "("), let close = head.lastIndex(of: ")"), open < close {
            cols = Self.splitTopLevel(String(head[head.index(after: open)..<close])).map { Self.unquote($0.trimmingCharacters(in: .whitespaces)) }
        }
        // Walk the tuples over bytes, so value slices point into the line.
        let startByte = line.count - text[valuesRange.lowerBound...].utf8.count
        var out: [Value] = []
        var i = startByte, depth = 0, field = 0, fieldStart = -1
        var inQuote = false, escapes = false
        var newlines = line[..<startByte].reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }, fieldLines = 0
        while i < line.count {
            let b = line[i]
            if b == 0x0a { newlines += 1 }
            if inQuote {
                // E'…' strings: a backslash escapes the next byte (E'a\'b')
                if escapes, b == 92 { i += 2; continue }
                if b == 39 { if i + 1 < line.count, line[i + 1] == 39 { i += 2; continue }; inQuote = false }
            } else if b == 45, i + 1 < line.count, line[i + 1] == 45 {
                // A comment is not a string: `--'` must not open one (D-F4).
                while i < line.count, line[i] != 0x0a { i += 1 }
                continue
            } else if b == 47, i + 1 < line.count, line[i + 1] == 42 {
                var nest = 0
                while i + 1 < line.count {
                    if line[i] == 47, line[i + 1] == 42 { nest += 1; i += 2; continue }
                    if line[i] == 42, line[i + 1] == 47 { nest -= 1; i += 2; if nest == 0 { break }; continue }
                    if line[i] == 0x0a { newlines += 1 }
                    i += 1
                }
                continue
            } else if b == 39 {
                inQuote = true
                // E'…' only where the E is a token of its own (not `name'\'`: D-F4)
                escapes = i > 0 && (line[i - 1] == 69 || line[i - 1] == 101) && (i < 2 || !DumpSQLGuard.isWordByte(line[i - 2]))
            } else if b == 40 {
                depth += 1
                if depth == 1 { fieldStart = i + 1; field = 0; fieldLines = newlines }
            } else if (b == 44 && depth == 1) || (b == 41 && depth == 1) {
                let name = field < cols.count ? cols[field] : "column\(field + 1)"
                let literal = Self.stripLiteral(line[fieldStart..<i])
                let before = fieldLines + line[fieldStart..<literal.startIndex].reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
                out.append(Value(column: nil, columnName: name, value: literal, linesBefore: before))
                field += 1; fieldStart = i + 1; fieldLines = newlines
                if b == 41 { depth -= 1 }
            } else if b == 41 {
                depth -= 1
            }
            i += 1
        }
        if inQuote { return nil }
        return out.map { var v = $0; v.column = "\(name).\(v.columnName)"; return v }
    }

    /// A literal's content: quotes (and E prefix, ::cast) removed, white space trimmed.
    package static func stripLiteral(_ v: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = v
        while let f = s.first, f == 32 || f == 9 { s = s.dropFirst() }
        while let l = s.last, l == 32 || l == 9 { s = s.dropLast() }
        if let f = s.first, f == 69 || f == 101, s.dropFirst().first == 39 { s = s.dropFirst() }
        if s.first == 39, let close = s.dropFirst().lastIndex(of: 39) { return s[(s.startIndex + 1)..<close] }
        return s
    }

    package static func unquote(_ s: String) -> String {
        s.split(separator: ".", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("\"") && part.hasSuffix("\"") && part.count >= 2 ? String(part.dropFirst().dropLast()) : String(part)
        }.joined(separator: ".")
    }

    /// Splits at commas outside parentheses and quotes.
    package static func splitTopLevel(_ s: String) -> [String] {
        var out: [String] = [], current = "", depth = 0
        var quote: Character?
        for ch in s {
            if let q = quote { current.append(ch); if ch == q { quote = nil }; continue }
            switch ch {
            case "'", "\"": quote = ch; current.append(ch)
            case "(": depth += 1; current.append(ch)
            case ")": depth -= 1; current.append(ch)
            case "," where depth == 0: out.append(current); current = ""
            default: current.append(ch)
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current) }
        return out
    }
}
