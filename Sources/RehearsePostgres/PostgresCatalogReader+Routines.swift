import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Functions, procedures and aggregates, triggers and event triggers, rules
/// and row-level security policies.
extension PostgresCatalogReader {
    package func functions(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind::text,
                   CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END,
                   CASE WHEN p.prokind = 'a' THEN (
                     SELECT concat_ws(' ', 'kind=' || ag.aggkind::text, 'direct_args=' || ag.aggnumdirectargs::text, 'sfunc=' || ag.aggtransfn::regprocedure,
                              'finalfunc=' || nullif(ag.aggfinalfn, 0)::regprocedure, 'finalfunc_extra=' || ag.aggfinalextra::text,
                              'finalfunc_modify=' || ag.aggfinalmodify::text, 'combinefunc=' || nullif(ag.aggcombinefn, 0)::regprocedure,
                              'serialfunc=' || nullif(ag.aggserialfn, 0)::regprocedure, 'deserialfunc=' || nullif(ag.aggdeserialfn, 0)::regprocedure,
                              'msfunc=' || nullif(ag.aggmtransfn, 0)::regprocedure, 'minvfunc=' || nullif(ag.aggminvtransfn, 0)::regprocedure,
                              'mfinalfunc=' || nullif(ag.aggmfinalfn, 0)::regprocedure, 'mfinalfunc_extra=' || ag.aggmfinalextra::text,
                              'mfinalfunc_modify=' || ag.aggmfinalmodify::text, 'sortop=' || nullif(ag.aggsortop, 0)::regoperator,
                              'stype=' || pg_catalog.format_type(ag.aggtranstype, NULL), 'sspace=' || ag.aggtransspace::text,
                              'mstype=' || pg_catalog.format_type(nullif(ag.aggmtranstype, 0), NULL), 'msspace=' || ag.aggmtransspace::text,
                              'initcond=' || quote_literal(ag.agginitval), 'minitcond=' || quote_literal(ag.aggminitval),
                              'parallel=' || p.proparallel::text, 'strict=' || p.proisstrict::text, 'returns=' || pg_catalog.format_type(p.prorettype, NULL))
                     FROM pg_catalog.pg_aggregate ag WHERE ag.aggfnoid = p.oid) END,
                   pg_catalog.pg_get_userbyid(p.proowner), coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))::text, pg_catalog.obj_description(p.oid, 'pg_proc')
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE \(user) AND \(noExt("p.oid", "pg_proc"))
            """) {
            let kind = switch row[3] { case "p": "procedure"; case "a": "aggregate"; case "w": "window function"; default: "function" }
            r.objects["function \(name(row[0], row[1]))(\(row[2] ?? ""))"] = [
                "kind": .string(kind), "definition": .string(row[4] ?? row[5] ?? ""),
                "owner": role(row[6]), "acl": acl(row[7]), "comment": text(row[8]),
            ]
        }
    }

    package func triggers(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled::text,
                   pg_catalog.obj_description(t.oid, 'pg_trigger')
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND \(user)
            """) {
            let enabled = switch row[4] { case "O": "origin"; case "D": "disabled"; case "R": "replica"; case "A": "always"; default: row[4] ?? "?" }
            r.objects["trigger \(name(row[0], row[1])).\(row[2]!)"] = ["definition": .string(row[3]!), "enabled": .string(enabled), "comment": text(row[5])]
        }
        for row in try db.rows("""
            SELECT e.evtname, e.evtevent, e.evtenabled::text, e.evtfoid::regproc::text, array_to_string(e.evttags, ',')
            FROM pg_catalog.pg_event_trigger e WHERE \(noExt("e.oid", "pg_event_trigger"))
            """) {
            r.objects["event-trigger \(row[0]!)"] = ["event": .string(row[1]!), "enabled": .string(row[2]!),
                                                    "function": .string(row[3]!), "tags": text(row[4])]
        }
    }

    package func rulesAndPolicies(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, w.rulename, pg_catalog.pg_get_ruledef(w.oid, true), w.ev_enabled::text
            FROM pg_catalog.pg_rewrite w
            JOIN pg_catalog.pg_class c ON c.oid = w.ev_class
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE w.rulename <> '_RETURN' AND \(user)
            """) {
            r.objects["rule \(name(row[0], row[1])).\(row[2]!)"] = ["definition": .string(row[3]!), "enabled": .string(row[4]!)]
        }
        for row in try db.rows("""
            SELECT n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
                   ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x) END FROM unnest(p.polroles) x ORDER BY 1)::text,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
            FROM pg_catalog.pg_policy p
            JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(user)
            """) {
            r.objects["policy \(name(row[0], row[1])).\(row[2]!)"] = [
                "command": .string(row[3]!), "permissive": flag(row[4]), "roles": .string(row[5]!),
                "using": text(row[6]), "with_check": text(row[7]),
            ]
        }
    }
}
