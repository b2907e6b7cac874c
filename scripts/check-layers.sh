#!/usr/bin/env bash
# Fails (exit 1) when a target depends on one of ours the layer table forbids,
# when CSQLite3/CLibPQ/ArgumentParser sit outside their one target, or when a
# Swift file under Sources/<T>/ imports a module T may not depend on. The table
# and the checks live in scripts/CheckLayers.swift (run with the `swift`
# interpreter: no python or jq needed); the layers are in docs/ARCHITECTURE.md.
#
#   scripts/check-layers.sh                 check this package (swift package describe)
#   scripts/check-layers.sh --json F [--root DIR]   check a describe JSON file
#   scripts/check-layers.sh --self-test     prove the checker catches what it should
#
# SWIFT names the swift binary (as in the Makefile).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SWIFT=${SWIFT:-$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)}
checker="$here/CheckLayers.swift"

check() { "$SWIFT" "$checker" "$@"; }

# fake_target NAME TYPE "DEP DEP" "PRODUCT" "SOURCE SOURCE": one target in the
# describe JSON's own shape (only the fields the checker reads, plus c99name).
fake_target() {
  local name=$1 type=$2 deps=$3 products=$4 sources=$5 sep="" d
  printf '    {\n      "c99name" : "%s",\n      "module_type" : "SwiftTarget",\n      "name" : "%s",\n' "$name" "$name"
  printf '      "path" : "Sources/%s",\n      "product_dependencies" : [' "$name"
  for d in $products; do printf '%s"%s"' "$sep" "$d"; sep=", "; done; sep=""
  printf '],\n      "sources" : ['
  for d in $sources; do printf '%s"%s"' "$sep" "$d"; sep=", "; done; sep=""
  printf '],\n      "target_dependencies" : ['
  for d in $deps; do printf '%s"%s"' "$sep" "$d"; sep=", "; done
  printf '],\n      "type" : "%s"\n    }' "$type"
}
# fake_package TARGET_JSON...: a whole describe JSON around the targets.
fake_package() {
  local sep="" t
  printf '{\n  "name" : "fake",\n  "path" : "/nonexistent",\n  "targets" : [\n'
  for t in "$@"; do printf '%s%s' "$sep" "$t"; sep=$',\n'; done
  printf '\n  ],\n  "tools_version" : "6.0"\n}\n'
}

