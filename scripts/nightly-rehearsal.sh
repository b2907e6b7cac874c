#!/usr/bin/env bash
# The nightly CI rehearsal job (`make nightly`; the GitHub workflow
# .github/workflows/nightly-rehearsal.yml runs the same make target).
#
#   scripts/nightly-rehearsal.sh [--shard I/N] [--out DIR] [--config FILE] [--scale S]
#
# 1. `rehearse nightly` rehearses every surrogate and migration directory of
#    the configuration (rehearse.nightly.yaml) on SQLite, and on PostgreSQL
#    when server binaries exist; validates every run; checks each surrogate's
#    seal; writes summary.md, summary.json and the reports (report.xml JUnit,
#    report.md, report.html) into the output folder, the CI artifact.
# 2. The seal-vs-bytes gate over every committed seal (shard 1 only: it
#    covers the whole repository once), its log in the output folder.
# Exit status: rehearse nightly's (0 ok, 1 drift / failing check / rehearsal
# error, 5 validation failure or seal mismatch, 6 INCONCLUSIVE only), or 5
# when only the seal gate failed. The last line says which, with the total time.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

BIN=${REHEARSE_BIN:-.build/release/rehearse}
shard=1/1
config=rehearse.nightly.yaml
out=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) shard=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --scale) extra+=(--scale "$2"); shift 2 ;;
    *) echo "nightly: unknown option $1 (use --shard I/N, --out DIR, --config FILE, --scale S)" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "nightly: build rehearse first (make release), or set REHEARSE_BIN" >&2; exit 4; }
if [ -z "$out" ]; then
  out="rehearsals/nightly-$(date -u +%Y%m%dT%H%M%SZ)-shard-${shard%/*}-of-${shard#*/}"
fi

status=0
"$BIN" nightly --config "$config" --out "$out" --shard "$shard" "${extra[@]}" || status=$?
# Bad options or configuration (2) or an unusable machine (4): nothing ran.
if [ "$status" -eq 2 ] || [ "$status" -eq 4 ] || [ ! -f "$out/summary.md" ]; then
  echo "nightly: rehearse nightly could not run (exit $status); see the message above" >&2
  exit "$status"
fi

if [ "${shard%/*}" = 1 ]; then
  if REHEARSE_BIN="$BIN" scripts/seal-gate.sh >"$out/seal-gate.log" 2>&1; then
    tail -n 1 "$out/seal-gate.log"
  else
    # Bounded: the gate's last lines here, all of it in the log.
    tail -n 20 "$out/seal-gate.log"
    printf '\n## Seal gate\n\n**seal mismatch**: a committed SEAL.sha256 does not match its bytes; see seal-gate.log.\n' >>"$out/summary.md"
    echo "nightly: seal mismatch: the seal-vs-bytes gate failed (see $out/seal-gate.log)"
    [ "$status" -eq 0 ] && status=5
  fi
fi

# A picture of the HTML report for the artifact, where headless Chromium exists.
for browser in chromium-headless-shell chromium; do
  if command -v "$browser" >/dev/null 2>&1; then
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --window-size=1200,2400 \
      --screenshot="$out/report.png" "file://$(cd "$out" && pwd)/report.html" >/dev/null 2>&1 || true
    break
  fi
done

elapsed=$(( $(date +%s) - started ))
echo "nightly: shard $shard exit $status; output in $out; total time ${elapsed}s"
exit "$status"
