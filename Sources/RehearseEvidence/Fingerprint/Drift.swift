import RehearseCore

/// The difference between two fingerprints: what rollback failed to restore
/// (pre → post), or what birth changed (pre → born, the birth surface).
public struct Drift: Sendable, Equatable {
    /// Schema objects added, removed or changed, in order of their keys.
    public var schema: [SchemaChange]
    /// Tables whose rows differ, in order of their names.
    public var data: [TableChange]

    /// True when neither schema nor data differ.
    public var isEmpty: Bool { schema.isEmpty && data.isEmpty }

    /// A drift of the given changes (none by default).
    public init(schema: [SchemaChange] = [], data: [TableChange] = []) {
        self.schema = schema
        self.data = data
    }

    /// Compares two fingerprints object by object and table by table. Row-level
    /// detail (which columns, how many rows) is filled in by the engine's
    /// drift locator, which can see the rows.
    public init(from before: Fingerprint, to after: Fingerprint) {
        var schema: [SchemaChange] = []
        for key in Set(before.objects.keys).union(after.objects.keys).sorted() {
            let a = before.objects[key], b = after.objects[key]
            if a == b { continue }
            let (kind, name) = SchemaChange.split(key)
            switch (a, b) {
            case (nil, let b?): schema.append(SchemaChange(kind: kind, name: name, change: .added, details: SchemaChange.describeAdded(kind: kind, name: name, b)))
            case (let a?, nil): schema.append(SchemaChange(kind: kind, name: name, change: .removed, details: SchemaChange.describeRemoved(kind: kind, a)))
            case let (a?, b?): schema.append(SchemaChange(kind: kind, name: name, change: .changed, details: SchemaChange.describe(kind: kind, a, b)))
            default: break
            }
        }
        var data: [TableChange] = []
        for table in Set(before.tables.keys).union(after.tables.keys).sorted() {
            let a = before.tables[table], b = after.tables[table]
            if a == b { continue }
            data.append(TableChange(table: table, rowsBefore: a?.rows, rowsAfter: b?.rows))
        }
        self.init(schema: schema, data: data)
    }

    /// The evidence form: `schema` and `data`, each a list.
    public var json: JSONValue {
        ["schema": .array(schema.map(\.json)), "data": .array(data.map(\.json))]
    }
}

/// One schema object that differs between two fingerprints.
public struct SchemaChange: Sendable, Equatable {
    /// Whether the object appeared, disappeared or differs.
    public enum Change: String, Sendable { case added, removed, changed }
    /// The object's kind, the first word of its fingerprint key (`table`, `index`, ...).
    public var kind: String
    /// The object's name, the rest of its fingerprint key.
    public var name: String
    /// Whether it was added, removed or changed.
    public var change: Change
    /// Human-readable differences, e.g. `column phone: position 5 → 7`.
    public var details: [String]

    package static func split(_ key: String) -> (String, String) {
        guard let space = key.firstIndex(of: " ") else { return ("object", key) }
        return (String(key[..<space]), String(key[key.index(after: space)...]))
    }

    /// Kinds whose objects are not definitions but state SQLite keeps for
    /// itself: ANALYZE's planner statistics and AUTOINCREMENT counters.
    package static let statisticsKind = "statistics", counterKind = "counter"

    package static func describeAdded(kind: String, name: String = "", _ b: JSONValue) -> [String] {
        if kind == "table", name == "sqlite_sequence" {
            return ["created by AUTOINCREMENT; SQLite never drops it once made"]
        }
        return switch kind {
        case statisticsKind: ["ANALYZE statistics left behind (\(render(b["rows"])) rows)"]
        case counterKind: ["AUTOINCREMENT counter left behind: sqlite_sequence \(render(b["sqlite_sequence"]))"]
        default: []
        }
    }

    package static func describeRemoved(kind: String, _ a: JSONValue) -> [String] {
        switch kind {
        case statisticsKind: ["ANALYZE statistics removed (had \(render(a["rows"])) rows)"]
        case counterKind: ["AUTOINCREMENT counter removed: sqlite_sequence was \(render(a["sqlite_sequence"]))"]
        default: []
        }
    }

