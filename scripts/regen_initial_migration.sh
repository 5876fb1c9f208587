#!/usr/bin/env bash
# Regenerate core/migrations/versions/0001_initial.py from the models (allowed until a release).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f core/migrations/versions/0001_initial.py
CHECKFIRST_DATA_DIR="$tmp" .venv/bin/python - <<'PY'
from alembic import command
from core.migrate import alembic_config
command.revision(alembic_config(), message="initial schema", autogenerate=True, rev_id="0001")
PY
mv core/migrations/versions/0001_*.py core/migrations/versions/0001_initial.py
.venv/bin/ruff format -q core/migrations/versions/0001_initial.py
.venv/bin/ruff check -q --fix core/migrations/versions/0001_initial.py || true
rm -rf "$tmp"
echo "wrote core/migrations/versions/0001_initial.py"
