#!/usr/bin/env bash
# Create the virtual environment and install Checkfirst with pinned, CPU-only torch.
set -euo pipefail
venv="${1:-.venv}"
cd "$(dirname "$0")/.."
[ -x "$venv/bin/python" ] || python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
"$venv/bin/pip" install -q "torch==2.13.0"
# The learner's client is its own distribution (notebook_client/); the server imports it
# under assistant.notebook, so it goes in first, editable.
# constraints.txt holds the exact version of every other dependency (reproducible figures).
"$venv/bin/pip" install -q -c constraints.txt -e ./notebook_client
"$venv/bin/pip" install -q -c constraints.txt -e ".[dev]"
# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
# axe-core (pinned in tests/a11y/package-lock.json) for the accessibility audit; the audit
# skips itself when node is absent.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/a11y --no-audit --no-fund >/dev/null
fi
echo "installed into $venv"
