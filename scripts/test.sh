#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run every test twice over:
#   1. the whole suite (unit, AppTest, browser) on SQLite files;
#   2. the tests that touch the store (data layer, pages and the two-server test, not the
#      browser journeys) on a throw-away PostgreSQL server started here and stopped at the end.
# pip packages from requirements-dev.txt; Debian's chromium, nginx, poppler-utils and postgresql when missing.
# Arguments are passed to both pytest runs, e.g. `bash scripts/test.sh tests/ingest/test_build.py`.
# RMO_TEST_PG=off skips the PostgreSQL run (its tests show as skipped; under CI=true they fail).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {  # apt_install PACKAGE: quiet Debian install, the package list fetched once
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null
}

# Step 1: Python packages (pinned).
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Step 2: Debian's chromium for the browser tests.
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  apt_install chromium
fi

# Step 2a: Liberation fonts, whose Arial metrics measure chart text in tests/charts/text_boxes.py.
if [ ! -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ]; then
  echo "Installing Debian's Liberation fonts for the chart text tests…"
  apt_install fonts-liberation
fi

# Step 2b: Debian's nginx for the proxy tests (tests/deploy: compose.yaml's nginx site); it is
# only run by the tests, on loopback ports, never started as a service.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing Debian's nginx for the proxy tests…"
  apt_install nginx
fi

# Step 2c: Debian's poppler-utils: the briefing-pack tests render every PDF page with pdftoppm.
if ! command -v pdftoppm >/dev/null 2>&1; then
  echo "Installing Debian's poppler-utils for the briefing-pack tests…"
  apt_install poppler-utils
fi

# Step 3: Debian's PostgreSQL server binaries (not started as a service; see step 4).
pg_bin() {  # the folder of initdb/pg_ctl: Debian keeps them out of PATH
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}
PG_BIN="$(pg_bin || true)"
if [ -z "$PG_BIN" ] && [ "${RMO_TEST_PG:-}" != "off" ]; then
  echo "Installing Debian's postgresql for the PostgreSQL tests…"
  apt_install postgresql || echo "Could not install postgresql." >&2
  PG_BIN="$(pg_bin || true)"
fi

# Step 4: a throw-away cluster in a temporary folder, on loopback only, trusting local
# connections (nothing else can reach it); fsync off because its data is thrown away.
PG_DIR=""
PG_AS=()  # initdb and postgres refuse to run as root: run them as the `postgres` user
PG_NOTE=""
stop_pg() {  # always stop the server and remove its folder, however the run ends
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
trap stop_pg EXIT
trap 'exit 130' INT TERM  # so that an interrupted run still runs the EXIT trap
start_pg() {
  if [ "${RMO_TEST_PG:-}" = "off" ]; then PG_NOTE="turned off with RMO_TEST_PG=off"; return 1; fi
  [ -n "$PG_BIN" ] || { PG_NOTE="PostgreSQL is not installed and could not be installed"; return 1; }
  PG_DIR="$(mktemp -d /tmp/rmo-pg.XXXXXX)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  local port
  port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
    || { PG_NOTE="initdb failed: $(tail -n 3 "$PG_DIR/initdb.log" | tr '\n' ' ')"; return 1; }
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null \
    || { PG_NOTE="the server did not start: $(tail -n 3 "$PG_DIR/server.log" | tr '\n' ' ')"; return 1; }
  "${PG_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres rmo_test \
    || { PG_NOTE="createdb failed"; return 1; }
  export RMO_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/rmo_test"
}
if start_pg; then
  echo "PostgreSQL test server: $RMO_TEST_DATABASE_URL"
else
  # tests/conftest.py skips the PostgreSQL run with this reason, or fails it when CI=true.
  echo "PostgreSQL tests cannot run: $PG_NOTE" >&2
  export RMO_TEST_PG_UNAVAILABLE="$PG_NOTE"
fi

# Step 5: the whole suite on SQLite. Each run writes a JUnit file for the verdict line.
status=0
mkdir -p test-output
rm -f test-output/junit-sqlite.xml test-output/junit-postgresql.xml
echo "== Test run 1 of 2: SQLite (every test) =="
env -u RMO_TEST_DATABASE_URL -u RMO_TEST_PG_UNAVAILABLE \
  python -m pytest --junitxml=test-output/junit-sqlite.xml "$@" || status=$?

# Step 6: the same tests on PostgreSQL; tests/conftest.py keeps only those that use a store
# and skips the SQLite-only ones with their reason. Browser tests ran in step 5; the two-server
# test (tests/multiserver, not marked browser) runs again here, its servers on one database.
echo "== Test run 2 of 2: PostgreSQL (tests that use a store) =="
pg_status=0
python -m pytest -m "not browser" --junitxml=test-output/junit-postgresql.xml "$@" || pg_status=$?
# 5 = nothing collected: the arguments chose only tests that use no store (or browser tests).
pg_none="did not run"
if [ "$pg_status" -eq 5 ]; then
  pg_none="no test among the chosen ones"
  rm -f test-output/junit-postgresql.xml
elif [ "$pg_status" -ne 0 ]; then
  status=$pg_status
fi

# One line for both runs, e.g. "SQLite: 527 passed, 1 xfailed · PostgreSQL: 348 passed, 17 skipped · RESULT: PASS".
python scripts/verdict.py "$status" test-output/junit-sqlite.xml test-output/junit-postgresql.xml "$pg_none"
