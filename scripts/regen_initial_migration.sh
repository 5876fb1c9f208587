#!/usr/bin/env bash
# Regenerate app/migrations/versions/0001_initial.py from the models (allowed until a release).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f app/migrations/versions/0001_initial.py
CHECKFIRST_DATA_DIR="$tmp" .venv/bin/python - <<'PY'
from alembic import command
from app.migrate import alembic_config
command.revision(alembic_config(), message="initial schema", autogenerate=True, rev_id="0001")
PY
mv app/migrations/versions/0001_*.py app/migrations/versions/0001_initial.py
.venv/bin/ruff format -q app/migrations/versions/0001_initial.py
.venv/bin/ruff check -q --fix app/migrations/versions/0001_initial.py || true
rm -rf "$tmp"
echo "wrote app/migrations/versions/0001_initial.py"
