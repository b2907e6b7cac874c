/// The difference between two fingerprints: what rollback failed to restore
/// (pre → post), or what birth changed (pre → born, the birth surface).
public struct Drift: Sendable, Equatable {
    public var schema: [SchemaChange]
    public var data: [TableChange]

    public var isEmpty: Bool { schema.isEmpty && data.isEmpty }

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
            case (nil, _?): schema.append(SchemaChange(kind: kind, name: name, change: .added, details: []))
            case (_?, nil): schema.append(SchemaChange(kind: kind, name: name, change: .removed, details: []))
            case let (a?, b?): schema.append(SchemaChange(kind: kind, name: name, change: .changed, details: SchemaChange.describe(a, b)))
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

    public var json: JSONValue {
        ["schema": .array(schema.map(\.json)), "data": .array(data.map(\.json))]
    }
}

public struct SchemaChange: Sendable, Equatable {
    public enum Change: String, Sendable { case added, removed, changed }
    public var kind: String
    public var name: String
    public var change: Change
    /// Human-readable differences, e.g. `column phone: position 5 → 7`.
    public var details: [String]

    static func split(_ key: String) -> (String, String) {
        guard let space = key.firstIndex(of: " ") else { return ("object", key) }
        return (String(key[..<space]), String(key[key.index(after: space)...]))
    }

    /// Names what differs between two descriptions: per column for tables,
    /// per field otherwise.
    static func describe(_ a: JSONValue, _ b: JSONValue) -> [String] {
        guard let ao = a.objectValue, let bo = b.objectValue else { return ["definition changed"] }
        var out: [String] = []
        for field in Set(ao.keys).union(bo.keys).sorted() where ao[field] != bo[field] {
            if field == "columns", let ac = ao[field]?.arrayValue, let bc = bo[field]?.arrayValue {
                out.append(contentsOf: describeColumns(ac, bc))
            } else {
                out.append("\(field) changed")
            }
        }
        return out
    }

    private static func describeColumns(_ a: [JSONValue], _ b: [JSONValue]) -> [String] {
        func byName(_ cols: [JSONValue]) -> [String: JSONValue] {
            Dictionary(cols.compactMap { c in c["name"]?.stringValue.map { ($0, c) } }, uniquingKeysWith: { x, _ in x })
        }
        let am = byName(a), bm = byName(b)
        var out: [String] = []
        for name in Set(am.keys).union(bm.keys).sorted() {
            switch (am[name], bm[name]) {
            case (nil, _?): out.append("column \(name) added")
            case (_?, nil): out.append("column \(name) removed")
            case let (x?, y?) where x != y:
                let fields = Set(x.objectValue?.keys.map { $0 } ?? []).union(y.objectValue?.keys.map { $0 } ?? []).sorted()
                for f in fields where x[f] != y[f] {
                    out.append("column \(name): \(f) \(render(x[f])) → \(render(y[f]))")
                }
            default: break
            }
        }
        return out
    }

    private static func render(_ v: JSONValue?) -> String {
        guard let v else { return "(none)" }
        if case .string(let s) = v { return s }
        return v.canonicalString
    }

    public var json: JSONValue {
        ["kind": .string(kind), "name": .string(name), "change": .string(change.rawValue), "details": .array(details.map { .string($0) })]
    }
}

/// How one table's rows differ.
public struct TableChange: Sendable, Equatable {
    public var table: String
    public var rowsBefore: Int64?
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

    public init(table: String, rowsBefore: Int64?, rowsAfter: Int64?) {
        self.table = table
        self.rowsBefore = rowsBefore
        self.rowsAfter = rowsAfter
    }

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

    /// Lines for people: the table's row-level summary, then one line per
    /// column that differs, e.g. `column phone: 706 rows differ`.
    public var summaryLines: [String] {
        var parts: [String] = []
        if let changed { parts.append("\(changed) rows changed") }
        if let added { parts.append("\(added) added") }
        if let removed { parts.append("\(removed) removed") }
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
