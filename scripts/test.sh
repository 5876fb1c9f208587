#!/usr/bin/env bash
# The one test command: lint and types, then the whole suite on SQLite and on PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
status=0
"$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . || status=1
"$VENV/bin/mypy" core forum errata index assistant || status=1
echo "== tests on SQLite"
CHECKFIRST_TEST_DB=sqlite "$VENV/bin/pytest" -q "$@" || status=1
echo "== tests on PostgreSQL (127.0.0.1:5432)"
CHECKFIRST_TEST_DB=postgresql "$VENV/bin/pytest" -q "$@" || status=1
exit $status