self_test() {
  local failures=0 out status
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # expect NAME pass|fail [TEXT] -- JSON file, root: runs the checker and compares.
  expect() {
    local name=$1 want=$2 text=$3 json=$4 dir=$5
    set +e; out=$(check --root "$dir" < "$json" 2>&1); status=$?; set -e
    if [ "$want" = pass ] && [ $status -eq 0 ]; then echo "  ok   $name"; return; fi
    if [ "$want" = fail ] && [ $status -eq 1 ] && { [ -z "$text" ] || grep -qF -- "$text" <<<"$out"; }; then
      echo "  ok   $name"; return
    fi
    echo "  FAIL $name: wanted $want${text:+ with \"$text\"}, got exit $status:" >&2
    sed 's/^/         /' <<<"$out" >&2
    failures=$((failures + 1))
  }
  echo "check-layers self-test:"

  # 1. The planned layering (hand-written in describe's format) is clean, imports included.
  expect "planned targets pass" pass "" "$here/fixtures/layers/planned.json" "$here/fixtures/layers"

  # 2. Forbidden target edges and misplaced libraries fail, naming the edge.
  core=$(fake_target RehearseCore library "" "" "")
  engine=$(fake_target RehearseEngine library "RehearseCore" "" "")
  pg=$(fake_target RehearsePostgres library "RehearseCore RehearseEngine CLibPQ" "" "")
  libpq=$(fake_target CLibPQ system-target "" "" "")
  sqlite3=$(fake_target CSQLite3 system-target "" "" "")
  fake_package "$core" "$engine" "$pg" "$libpq" \
    "$(fake_target RehearseSQLite library "RehearseCore RehearseEngine RehearsePostgres" "" "")" > "$tmp/engines.json"
  expect "engine -> engine fails" fail \
    "RehearseSQLite -> RehearsePostgres (forbidden: engines never import each other)" "$tmp/engines.json" "$tmp"
  fake_package "$core" "$sqlite3" "$(fake_target RehearseKit library "RehearseCore CSQLite3" "" "")" > "$tmp/csqlite.json"
  expect "CSQLite3 outside RehearseSQLite fails" fail \
    "RehearseKit -> CSQLite3 (forbidden: CSQLite3 belongs in RehearseCore, RehearseSQLite only)" "$tmp/csqlite.json" "$tmp"
  fake_package "$core" "$libpq" "$(fake_target RehearseEngine library "RehearseCore CLibPQ" "" "")" > "$tmp/libpq.json"
  expect "CLibPQ outside RehearsePostgres fails" fail "RehearseEngine -> CLibPQ" "$tmp/libpq.json" "$tmp"
  fake_package "$core" "$engine" "$(fake_target RehearseValidator library "RehearseCore RehearseEngine" "" "")" > "$tmp/validator.json"
  expect "validator -> engine seam fails" fail "RehearseValidator -> RehearseEngine (forbidden:" "$tmp/validator.json" "$tmp"
  fake_package "$(fake_target RehearseCore library "RehearseEvidence" "" "")" \
    "$(fake_target RehearseEvidence library "" "" "")" > "$tmp/core.json"
  expect "core -> anything of ours fails" fail "RehearseCore -> RehearseEvidence" "$tmp/core.json" "$tmp"
  fake_package "$core" "$(fake_target RehearseKit library "RehearseCore rehearse" "" "")" \
    "$(fake_target rehearse executable "RehearseKit" "ArgumentParser" "")" > "$tmp/cli.json"
  expect "library -> the CLI fails" fail "RehearseKit -> rehearse (forbidden: nothing depends on the CLI)" "$tmp/cli.json" "$tmp"
  fake_package "$core" "$(fake_target RehearseKit library "RehearseCore" "ArgumentParser" "")" > "$tmp/argparser.json"
  expect "ArgumentParser outside the CLI fails" fail "RehearseKit -> product ArgumentParser" "$tmp/argparser.json" "$tmp"
  fake_package "$core" "$(fake_target RehearseMySQL library "RehearseCore" "" "")" > "$tmp/unknown.json"
  expect "a target missing from the table fails" fail "target RehearseMySQL is not in the layer table" "$tmp/unknown.json" "$tmp"
  fake_package "$core" "$(fake_target RehearseKitTests test "RehearseCore CSQLite3 rehearse" "" "")" > "$tmp/tests.json"
  expect "test targets may depend on anything" pass "" "$tmp/tests.json" "$tmp"

  # 3. Imports: a reachable-but-forbidden module, an undeclared one, and imports hidden
  #    in comments and strings (which must not count).
  mkdir -p "$tmp/Sources/RehearseSQLite" "$tmp/Sources/RehearseKit" "$tmp/Sources/RehearseEngine"
  printf 'import Foundation\nimport RehearseEngine\nimport RehearsePostgres\n' > "$tmp/Sources/RehearseSQLite/Leak.swift"
  fake_package "$core" "$engine" "$pg" "$libpq" \
    "$(fake_target RehearseSQLite library "RehearseCore RehearseEngine" "" "Leak.swift")" > "$tmp/leak.json"
  expect "import of a reachable engine fails" fail \
    "Sources/RehearseSQLite/Leak.swift:3: import RehearsePostgres in RehearseSQLite (forbidden: engines never import each other)" \
    "$tmp/leak.json" "$tmp"
  printf '@testable import RehearseCore\n' > "$tmp/Sources/RehearseKit/Undeclared.swift"
  fake_package "$core" "$engine" "$(fake_target RehearseKit library "RehearseEngine" "" "Undeclared.swift")" > "$tmp/undeclared.json"
  expect "an undeclared import of ours fails" fail "import RehearseCore in RehearseKit (undeclared:" "$tmp/undeclared.json" "$tmp"
  printf 'import CLibPQ\n' > "$tmp/Sources/RehearseEngine/C.swift"
  fake_package "$core" "$libpq" "$(fake_target RehearseEngine library "RehearseCore" "" "C.swift")" > "$tmp/cimport.json"
  expect "an import of CLibPQ outside RehearsePostgres fails" fail "import CLibPQ in RehearseEngine (forbidden:" \
    "$tmp/cimport.json" "$tmp"
  printf 'import Yams\n' > "$tmp/Sources/RehearseEngine/Yaml.swift"
  fake_package "$core" "$(fake_target RehearseEngine library "RehearseCore" "" "Yaml.swift")" > "$tmp/product.json"
  expect "an import of an undeclared product fails" fail "import Yams in RehearseEngine (neither a declared" \
    "$tmp/product.json" "$tmp"
  cat > "$tmp/Sources/RehearseEngine/Hidden.swift" <<'SWIFT'
#if canImport(Glibc)
import Glibc
#endif
@preconcurrency internal import Foundation
let sql = "/* not a comment"
/* a block comment
import RehearseKit
*/
let text = """
import RehearsePostgres
"""
// import RehearseSQLite
@testable import RehearseCore
SWIFT
  fake_package "$core" "$(fake_target RehearseEngine library "RehearseCore" "" "Hidden.swift")" > "$tmp/hidden.json"
  expect "imports in comments and strings do not count" pass "" "$tmp/hidden.json" "$tmp"

  if [ $failures -ne 0 ]; then
    echo "check-layers self-test: $failures case(s) FAILED" >&2
    exit 1
  fi
  echo "check-layers self-test: all cases pass"
}

case "${1:-}" in
  --self-test)
    self_test ;;
  --json)
    [ $# -ge 2 ] || { echo "usage: $0 --json FILE [--root DIR]" >&2; exit 2; }
    json=$2; shift 2
    check "$@" < "$json" ;;
  "")
    describe=$(mktemp "${TMPDIR:-/tmp}/check-layers.XXXXXX")
    trap 'rm -f "$describe"' EXIT
    if ! (cd "$root" && "$SWIFT" package describe --type json) > "$describe"; then
      echo "check-layers: \`swift package describe --type json\` failed in $root" >&2
      exit 2
    fi
    check --root "$root" < "$describe" ;;
  *)
    echo "usage: $0 [--self-test | --json FILE [--root DIR]]" >&2
    exit 2 ;;
esac
