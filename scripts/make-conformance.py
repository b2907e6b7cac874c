#!/usr/bin/env python3
"""Regenerates Tests/Conformance: run folders the validator must accept, and
`*_fail` folders it must reject for the rule their README names. Cases are
derived from real runs of the built binary, then altered the way a forger or
a broken tool would alter them. Run after changing the evidence format:

    swift build && scripts/make-conformance.py
"""
import base64, hashlib, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("REHEARSE_BIN", os.path.join(ROOT, ".build/debug/rehearse"))
OUT = os.path.join(ROOT, "Tests/Conformance")


def canonical(value):
    # Same bytes as rehearse's canonical form: sorted keys (code point order is
    # UTF-8 byte order), no white space, raw UTF-8, minimal escapes.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def reseal(folder):
    lines = []
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            if rel == "SEAL.sha256":
                continue
            lines.append((rel.encode(), hashlib.sha256(open(path, "rb").read()).hexdigest()))
    lines.sort()
    with open(os.path.join(folder, "SEAL.sha256"), "wb") as f:
        for rel, digest in lines:
            f.write(digest.encode() + b"  " + rel + b"\n")


def run(*args, cwd=ROOT):
    subprocess.run([BIN, *args], cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def case(name, source, readme, evidence=None, raw=None, seal=True, edit=None):
    """A case folder: a copy of `source` with its one-line README, sealed,
    then altered; `seal=False` leaves the alteration outside the seal."""
    folder = os.path.join(OUT, name)
    shutil.copytree(source, folder)
    open(os.path.join(folder, "README.md"), "w").write(readme + "\n")
    reseal(folder)
    if evidence is not None:
        raw = canonical(evidence)
    if raw is not None:
        open(os.path.join(folder, "evidence.json"), "wb").write(raw)
    if edit:
        edit(folder)
    if seal:
        reseal(folder)


def load(folder):
    return json.load(open(os.path.join(folder, "evidence.json"), encoding="utf-8"))


def main():
    if not os.path.exists(BIN):
        sys.exit("build rehearse first (swift build)")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    work = tempfile.mkdtemp(prefix="rehearse-conformance-")
    try:
        base, lossy, other = (os.path.join(work, n) for n in ("base", "lossy", "other"))
        run("--surrogate", "commerce", "--scale", "0.01", "--seed", "11", "--out", base, "--quiet")
        run("--surrogate", "surrogates/lossy-rollback", "--scale", "0.01", "--seed", "11", "--out", lossy, "--quiet")
        run("--surrogate", "commerce", "--scale", "0.01", "--seed", "12", "--out", other, "--quiet")
        # Issue 11: the NULL-deleting birth on a surrogate with the edge-case
        # mix and targeting off matches no row: INCONCLUSIVE.
        unexercised, inconclusive = (os.path.join(work, n) for n in ("unexercised-src", "inconclusive"))
        shutil.copytree(os.path.join(ROOT, "surrogates/lossy-null-delete"), unexercised)
        os.remove(os.path.join(unexercised, "SEAL.sha256"))
        with open(os.path.join(unexercised, "profile.yaml"), "a") as f:
            f.write("edge_cases: off\ntargeting: off\n")
        run("--surrogate", unexercised, "--scale", "0.1", "--seed", "11", "--out", inconclusive, "--quiet")
        keys = os.path.join(work, "keys")
        os.makedirs(keys)
        for who in ("alice", "bob", "mallory"):
            run("keys", "generate", "--out", os.path.join(keys, who))
        trust = {"threshold": 2, "keys": [json.load(open(os.path.join(keys, w + ".pub"))) for w in ("alice", "bob")]}
        open(os.path.join(OUT, "trust.json"), "wb").write(canonical(trust) + b"\n")

        raw = open(os.path.join(base, "evidence.json"), "rb").read()
        ev = load(base)

        case("pass_commerce", base, "PASS: valid evidence of a passing rehearsal")
        case("fail_verdict_lossy", lossy, "FAIL: valid evidence of a failing rehearsal (lossy rollback)")
        case("inconclusive_valid", inconclusive, "INCONCLUSIVE: valid evidence of a birth whose DELETE matched no row")
        e = load(inconclusive); e["predicate"]["verdict"] = "PASS"; del e["predicate"]["unexercised"]
        case("pass_with_unexercised_statement_fail", inconclusive, "R17-exercised: PASS claimed although the birth's DELETE matched 0 rows", evidence=e)
        e = load(lossy); e["predicate"]["verdict"] = "INCONCLUSIVE"
        case("inconclusive_with_drift_fail", lossy, "R17-exercised: INCONCLUSIVE claimed although rollback drifted (FAIL wins)", evidence=e)

        def signed(folder, signers):
            for who in signers:
                run("sign", folder, "--key", os.path.join(keys, who + ".key"))
        for name, signers, readme in [
            ("signed_two_trusted", ["alice", "bob"], "PASS: signed by both keys of trust.json (threshold 2)"),
            ("signature_untrusted_key_fail", ["alice", "mallory"], "R9-signature: one trusted and one untrusted signature; trust.json needs 2"),
            ("signature_below_threshold_fail", ["bob"], "R9-signature: one trusted signature; trust.json needs 2"),
        ]:
            tmp = os.path.join(work, name)
            shutil.copytree(base, tmp)
            signed(tmp, signers)
            case(name, tmp, readme)

        flipped = bytearray(raw); flipped[len(raw) // 2] ^= 0x01
        case("byte_flip_fail", base, "R2-seal: one bit of evidence.json flipped after sealing", raw=bytes(flipped), seal=False)
        case("truncation_fail", base, "R2-seal: evidence.json cut short after sealing", raw=raw[: len(raw) - 40], seal=False)
        case("trailing_bytes_fail", base, "R0-json: bytes after the JSON value, resealed", raw=raw + b"\n{}")

        def crlf(folder):
            path = os.path.join(folder, "inputs/birth.sql")
            data = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            open(path, "wb").write(data)
        case("crlf_conversion_fail", base, "R3-subjects: an input converted to CRLF line ends, resealed", edit=crlf)
        case("bom_fail", base, "R0-json: a UTF-8 byte-order mark before the evidence, resealed", raw=b"\xef\xbb\xbf" + raw)
        case("utf16_fail", base, "R0-json: the evidence re-encoded as UTF-16, resealed", raw=raw.decode("utf-8").encode("utf-16"))
        dup = raw[:-1] + b',"predicateType":"https://rehearse.dev/evidence/v1"}'
        case("duplicate_key_fail", base, "R0-json: predicateType given twice, resealed", raw=dup)
        case("trailing_comma_fail", base, "R0-json: a trailing comma before the closing brace, resealed", raw=raw[:-1] + b",}")
        case("float_fail", base, "R0-json: a floating-point duration, resealed",
             raw=raw.replace(b'"duration_us":', b'"duration_us":1.5,"x":', 1))

        e = json.loads(raw); e["predicate"]["reviewed_by"] = "someone"
        case("unknown_predicate_field_fail", base, "R1-schema: a field the predicate does not define", evidence=e)
        e = json.loads(raw); e["predicateType"] = "https://slsa.dev/provenance/v1"
        case("wrong_predicate_type_fail", base, "R1-schema: another predicate type", evidence=e)
        e = json.loads(raw); e["subject"][0]["digest"] = {"md5": hashlib.md5(b"x").hexdigest()}
        case("md5_only_digest_fail", base, "R1-schema: a subject digested with md5 only", evidence=e)
        e = json.loads(raw); e["subject"][0]["digest"]["sha256"] = "0" * 64
        case("subject_digest_mismatch_fail", base, "R3-subjects: a subject's sha256 does not match its file", evidence=e)

        def foreign_seal(folder):
            shutil.copy(os.path.join(other, "SEAL.sha256"), os.path.join(folder, "SEAL.sha256"))
        case("seal_over_other_bytes_fail", base, "R2-seal: the seal of another run", edit=foreign_seal, seal=False)

        e = json.loads(raw); o = load(other)
        for k in ("fingerprints", "birth_surface", "drift"):
            e["predicate"][k] = o["predicate"][k]
        case("fingerprints_swapped_fail", base, "R6-tag: fingerprints copied from a run with another seed", evidence=e)
        e = json.loads(raw); e["predicate"]["source"]["tag"] = "REAL_PRODUCTION_DUMP"
        case("surrogate_presented_as_real_fail", base, "R6-tag: the surrogate tag replaced", evidence=e)
        e = json.loads(raw); e["predicate"]["source"]["tag"] = ""
        case("tag_removed_fail", base, "R6-tag: the surrogate tag emptied", evidence=e)
        e = load(lossy); e["predicate"]["verdict"] = "PASS"
        case("pass_with_drift_fail", lossy, "R5-verdict: PASS claimed although rollback drifted", evidence=e)
        e = json.loads(raw); e["predicate"]["checks"]["after_rollback"][0]["outcome"] = "fail"
        case("pass_with_failed_check_fail", base, "R5-verdict: PASS claimed with a failed check", evidence=e)
        e = json.loads(raw); e["predicate"]["phases"].reverse()
        case("phases_out_of_order_fail", base, "R4-phases: phases in reverse order", evidence=e)
        e = json.loads(raw); e["predicate"]["lane"] = "AUTHORIZE_PRODUCTION_EXECUTION"
        case("lane_five_fail", base, "R8-forbidden: a run under the never-selectable lane 5", evidence=e)

        # Issue 9: forgeries that keep the seal and every digest consistent.
        e = json.loads(raw); e["predicate"]["target"] = {"kind": "production-postgres", "host": "db.prod.example.com", "network": "loopback"}
        case("target_kind_production_fail", base, "R7-isolation: the target recorded as a production server", evidence=e)
        e = json.loads(raw); e["predicate"]["engine"]["name"] = "postgres"
        e["predicate"]["target"] = {"kind": "postgres-server", "host": "10.20.30.40", "network": "loopback", "database": "rehearse_0123456789ab"}
        case("remote_server_as_loopback_fail", base, "R7-isolation: a server at 10.20.30.40 recorded as loopback", evidence=e)
        e = json.loads(raw); e["predicate"]["lane"] = "AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF"
        case("lane_two_without_grant_fail", base, "R11-lane: lane 2 with no grant reference", evidence=e)
        def drop_subject(e, name):
            e["subject"] = [s for s in e["subject"] if s["name"] != name]
        e = json.loads(raw); e["predicate"]["inputs"]["rollback"]["subject"] = "inputs/birth.sql"
        case("rollback_role_is_birth_fail", base, "R12-inputs: the rollback role points at the birth script", evidence=e)
        def variant(folder):
            open(os.path.join(folder, "inputs/schema.sqlite.sql"), "w").write("CREATE TABLE forged (x);\n")
        case("unsubjected_variant_fail", base, "R12-inputs: inputs/schema.sqlite.sql sealed beside the inputs but covered by no subject", edit=variant)
        e = json.loads(raw); e["predicate"]["checks"] = {"after_birth": [], "after_rollback": []}
        case("checks_removed_fail", base, "R13-checks: every check removed while the manifest names checks files", evidence=e)
        e = json.loads(raw); e["predicate"]["checks"]["after_rollback"][0]["name"] = "all good"
        case("check_renamed_fail", base, "R13-checks: a check renamed", evidence=e)
        e = json.loads(raw); e["predicate"]["statements"]["rollback"] = e["predicate"]["statements"]["rollback"][:-1]
        case("statement_dropped_fail", base, "R14-statements: the rollback's last statement removed from the record", evidence=e)
        e = json.loads(raw); e["predicate"]["source"]["seed"] = -1
        case("negative_seed_fail", base, "R15-domains: a negative seed", evidence=e)
        for name, scale in [("inf", "inf"), ("nan", "nan"), ("hex", "0x10"), ("exponent", "1e3")]:
            e = json.loads(raw); e["predicate"]["source"]["scale"] = scale
            case("scale_%s_fail" % name, base, "R15-domains: the scale written as %s" % scale, evidence=e)
        e = json.loads(raw); e["predicate"]["run_id"] = "run\u0007id\n"
        case("run_id_control_chars_fail", base, "R15-domains: control characters in run_id", evidence=e)

        # Issue 15: dump clones. A surrogate may not claim a dump; a dump
        # clone needs a grant bound to its recorded dump.
        e = json.loads(raw); e["predicate"]["source"]["dump_sha256"] = hashlib.sha256(b"prod.dump").hexdigest()
        case("surrogate_claims_dump_fail", base, "R18-dump-clone: a surrogate-tagged run claims a dump", evidence=e)
        e = json.loads(raw)
        src = e["predicate"]["source"]
        for k in ["generator", "spec_digest", "seed", "scale"]:
            src.pop(k)
        src.update({"kind": "dump_clone", "tag": "REAL_DUMP_CLONE", "dump_name": "prod.dump", "dump_sha256": hashlib.sha256(b"prod.dump").hexdigest(),
                    "format": "custom", "restore_tool": "pg_restore (PostgreSQL) 15", "secret_scan": {
                        "scanner_version": "rehearse-secret-scan/1", "rules_digest": "0" * 64, "finding_count": 0, "suppressed_count": 0,
                        "allowlist_digest": None, "bytes_scanned": 1}})
        e["predicate"]["lane"] = "AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF"
        case("dump_clone_without_grant_fail", base, "R18-dump-clone: a dump clone with no grant", evidence=e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("wrote", len([n for n in os.listdir(OUT) if os.path.isdir(os.path.join(OUT, n))]), "cases to", OUT)


if __name__ == "__main__":
    main()
