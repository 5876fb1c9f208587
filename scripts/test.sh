#!/usr/bin/env bash
# The one test command: lint and types, then the whole suite on SQLite and on PostgreSQL.
# The two database passes run side by side (each has its own database, data dir and ports);
# their outputs are printed one after the other.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
status=0
"$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . || status=1
"$VENV/bin/lint-imports" || status=1
"$VENV/bin/mypy" core lti users notify forum errata index assistant app || status=1
logs=$(mktemp -d)
CHECKFIRST_TEST_DB=sqlite "$VENV/bin/pytest" -q -p no:cacheprovider "$@" >"$logs/sqlite" 2>&1 &
sqlite_pid=$!
CHECKFIRST_TEST_DB=postgresql "$VENV/bin/pytest" -q -p no:cacheprovider "$@" >"$logs/postgresql" 2>&1 &
pg_pid=$!
wait $sqlite_pid || status=1
wait $pg_pid || status=1
echo "== tests on SQLite"
cat "$logs/sqlite"
echo "== tests on PostgreSQL (127.0.0.1:5432)"
cat "$logs/postgresql"
rm -rf "$logs"
exit $status
