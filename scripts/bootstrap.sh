#!/usr/bin/env bash
# Makes sure the system libraries rehearse links are present: libsqlite3 and
# libpq headers, found through pkg-config. Installs them with apt-get when
# running as root on Debian/Ubuntu; otherwise says what to install.
# Also man-db and groff-base, which the install tests need to render the man
# page (`man -l`): installed the same way, but only a note when they cannot
# be (building and rehearsing do not need them).
# And the PostgreSQL server and client (initdb, pg_ctl, postgres; psql,
# pg_dump, pg_restore), which the PostgreSQL engine and its tests need: when
# rehearse would not find them (PATH, `pg_config --bindir`,
# /usr/lib/postgresql/*/bin), installed as root (version 15 when the
# distribution has it), else a note; the tests then skip the PostgreSQL
# suites and say so in one line.
set -euo pipefail

apt_updated=0
apt_update_once() {
  [ "$apt_updated" = 1 ] && return 0
  apt-get update -qq
  apt_updated=1
}

# The PostgreSQL server binaries, looked for where rehearse looks
# (PostgresCluster.locateBinaries): PATH, `pg_config --bindir`, then
# /usr/lib/postgresql/*/bin.
pg_server_dir() {
  local d
  local IFS=:
  for d in $PATH; do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  unset IFS
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 1
}

if ! pg_server_dir >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt_update_once || echo "bootstrap: apt-get update failed; trying the package lists there are" >&2
    if apt-cache show postgresql-15 >/dev/null 2>&1 && apt-cache show postgresql-client-15 >/dev/null 2>&1; then
      pg_packages=(postgresql-15 postgresql-client-15)
    else
      pg_packages=(postgresql postgresql-client)
    fi
    echo "bootstrap: installing ${pg_packages[*]} (the PostgreSQL server and client, for --engine postgres and its tests)" >&2
    # No 'main' cluster of the distribution's: rehearse starts a throwaway
    # cluster of its own for each run, and a resident server is not wanted.
    if apt-get install -y -qq postgresql-common >/dev/null 2>&1; then
      conf=/etc/postgresql-common/createcluster.conf
      if [ -f "$conf" ]; then
        sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' "$conf"
        grep -q '^create_main_cluster = false' "$conf" || echo 'create_main_cluster = false' >> "$conf"
      fi
    fi
    apt-get install -y -qq "${pg_packages[@]}" >/dev/null \
      || echo "bootstrap: could not install ${pg_packages[*]}; the PostgreSQL tests will be skipped" >&2
    if dir=$(pg_server_dir); then
      echo "bootstrap: PostgreSQL server binaries in $dir" >&2
    else
      echo "bootstrap: still no PostgreSQL server binaries (initdb, pg_ctl, postgres); the PostgreSQL tests will be skipped" >&2
    fi
  else
    echo "bootstrap: no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH, at \`pg_config --bindir\` or under /usr/lib/postgresql/*/bin." >&2
    echo "bootstrap: for --engine postgres and its tests, install the server and client (e.g. sudo apt-get install postgresql-15 postgresql-client-15, or postgresql postgresql-client), or give --pg-bindir / --pg-url; until then the PostgreSQL tests are skipped." >&2
  fi
fi

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
    apt_update_once
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
  apt_update_once
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "bootstrap: missing ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]}) and retry." >&2
  exit 4
fi
