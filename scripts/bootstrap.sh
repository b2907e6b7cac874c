#!/usr/bin/env bash
# Makes sure the system libraries rehearse links are present: libsqlite3 and
# libpq headers, found through pkg-config. Installs them with apt-get when
# running as root on Debian/Ubuntu; otherwise says what to install.
# Also man-db and groff-base, which the install tests need to render the man
# page (`man -l`): installed the same way, but only a note when they cannot
# be (building and rehearsing do not need them).
set -euo pipefail

optional=()
command -v man >/dev/null 2>&1 || optional+=(man-db)
command -v nroff >/dev/null 2>&1 || optional+=(groff-base)
# xmllint checks the JUnit report against its XSD; headless Chromium renders
# the HTML report for its screenshot test (the report tests need both).
command -v xmllint >/dev/null 2>&1 || optional+=(libxml2-utils)
command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || optional+=(chromium-headless-shell)
if [ ${#optional[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${optional[*]} (for the man page and report tests)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${optional[@]}" >/dev/null || echo "bootstrap: could not install ${optional[*]}; the man page or report tests will fail" >&2
  else
    echo "bootstrap: ${optional[*]} missing; install them (e.g. sudo apt-get install ${optional[*]}) for the man page and report tests." >&2
  fi
fi

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists sqlite3 || missing+=(libsqlite3-dev)
  pkg-config --exists libpq || missing+=(libpq-dev)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "bootstrap: missing ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]}) and retry." >&2
  exit 4
fi
