#!/usr/bin/env bash
# Fails when a file under Sources/ is over 400 lines, unless one of its
# first 15 lines is a comment that starts `// Over 400 lines:` and says why
# (text after the colon). Prints each offender with its line count.
#
#   scripts/check-file-sizes.sh [DIR...]    (default: Sources of this package)
#
# LIMIT and HEAD override 400 and 15 (for trying a stricter bar).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
limit=${LIMIT:-400}
head_lines=${HEAD:-15}
if [ $# -eq 0 ]; then set -- "$here/../Sources"; fi

offenders=0 excused=0 files=0
while IFS= read -r -d '' file; do
  files=$((files + 1))
  lines=$(awk 'END { print NR }' "$file")
  [ "$lines" -gt "$limit" ] || continue
  name=${file#"$here/../"}
  # An excuse: `// Over 400 lines: <why>` (leading spaces allowed) in the first lines.
  if head -n "$head_lines" "$file" | grep -qE "^[[:space:]]*// Over $limit lines:[[:space:]]*[^[:space:]]"; then
    excused=$((excused + 1))
    continue
  fi
  printf '%6d  %s\n' "$lines" "$name"
  offenders=$((offenders + 1))
done < <(find "$@" -type f -print0 | sort -z)

if [ $offenders -gt 0 ]; then
  echo "check-file-sizes: $offenders file(s) over $limit lines (above) without a '// Over $limit lines: <why>' comment in their first $head_lines lines: split them or say why" >&2
  exit 1
fi
echo "check-file-sizes: OK ($files files, none over $limit lines without a reason; $excused with one)"