    /// Names what differs between two descriptions, property by property
    /// (`property: before → after`): per column for tables, per key for
    /// foreign keys and unique constraints, element by element for lists.
    /// A `definition` is shown as a unified diff of its normalized text,
    /// unless a property that summarizes it (columns, keys) differs too.
    package static func describe(kind: String = "", _ a: JSONValue, _ b: JSONValue) -> [String] {
        if kind == statisticsKind {
            let rows = a["rows"] == b["rows"] ? "\(render(a["rows"])) rows, content differs" : "rows \(render(a["rows"])) → \(render(b["rows"]))"
            return ["ANALYZE statistics differ: \(rows)"]
        }
        guard let ao = a.objectValue, let bo = b.objectValue else { return ["definition changed"] }
        var out: [String] = []
        // A property whose two values print the same (`null` and a missing
        // key) is no change to report.
        let differing = Set(ao.keys).union(bo.keys).sorted().filter { ao[$0] != bo[$0] && render(ao[$0]) != render(bo[$0]) }
        // The whole definition is left out only where properties that
        // summarize it (columns, keys) already say what changed.
        let summarized = differing.contains { ["columns", "keys", "foreign_keys", "unique", "constraints"].contains($0) }
        for field in differing where field != "definition" || !summarized {
            let x = ao[field], y = bo[field]
            switch field {
            case "columns" where (x?.arrayValue.map { $0.allSatisfy { $0.objectValue != nil } } ?? false)
                && (y?.arrayValue.map { $0.allSatisfy { $0.objectValue != nil } } ?? false):
                out.append(contentsOf: describeColumns(x!.arrayValue!, y!.arrayValue!))
            case "foreign_keys":
                out.append(contentsOf: describeKeyed(x?.arrayValue ?? [], y?.arrayValue ?? [], label: "foreign key") { fk in
                    "(\(list(fk["columns"]))) → \(render(fk["references"])) (\(list(fk["referenced_columns"])))"
                })
            case "keys":
                out.append("keys: \(keyList(x)) → \(keyList(y))")
            case "unique":
                out.append(contentsOf: describeKeyed(x?.arrayValue ?? [], y?.arrayValue ?? [], label: "unique") { u in
                    "\(render(u["origin"])) (\(list(u["columns"])))"
                })
            default:
                if let xs = x?.arrayValue, let ys = y?.arrayValue, (xs + ys).allSatisfy({ $0.stringValue != nil }) {
                    out.append(contentsOf: describeList(field, xs, ys))
                } else if let xo = x?.objectValue, let yo = y?.objectValue {
                    for f in Set(xo.keys).union(yo.keys).sorted() where xo[f] != yo[f] && render(xo[f]) != render(yo[f]) {
                        out.append("\(field) \(f): \(render(xo[f])) → \(render(yo[f]))")
                    }
                } else if let xs = x?.stringValue, let ys = y?.stringValue, isLong(xs) || isLong(ys) {
                    out.append(contentsOf: diffLines(field, xs, ys))
                } else if render(x) != render(y) {
                    out.append("\(field): \(render(x)) → \(render(y))")
                }
            }
        }
        return out
    }

    /// A definition worth a diff rather than `before → after` on one line.
    private static func isLong(_ s: String) -> Bool { s.contains("\n") || s.count > 40 }

    /// Prefix of the lines of a definition's diff: the text report prints
    /// them one per line under their object (see Run.printSummary).
    public static let diffIndent = "    "

    /// `field:` and a unified diff of the two texts, each line indented.
    package static func diffLines(_ field: String, _ a: String, _ b: String) -> [String] {
        ["\(field):"] + DefinitionDiff.lines(a, b).map { diffIndent + $0 }
    }

