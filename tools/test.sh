#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs it:
#   bash tools/test.sh [pytest arguments]
#
# Debian packages the suite drives (chromium and chromium-driver for the
# browser tests, systemd-analyze for the unit-file test, the sqlite3 and psql
# clients for the storage recipes) are installed when missing and this runs
# as root; otherwise one line says what to install. PostgreSQL and Redis must
# already answer on 127.0.0.1 (see README); the tests that need them fail,
# never skip, when they do not.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || missing+=(chromium chromium-driver)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages the tests need: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "the tests need these Debian packages: ${missing[*]};" \
      "install them (sudo apt-get install ${missing[*]}) and run this again" >&2
    exit 1
  fi
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
