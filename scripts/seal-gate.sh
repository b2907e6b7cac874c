#!/usr/bin/env bash
# The seal-vs-bytes gate: every committed SEAL.sha256 (surrogates, committed
# evidence, conformance cases that are meant to pass) must match the bytes
# committed beside it. Any missing, extra or changed file fails the gate.
# Conformance cases named *_fail are excluded: their seals are broken on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REHEARSE_BIN:-}
if [ -z "$BIN" ]; then
  for candidate in .build/release/rehearse .build/debug/rehearse; do
    [ -x "$candidate" ] && BIN=$candidate && break
  done
fi
[ -n "$BIN" ] || { echo "seal-gate: build rehearse first (make release)" >&2; exit 4; }

mapfile -t folders < <(git ls-files -- '*SEAL.sha256' | grep -v '_fail/' | xargs -r -n1 dirname | sort -u)
if [ ${#folders[@]} -eq 0 ]; then
  echo "seal-gate: no committed seals found" >&2
  exit 1
fi
"$BIN" seal verify "${folders[@]}"
echo "seal-gate: ${#folders[@]} sealed folders match their bytes"