    /// Index keys as written in SQL: `a, b desc, c collate NOCASE`.
    private static func keyList(_ v: JSONValue?) -> String {
        (v?.arrayValue ?? []).map { k in
            render(k["column"]) + (k["descending"] == .bool(true) ? " desc" : "")
                + (k["collation"].map { " collate " + render($0) } ?? "")
        }.joined(separator: ", ")
    }

    private static func list(_ v: JSONValue?) -> String {
        (v?.arrayValue ?? []).map { $0.stringValue ?? $0.canonicalString }.joined(separator: ", ")
    }

    /// Elements only one side has, e.g. `constraints: removed unique ( b )`.
    private static func describeList(_ field: String, _ a: [JSONValue], _ b: [JSONValue]) -> [String] {
        var remaining = b
        var out: [String] = []
        for x in a {
            if let i = remaining.firstIndex(of: x) { remaining.remove(at: i) } else { out.append("\(field): removed \(render(x))") }
        }
        for y in remaining { out.append("\(field): added \(render(y))") }
        return out.isEmpty ? ["\(field): order \(a.map { render($0) }.joined(separator: "; ")) → \(b.map { render($0) }.joined(separator: "; "))"] : out
    }

    /// Pairs elements by identity, then names each property that differs.
    private static func describeKeyed(_ a: [JSONValue], _ b: [JSONValue], label: String, identity: (JSONValue) -> String) -> [String] {
        var bs = b.map { (identity($0), $0) }
        var out: [String] = []
        for x in a {
            let id = identity(x)
            guard let i = bs.firstIndex(where: { $0.0 == id }) else { out.append("\(label) \(id) removed"); continue }
            let y = bs.remove(at: i).1
            guard x != y, let xo = x.objectValue, let yo = y.objectValue else { continue }
            for f in Set(xo.keys).union(yo.keys).sorted() where xo[f] != yo[f] {
                out.append("\(label) \(id): \(f) \(render(xo[f])) → \(render(yo[f]))")
            }
        }
        for (id, _) in bs { out.append("\(label) \(id) added") }
        return out
    }

    private static func describeColumns(_ a: [JSONValue], _ b: [JSONValue]) -> [String] {
        func byName(_ cols: [JSONValue]) -> [String: JSONValue] {
            Dictionary(cols.compactMap { c in c["name"]?.stringValue.map { ($0, c) } }, uniquingKeysWith: { x, _ in x })
        }
        let am = byName(a), bm = byName(b)
        // Only columns that really moved report their position: a column
        // dropped, added or moved shifts the others without moving them.
        func order(_ cols: [JSONValue]) -> [String] { cols.compactMap { $0["name"]?.stringValue } }
        let moved = DefinitionDiff.movedColumns(before: order(a), after: order(b))
        var out: [String] = []
        for name in Set(am.keys).union(bm.keys).sorted() {
            switch (am[name], bm[name]) {
            case (nil, _?): out.append("column \(name) added")
            case (_?, nil): out.append("column \(name) removed")
            case let (x?, y?) where x != y:
                let fields = Set(x.objectValue?.keys.map { $0 } ?? []).union(y.objectValue?.keys.map { $0 } ?? []).sorted()
                    .filter { x[$0] != y[$0] && render(x[$0]) != render(y[$0]) }
                for f in fields where f != "definition" || fields.count == 1 {
                    if f == "position" || f == "cid" {
                        if moved.contains(name) { out.append("column \(name) moved: \(f) \(render(x[f])) → \(render(y[f]))") }
                    } else if let xs = x[f]?.stringValue, let ys = y[f]?.stringValue, isLong(xs) || isLong(ys) {
                        out.append(contentsOf: diffLines("column \(name) \(f)", xs, ys))
                    } else {
                        out.append("column \(name): \(f) \(render(x[f])) → \(render(y[f]))")
                    }
                }
            default: break
            }
        }
        return out
    }

    private static func render(_ v: JSONValue?) -> String {
        guard let v, v != .null else { return "(none)" }
        if case .string(let s) = v { return s.isEmpty ? "(none)" : s }
        return v.canonicalString
    }

