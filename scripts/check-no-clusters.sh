#!/usr/bin/env bash
# Fails when a PostgreSQL server or a cluster directory started by rehearse
# or its tests survived (run after `swift test` and at the end of CI).
# Clusters kept on purpose (--keep; their owner file says kept=1) are fine.
set -euo pipefail
servers=$(pgrep -f -- "postgres -D .*rehearse-(pg|test|cli)" || true)
dirs=""
while IFS= read -r d; do
  [ -n "$d" ] || continue
  grep -q "kept=1" "$d/rehearse-owner" 2>/dev/null || dirs="$dirs $d"
done < <(find "${TMPDIR:-/tmp}" -maxdepth 2 -type d -name 'rehearse-pg-*' 2>/dev/null)
if [ -n "$servers" ] || [ -n "$dirs" ]; then
  echo "PostgreSQL left behind: servers [$servers] directories [$dirs]" >&2
  ps -o pid,ppid,etime,cmd -u postgres >&2 || true
  exit 1
fi
echo "no PostgreSQL server or cluster directory left behind"
