#!/usr/bin/env bash
# PostgreSQL half of `make bench` (release build, figures against baselines
# measured in the same run on the same server; nothing here asserts):
#
#   generation   rehearse generate --pg-url       vs  pgbench -i -I dtg (client-side generation), table MB/s
#   fingerprint  rehearse fingerprint --pg-url    vs  COPY (SELECT * FROM t ORDER BY pk) TO STDOUT | sha256sum, per table
#   rehearsal    rehearse --engine postgres       vs  pg_dump -Fc of the same database, then pg_restore into a new one
#
# The benchmark starts its own throwaway cluster (socket only, the same
# scratch settings rehearse uses) and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REHEARSE_BIN:-.build/release/rehearse}
SCALES=${BENCH_SCALES:-25}
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "bench-postgres: no PostgreSQL server binaries found" >&2; exit 4; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rehearse-pgbench.XXXXXX")
chmod 755 "$WORK"
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_server "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
as_server "$PGBIN/initdb" -D "$WORK/data" -U rehearse --auth=trust -E UTF8 --locale=C -N >/dev/null
cat >> "$WORK/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$WORK'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = '8GB'
checkpoint_timeout = '1h'
autovacuum = off
shared_buffers = '256MB'
maintenance_work_mem = '512MB'
work_mem = '64MB'
jit = off
timezone = 'UTC'
CONF
as_server "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null
export PGHOST="$WORK" PGUSER=rehearse PGPORT=5432
URL="host=$WORK port=5432 user=rehearse"
psql_() { "$PGBIN/psql" -X -q -A -t "$@"; }

# Wall seconds and peak resident KiB of a command (GNU time).
measure() {
  /usr/bin/time -f "%e %M" -o "$WORK/measure.txt" "$@" >/dev/null
  cat "$WORK/measure.txt"
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
per_s() { python3 -c "import sys; n,t=float(sys.argv[1]),float(sys.argv[2]); print('{:,.1f}'.format(n/t) if t else 'n/a')" "$1" "$2"; }
tables_mb() { psql_ -d "$1" -c "SELECT round(sum(pg_table_size(c.oid)) / 1e6, 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"; }

echo "rehearse bench (PostgreSQL) on $(nproc) cores, $("$PGBIN/postgres" --version), $($BIN --version | head -1)"
printf '\n%-12s %-11s %-34s %-40s %s\n' "what" "rows" "rehearse" "baseline" "rehearse/baseline"
for S in $SCALES; do
  ROWS=$((40500 * S))
  PGB_SCALE=$(( (ROWS + 50000) / 100000 )); [ "$PGB_SCALE" -ge 1 ] || PGB_SCALE=1
  # Generation: table MB per second, both sides, tables only (pgbench -I dtg builds no keys; rehearse's time includes its keys and indexes).
  psql_ -d postgres -c "CREATE DATABASE gen TEMPLATE template0"
  read -r t_gen rss_gen < <(measure $BIN generate --surrogate commerce --scale "$S" --quiet --pg-url "$URL dbname=gen")
  mb_gen=$(tables_mb gen)
  psql_ -d postgres -c "CREATE DATABASE pgb TEMPLATE template0"
  read -r t_pgb _ < <(measure "$PGBIN/pgbench" -i -I dtg -q -s "$PGB_SCALE" pgb 2>"$WORK/pgbench.err")
  mb_pgb=$(tables_mb pgb)
  pgb_rows=$((PGB_SCALE * 100000))
  printf '%-12s %-11s %-34s %-40s %s\n' "generate" "$ROWS" "$(per_s "$mb_gen" "$t_gen") MB/s ($mb_gen MB, ${t_gen} s)" "$(per_s "$mb_pgb" "$t_pgb") MB/s (pgbench -i, $pgb_rows rows)" "rate $(python3 -c "print('%.2f' % ((float('$mb_gen')/float('$t_gen'))/(float('$mb_pgb')/float('$t_pgb'))))")x"
  printf '%-12s %-11s %-34s\n' "  memory" "$ROWS" "peak RSS $((rss_gen / 1024)) MiB (rehearse client)"
  # Fingerprint of the generated database.
  read -r t_fp rss_fp < <(measure $BIN fingerprint --pg-url "$URL dbname=gen")
  cat > "$WORK/copy-hash.sh" <<SH
set -e
for t in customers addresses products orders order_items payments; do
  "$PGBIN/psql" -X -q -d gen -c "COPY (SELECT * FROM \$t ORDER BY id) TO STDOUT" | sha256sum >/dev/null
done
"$PGBIN/psql" -X -q -d gen -c "COPY (SELECT * FROM rehearse_provenance ORDER BY key) TO STDOUT" | sha256sum >/dev/null
SH
  read -r t_copy _ < <(measure bash "$WORK/copy-hash.sh")
  printf '%-12s %-11s %-34s %-40s %s\n' "fingerprint" "$ROWS" "${t_fp} s, peak $((rss_fp / 1024)) MiB" "${t_copy} s (COPY … ORDER BY pk | sha256sum)" "time $(ratio "$t_fp" "$t_copy")x"
  # Whole rehearsal (its own ephemeral cluster) against a dump and restore of the same data.
  read -r t_reh rss_reh < <(measure env TMPDIR="$WORK" $BIN --engine postgres --surrogate commerce --scale "$S" --quiet --out "$WORK/run-$S")
  psql_ -d postgres -c "CREATE DATABASE restored TEMPLATE template0"
  read -r t_dr _ < <(measure bash -c "'$PGBIN/pg_dump' -Fc -d gen -f '$WORK/gen.dump' && '$PGBIN/pg_restore' -d restored '$WORK/gen.dump'")
  printf '%-12s %-11s %-34s %-40s %s\n' "rehearsal" "$ROWS" "${t_reh} s, peak $((rss_reh / 1024)) MiB" "${t_dr} s (pg_dump -Fc + pg_restore)" "time $(ratio "$t_reh" "$t_dr")x"
  psql_ -d postgres -c "DROP DATABASE gen" -c "DROP DATABASE pgb" -c "DROP DATABASE restored"
  rm -f "$WORK/gen.dump"
done