    /// The evidence form: kind, name, change and details.
    public var json: JSONValue {
        ["kind": .string(kind), "name": .string(name), "change": .string(change.rawValue), "details": .array(details.map { .string($0) })]
    }
}

/// How one table's rows differ.
public struct TableChange: Sendable, Equatable {
    /// The table's name as its fingerprint keys it.
    public var table: String
    /// Rows in the earlier state; nil when the table did not exist then.
    public var rowsBefore: Int64?
    /// Rows in the later state; nil when the table no longer exists.
    public var rowsAfter: Int64?
    /// Rows whose key is only in the later state.
    public var added: Int64?
    /// Rows whose key is only in the earlier state.
    public var removed: Int64?
    /// Rows present in both whose values differ.
    public var changed: Int64?
    /// Per column: how many rows hold a different value.
    public var columns: [String: Int64] = [:]
    /// A few keys of differing rows (key values only, never other columns).
    public var sampleKeys: [String] = []
    /// How rows were matched: `primary key (id)` or `whole row` for tables without one.
    public var matchedBy: String?
    /// Why detail is missing or what else to know.
    public var note: String?

    /// A change of row counts only; the drift locator fills in the rest.
    public init(table: String, rowsBefore: Int64?, rowsAfter: Int64?) {
        self.table = table
        self.rowsBefore = rowsBefore
        self.rowsAfter = rowsAfter
    }

    /// The evidence form: every field, `null` where unknown.
    public var json: JSONValue {
        var o: [String: JSONValue] = ["table": .string(table)]
        o["rows_before"] = rowsBefore.map { .integer($0) } ?? .null
        o["rows_after"] = rowsAfter.map { .integer($0) } ?? .null
        o["added"] = added.map { .integer($0) } ?? .null
        o["removed"] = removed.map { .integer($0) } ?? .null
        o["changed"] = changed.map { .integer($0) } ?? .null
        o["columns"] = .object(columns.mapValues { .integer($0) })
        o["sample_keys"] = .array(sampleKeys.map { .string($0) })
        o["matched_by"] = matchedBy.map { .string($0) } ?? .null
        o["note"] = note.map { .string($0) } ?? .null
        return .object(o)
    }

    /// Where the differing rows lie, the same on both engines:
    /// `differing rows span id 3 to 17`, `… span (a, b) (1, x) to (3, y)`.
    package static func keyRangeNote(key: [String], low: String, high: String) -> String {
        key.count == 1 ? "differing rows span \(key[0]) \(low) to \(high)"
            : "differing rows span (\(key.joined(separator: ", "))) (\(low)) to (\(high))"
    }

    /// Lines for people: the table's row-level summary, then one line per
    /// column that differs, e.g. `column phone: 706 rows differ`.
    public var summaryLines: [String] {
        var parts: [String] = []
        if changed == 0, added == 0, removed == 0 {
            // The digest differs only because a column was dropped or added:
            // not "0 rows changed", which reads like a contradiction.
            parts.append("no row differs in the columns both states have; the table's columns changed (see its schema drift)")
        } else if changed == nil, added == 0, removed == 0, rowsBefore == rowsAfter {
            parts.append("the same rows in the columns both states have; the table's columns changed (see its schema drift)")
        } else {
            if let changed { parts.append("\(changed) rows changed") }
            if let added { parts.append("\(added) added") }
            if let removed { parts.append("\(removed) removed") }
        }
        if parts.isEmpty {
            if rowsBefore == nil { parts.append("table added (\(rowsAfter ?? 0) rows)") }
            else if rowsAfter == nil { parts.append("table removed (had \(rowsBefore ?? 0) rows)") }
            else { parts.append("rows \(rowsBefore!) → \(rowsAfter!), content differs") }
        }
        if let note { parts.append(note) }
        var lines = ["table \(table): " + parts.joined(separator: ", ")]
        for (column, n) in columns.sorted(by: { $0.key < $1.key }) where n > 0 {
            lines.append("column \(table).\(column): \(n) rows differ")
        }
        return lines
    }
}
