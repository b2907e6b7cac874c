import RehearseCore

/// What an engine saw a birth or rollback script do (PostgreSQL: the tables
/// it rewrote, the strongest lock it took per relation, the rows it changed
/// per table), as evidence records it under `observed.birth` / `.rollback`.
public struct ScriptObservation: Sendable, Equatable {
    /// One table's changed rows.
    public struct Rows: Sendable, Equatable {
        /// The table's name.
        public var table: String
        /// Rows inserted.
        public var inserted: Int64
        /// Rows updated.
        public var updated: Int64
        /// Rows deleted.
        public var deleted: Int64

        /// One table's counts of changed rows.
        public init(table: String, inserted: Int64, updated: Int64, deleted: Int64) {
            self.table = table
            self.inserted = inserted
            self.updated = updated
            self.deleted = deleted
        }
    }

    /// Whether the script ran in one transaction (locks and rows are only
    /// observed then).
    public var transactional: Bool
    /// Tables and materialized views whose storage was rewritten, sorted.
    public var rewritten: [String]
    /// The strongest lock held per relation, in byte order of the relation.
    public var locks: [(relation: String, mode: String)]
    /// Changed rows per table, in byte order of the table.
    public var rows: [Rows]

    /// An observation; sorts `rewritten`, and `locks` and `rows` by the UTF-8 bytes of their names.
    public init(transactional: Bool, rewritten: [String], locks: [(relation: String, mode: String)], rows: [Rows]) {
        self.transactional = transactional
        self.rewritten = rewritten.sorted()
        self.locks = locks.sorted { $0.relation.utf8.lexicographicallyPrecedes($1.relation.utf8) }
        self.rows = rows.sorted { $0.table.utf8.lexicographicallyPrecedes($1.table.utf8) }
    }

    /// Equal when every field is, locks compared in order.
    public static func == (a: ScriptObservation, b: ScriptObservation) -> Bool {
        a.transactional == b.transactional && a.rewritten == b.rewritten && a.rows == b.rows
            && a.locks.map(\.relation) == b.locks.map(\.relation) && a.locks.map(\.mode) == b.locks.map(\.mode)
    }

    /// The evidence form.
    public var json: JSONValue {
        [
            "rewritten": .array(rewritten.map { .string($0) }),
            "locks": .object(Dictionary(locks.map { ($0.relation, JSONValue.string($0.mode)) }, uniquingKeysWith: { a, _ in a })),
            "rows": .object(Dictionary(rows.map {
                ($0.table, ["inserted": .integer($0.inserted), "updated": .integer($0.updated), "deleted": .integer($0.deleted)] as JSONValue)
            }, uniquingKeysWith: { a, _ in a })),
            "transactional": .bool(transactional),
        ]
    }

    /// Reads the evidence form; nil for `null` or nothing.
    public init?(json v: JSONValue?) {
        guard let v, v != .null else { return nil }
        self.init(transactional: v["transactional"]?.boolValue ?? false,
                  rewritten: (v["rewritten"]?.arrayValue ?? []).compactMap(\.stringValue),
                  locks: (v["locks"]?.objectValue ?? [:]).map { (relation: $0.key, mode: $0.value.stringValue ?? "") },
                  rows: (v["rows"]?.objectValue ?? [:]).map {
                      Rows(table: $0.key, inserted: $0.value["inserted"]?.integerValue ?? 0, updated: $0.value["updated"]?.integerValue ?? 0,
                           deleted: $0.value["deleted"]?.integerValue ?? 0)
                  })
    }

    /// One line for people: rewrites, ACCESS EXCLUSIVE locks, rows per table.
    public var summary: String {
        var parts: [String] = []
        parts.append(rewritten.isEmpty ? "no table rewritten" : "rewrote " + rewritten.joined(separator: ", "))
        let exclusive = locks.filter { $0.mode == "AccessExclusiveLock" }.map(\.relation).sorted()
        if !exclusive.isEmpty { parts.append("ACCESS EXCLUSIVE on " + exclusive.joined(separator: ", ")) }
        let changed = rows.sorted { $0.table < $1.table }.map { r -> String in
            let counts = [("+", r.inserted), ("~", r.updated), ("-", r.deleted)].compactMap { sign, n in n > 0 ? "\(sign)\(n)" : nil }
            return "\(r.table) \(counts.joined(separator: " "))"
        }
        if !changed.isEmpty { parts.append("rows " + changed.joined(separator: ", ")) }
        if !transactional { parts.append("not in one transaction: locks and rows not observed") }
        return parts.joined(separator: "; ")
    }
}
