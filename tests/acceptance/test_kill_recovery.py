"""ACCEPTANCE D2 (short, for CI): SIGKILL the server three times while a client writes.

Runs ``bench/kill_test.py`` with 3 rounds on the suite's database kind (a fresh SQLite file, or a
fresh database on the test PostgreSQL server): after every kill each acknowledged thread, erratum
and verify is present, SQLite's integrity check passes, each erratum's status equals its last
history row, and at the end ``checkfirst index check`` (which catches the saved index up from the
outbox) reports no drift. To stay fast the servers here run without the indexer thread, so no
model loads on each restart; the long run (indexer on, demo data, kills during index saves too) is
``.venv/bin/python bench/kill_test.py --rounds 20 [--postgresql]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DB

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import kill_test  # noqa: E402

pytestmark = pytest.mark.model


def test_acknowledged_writes_survive_three_sigkills_and_index_has_no_drift() -> None:
    report = kill_test.run(
        rounds=3, postgresql=TEST_DB == "postgresql", seed=7, demo=False, index=False
    )
    assert report.rounds == 3
    assert report.acked_threads, "no write was acknowledged; the test proved nothing"
    assert report.ok, "\n".join(report.problems)
