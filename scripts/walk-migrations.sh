#!/bin/sh
# Walks every real migrations directory under $DATA (default
# ../shared/data/migrations) step by step: SQLite where the project's dialect
# allows it, PostgreSQL for all. One walk folder per project and engine under
# $OUT (default rehearsals/migrations-walks); prints each walk's summary line.
# Exit 0 even when walks fail: the walks' own statuses are in their folders.
# Usage: [PG_URL=CONNINFO] scripts/walk-migrations.sh   (default: an ephemeral cluster per step)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${REHEARSE:-$root/.build/debug/rehearse}
data=${DATA:-$root/../shared/data/migrations}
out=${OUT:-$root/rehearsals/migrations-walks}
mkdir -p "$out"
walk() { # name engine extra-args...
    name=$1; engine=$2; shift 2
    dest="$out/$name-$engine"
    rm -rf "$dest"
    if [ "$engine" = postgres ]; then
        if [ -n "${PG_URL:-}" ]; then set -- --engine postgres --pg-url "$PG_URL" "$@"; else set -- --engine postgres "$@"; fi
    fi
    start=$(date +%s)
    "$bin" migrations "$data/$name" --out "$dest" --quiet "$@" > "$dest.log" 2>&1
    status=$?
    printf '%-40s %-9s exit %s  %4ss  %s\n' "$name" "$engine" "$status" "$(( $(date +%s) - start ))" "$(grep '^Walk:' "$dest.log" | head -1)"
}
[ -n "${SKIP_SQLITE:-}" ] || walk golang-migrate-sqlite-taproot-assets sqlite
[ -n "${SKIP_SQLITE:-}" ] || walk pop-dialect-suffixed-hydra sqlite
walk golang-migrate-openmeter postgres
walk dbmate-measure postgres --prelude "$here/migrations/measure-prelude.sql" --profile "$here/migrations/measure-profile.yaml"
walk flyway-cowprotocol-services postgres
walk sqitch-cas-cif postgres --pg-superuser
walk pop-dialect-suffixed-hydra postgres
walk golang-migrate-sqlite-taproot-assets postgres
exit 0
