#!/usr/bin/env bash
# `make bench`: release-build figures against baselines measured in the same
# run on the same machine. Never part of `make test`; nothing here asserts.
#
#   generation   rehearse generate            vs  SQLite's own INSERT…SELECT FROM generate_series
#   fingerprint  rehearse fingerprint         vs  sqlite3 FILE .dump | sha256sum (reads the same rows)
#   rehearsal    rehearse --surrogate (whole) vs  the unproven manual way: generate in-engine,
#                                                 sqlite3 < birth.sql, sqlite3 < rollback.sql, two .dump hashes
#
# BENCH_SCALES (default "25") picks sizes: commerce at scale 1 is 40,500 rows,
# so 25 is about 1M rows and 250 about 10M.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/rehearse
SCALES=${BENCH_SCALES:-25}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rehearse-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v sqlite3 >/dev/null || { echo "bench: the sqlite3 shell is needed for the baselines (apt-get install sqlite3)" >&2; exit 4; }

# Wall seconds and peak resident KiB of a command, via GNU time when present.
measure() {
  local out="$WORK/measure.txt"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null
  else
    python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic(); subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, check=True)
open(sys.argv[1], "w").write("%.2f %d\n" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
  fi
  cat "$out"
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
per_s() { python3 -c "import sys; n,t=float(sys.argv[1]),float(sys.argv[2]); print('{:,.0f}'.format(n/t) if t else 'n/a')" "$1" "$2"; }
mb() { python3 -c "import sys; print('%.1f' % (int(sys.argv[1])/1e6))" "$1"; }

echo "rehearse bench on $(nproc) cores, $(sqlite3 --version | cut -d' ' -f1-2), $($BIN --version)"
printf '\n%-12s %-11s %-30s %-30s %s\n' "what" "rows" "rehearse" "baseline" "rehearse/baseline"
# The commerce tables and indexes, as SQLite stores them, from a tiny surrogate.
$BIN generate --surrogate commerce --scale 0.001 --quiet --out "$WORK/tiny.sqlite"
sqlite3 "$WORK/tiny.sqlite" "SELECT sql || ';' FROM sqlite_schema WHERE type = 'table' AND name <> 'rehearse_provenance'" > "$WORK/tables.sql"
sqlite3 "$WORK/tiny.sqlite" "SELECT sql || ';' FROM sqlite_schema WHERE type IN ('index', 'view', 'trigger') AND sql IS NOT NULL" > "$WORK/after.sql"

for S in $SCALES; do
  ROWS=$((40500 * S))
  # Generation.
  read -r t_gen rss_gen < <(measure $BIN generate --surrogate commerce --scale "$S" --quiet --out "$WORK/gen.sqlite")
  size=$(stat -c %s "$WORK/gen.sqlite")
  sqlite3 "$WORK/base.sqlite" < "$WORK/tables.sql"
  { sed "s/@S@/$S/g" scripts/bench/commerce-in-engine.sql; cat "$WORK/after.sql"; } > "$WORK/inengine.sql"
  read -r t_base _ < <(measure sqlite3 "$WORK/base.sqlite" ".read $WORK/inengine.sql")
  printf '%-12s %-11s %-30s %-30s %s\n' "generate" "$ROWS" "$(per_s $ROWS $t_gen) rows/s, $(per_s $size $t_gen | tr -d ,) B/s" "$(per_s $ROWS $t_base) rows/s (in-engine)" "rate $(ratio $t_base $t_gen)x"
  printf '%-12s %-11s %-30s\n' "  memory" "$ROWS" "peak RSS $((rss_gen / 1024)) MiB; file $(mb $size) MB"
  # Fingerprint.
  read -r t_fp rss_fp < <(measure $BIN fingerprint "$WORK/gen.sqlite")
  read -r t_dump _ < <(measure sh -c "sqlite3 '$WORK/gen.sqlite' .dump | sha256sum")
  printf '%-12s %-11s %-30s %-30s %s\n' "fingerprint" "$ROWS" "${t_fp} s, peak $((rss_fp / 1024)) MiB" "${t_dump} s (.dump | sha256sum)" "time $(ratio $t_fp $t_dump)x"
  # Whole rehearsal.
  read -r t_reh rss_reh < <(measure $BIN --surrogate commerce --scale "$S" --quiet --out "$WORK/run-$S")
  cp "$WORK/base.sqlite" "$WORK/manual.sqlite"
  read -r t_manual _ < <(measure sh -c "sqlite3 '$WORK/manual.sqlite' .dump | sha256sum && sqlite3 '$WORK/manual.sqlite' < surrogates/commerce/birth.sql && sqlite3 '$WORK/manual.sqlite' < surrogates/commerce/rollback.sql && sqlite3 '$WORK/manual.sqlite' .dump | sha256sum")
  t_manual_total=$(python3 -c "print('%.2f' % ($t_manual + $t_base))")
  printf '%-12s %-11s %-30s %-30s %s\n' "rehearsal" "$ROWS" "${t_reh} s, peak $((rss_reh / 1024)) MiB" "${t_manual_total} s (manual, unproven)" "time $(ratio $t_reh $t_manual_total)x"
  rm -f "$WORK"/*.sqlite
done
