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
        try writeRows(plan)
        try finishStructure(plan, schema)
        let digest = try source.specDigest(dialect: dialect)
        try writeProvenance(SurrogateProvenance.rows(specDigest: digest, seed: String(seed), scale: describeScale(scale),
                                                     generator: source.generator, name: source.manifest.name))
        try verify(plan, schema)
        return (plan, digest)
    }
}
