#!/usr/bin/env bash
# Makes sure the system libraries rehearse links are present: libsqlite3 and
# libpq headers, found through pkg-config. Installs them with apt-get when
# running as root on Debian/Ubuntu; otherwise says what to install.
set -euo pipefail

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
