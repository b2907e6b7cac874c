import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// How a surrogate is loaded, written once for every engine: the schema
/// guard, the structure, the reserved provenance table, the plan from the
/// profile, the rows, what the structure defers until after the rows (keys,
/// indexes, deferred foreign keys), the provenance rows that tag the
/// surrogate, and the proof that every row is the generator's. Each engine
/// supplies the steps that touch its database; the order, the plan, the tag
/// and the messages they share are here.
package struct SurrogateLoading {
    package var createStructure: (SQLScript) throws -> Void
    package var tableShapes: () throws -> [TableShape]
    package var verifyNoTriggers: (SQLScript) throws -> Void
    package var writeRows: (SurrogatePlan) throws -> Void
    /// Keys, indexes and the rest the schema's structure deferred until after the rows.
    package var finishStructure: (SurrogatePlan, SQLScript) throws -> Void
    /// Creates the provenance table and writes its rows.
    package var writeProvenance: ([(key: String, value: String)]) throws -> Void
    /// Proves the loaded data is the plan's (foreign keys, row counts).
    package var verify: (SurrogatePlan, SQLScript) throws -> Void

    package init(createStructure: @escaping (SQLScript) throws -> Void, tableShapes: @escaping () throws -> [TableShape],
                 verifyNoTriggers: @escaping (SQLScript) throws -> Void, writeRows: @escaping (SurrogatePlan) throws -> Void,
                 finishStructure: @escaping (SurrogatePlan, SQLScript) throws -> Void,
                 writeProvenance: @escaping ([(key: String, value: String)]) throws -> Void,
                 verify: @escaping (SurrogatePlan, SQLScript) throws -> Void) {
        self.createStructure = createStructure
        self.tableShapes = tableShapes
        self.verifyNoTriggers = verifyNoTriggers
        self.writeRows = writeRows
        self.finishStructure = finishStructure
        self.writeProvenance = writeProvenance
        self.verify = verify
    }

    /// Runs the steps in order; returns the plan and the spec digest loaded.
    package func load(_ source: SurrogateSource, seed: UInt64, scale: Double, dialect: Dialect) throws -> (plan: SurrogatePlan, specDigest: String) {
        let schema = try source.script(source.manifest.schema, dialect: dialect)
        try SchemaDataGuard.check(schema, dialect: dialect)
        try createStructure(schema)
        let shapes = try tableShapes()
        if shapes.contains(where: { $0.name.lowercased() == SurrogateTag.provenanceTable }) {
            throw RehearseError.badInput("\(schema.displayPath): the schema creates a table named \(SurrogateTag.provenanceTable), which rehearse reserves for the surrogate's tag. Rename it.")
        }
        try verifyNoTriggers(schema)
        let profile = try source.loadProfile(dialect: dialect)
        let profileFile = source.file(source.manifest.profile, dialect: dialect).display
        let plan = try SurrogatePlan(shapes: shapes, profile: profile, seed: seed, scale: scale, profileFile: profileFile,
                                     targets: try source.birthTargets(profile, dialect: dialect),
                                     counterGap: SurrogatePlan.gapsCounters(source.generator) ? SurrogatePlan.currentCounterGap : 0)
        try Self.refuseVacuousColumns(plan, source: source, dialect: dialect)
        try writeRows(plan)
        try finishStructure(plan, schema)
        let digest = try source.specDigest(dialect: dialect)
        try writeProvenance(SurrogateProvenance.rows(specDigest: digest, seed: String(seed), scale: describeScale(scale),
                                                     generator: source.generator, name: source.manifest.name))
        try verify(plan, schema)
        return (plan, digest)
    }

    /// A column every row leaves NULL or to its DEFAULT (a CHECK the
    /// generator does not read) holds one value, so a birth or rollback that
    /// names it (drops, rewrites or restores it) would PASS without its data
    /// having said anything: refused before any row, naming the column and
    /// the fix (review of session 4: `CHECK (email LIKE '%@%')` on a dropped
    /// column PASSed with every email NULL).
    package static func refuseVacuousColumns(_ plan: SurrogatePlan, source: SurrogateSource, dialect: Dialect) throws {
        guard plan.tables.contains(where: { !$0.fallbackColumns.isEmpty }) else { return }
        // The birth's statements that rewrite or destroy rows (DROP COLUMN,
        // ALTER … TYPE, UPDATE, DELETE …); a read-only SELECT may name it.
        let birth = try source.script(source.manifest.birth, dialect: dialect)
        var statements: [Set<String>] = []
        for statement in SealedScript(bytes: Array(birth.text.utf8), path: birth.displayPath, dialect: dialect)?.statements ?? [] {
            let kind = StatementEffect.classify(statement.sql, dialect: dialect).kind
            guard kind == .rows || kind == .table else { continue }
            statements.append(Set(SQLNormalizer.lex(statement.sql).map { $0.text.lowercased() }))
        }
        for table in plan.tables where !table.fallbackColumns.isEmpty && table.rows > 0 {
            let bare = (table.name.split(separator: ".").last.map(String.init) ?? table.name).lowercased()
            for words in statements where words.contains(bare) {
                guard let column = table.fallbackColumns.first(where: { words.contains($0.lowercased()) }) else { continue }
                throw RehearseError.badInput("Table \(table.name), column \(column): a CHECK on it is a form the generator does not read, so every generated row leaves it NULL (or to its DEFAULT), and a birth statement that rewrites or destroys rows names it: a PASS would say nothing about its values. Give the column a generator in the profile whose values meet the CHECK, for example:\n  tables:\n    \(table.name):\n      columns:\n        \(column): { generator: constant, value: ... }")
            }
        }
    }
}
