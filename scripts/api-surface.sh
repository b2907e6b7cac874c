#!/usr/bin/env bash
# The public API per target (Sources/<T>/): how many public types and public
# declarations, and which public declarations lack a `///` (or `/** */`) doc comment directly
# above them (attribute lines in between are fine; a blank line or an ordinary
# comment is not). `open` counts as public.
#
#   scripts/api-surface.sh            print the counts and the undocumented declarations
#   scripts/api-surface.sh --summary  print the counts only
#   scripts/api-surface.sh --check    the same as the first, and fail when any lacks a doc comment
#
# What it sees: declarations that say `public` or `open` themselves (types,
# typealiases, funcs, inits, subscripts, vars, lets, associated types). What it
# does not: members made public by a `public extension` or by a public protocol
# or enum without the word (so write `public` on each member; the house style),
# and declarations whose attributes span several lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
mode=list
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --summary) mode=summary ;;
  *) echo "usage: $0 [--check | --summary]" >&2; exit 2 ;;
esac

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find Sources -type f -name '*.swift' -print0 | sort -z)
[ ${#files[@]} -gt 0 ] || { echo "api-surface: no Swift files under Sources/" >&2; exit 2; }

awk -v mode="$mode" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
function count(s, pat,   n) { n = 0; while (match(s, pat)) { n++; s = substr(s, RSTART + RLENGTH) } return n }
BEGIN {
  split("public open static final override mutating nonmutating nonisolated lazy weak unowned required convenience indirect dynamic prefix postfix infix consuming borrowing distributed private(set) fileprivate(set) internal(set) package(set) public(set) nonisolated(unsafe) unowned(unsafe) unowned(safe)", m, " ")
  for (i in m) modifier[m[i]] = 1
  split("struct enum protocol actor typealias", t, " ")
  for (i in t) typeword[t[i]] = 1
  split("func var let subscript associatedtype macro", d, " ")
  for (i in d) memberword[d[i]] = 1
}
FNR == 1 {
  split(FILENAME, parts, "/"); target = parts[2]
  if (!(target in seen)) { seen[target] = 1; order[++ntargets] = target; types[target] = 0; decls[target] = 0; undoc[target] = 0 }
  docAbove = 0; inString = 0; inDocBlock = 0; inBlock = 0
}
{
  line = $0; s = trim(line)
  # Lines inside a multi-line string literal are text, not code.
  if (inString) { if (count(s, "\"\"\"") % 2 == 1) inString = 0; docAbove = 0; next }
  # Block comments: /** ... */ is a doc comment, /* ... */ is not.
  if (inBlock) { if (index(s, "*/")) { inBlock = 0; docAbove = isDocBlock } ; next }
  if (substr(s, 1, 3) == "///") { docAbove = 1; next }
  if (substr(s, 1, 2) == "/*") {
    isDocBlock = (substr(s, 1, 3) == "/**" && substr(s, 1, 4) != "/**/")
    if (index(substr(s, 3), "*/")) { docAbove = isDocBlock } else { inBlock = 1 }
    next
  }
  if (count(s, "\"\"\"") % 2 == 1) inString = 1
  # Strip the attributes; an attribute-only line keeps the doc comment above in force.
  rest = s
  while (match(rest, /^@[A-Za-z_][A-Za-z0-9_]*(\([^)]*\))?[ \t]*/)) rest = substr(rest, RLENGTH + 1)
  if (rest == "" && s != "") next
  n = split(rest, w, /[ \t]+/)
  public = 0; kind = ""
  for (i = 1; i <= n; i++) {
    word = w[i]
    if (word == "class") {
      nxt = w[i + 1]; sub(/[(<:{].*/, "", nxt)
      if (i < n && (nxt in modifier || nxt in memberword || nxt == "class")) continue
      kind = "type"; break
    }
    if (word in modifier) { if (word == "public" || word == "open") public = 1; continue }
    bare = word; sub(/[(<:{?!].*/, "", bare)
    if (bare in typeword) kind = "type"
    else if (bare in memberword || bare == "init") kind = "member"
    break
  }
  if (public && kind != "") {
    decls[target]++
    if (kind == "type") types[target]++
    if (!docAbove) {
      undoc[target]++
      text = s; if (length(text) > 110) text = substr(text, 1, 107) "..."
      missing[++nmissing] = FILENAME ":" FNR ": " text
    }
  }
  docAbove = 0
}
END {
  printf "%-20s %12s %20s %14s\n", "target", "public types", "public declarations", "undocumented"
  for (i = 1; i <= ntargets; i++) {
    tg = order[i]
    printf "%-20s %12d %20d %14d\n", tg, types[tg], decls[tg], undoc[tg]
    tt += types[tg]; td += decls[tg]; tu += undoc[tg]
  }
  printf "%-20s %12d %20d %14d\n", "total", tt, td, tu
  if (mode != "summary" && nmissing > 0) {
    print ""
    print "public declarations without a /// doc comment directly above:"
    for (i = 1; i <= nmissing; i++) print "  " missing[i]
  }
  fflush()
  if (mode == "check" && tu > 0) {
    printf "api-surface: %d public declaration(s) lack a /// doc comment (above); document them or make them package\n", tu > "/dev/stderr"
    exit 1
  }
}
' "${files[@]}"
