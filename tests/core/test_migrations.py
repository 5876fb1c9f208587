"""Every schema change is an Alembic revision that keeps the data (preamble Standards).

A fresh database is migrated to the frozen first revision, filled with plain SQL (one row of
every kind the app keeps, so no model code of today's schema is involved), then upgraded to the
newest revision(s): every row must still be there with the same values. Later revisions need
no change here; only a new table is worth a new row below. No downgrade is needed or run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.migrate import alembic_config, upgrade
from core.settings import Settings
from tests.conftest import TEST_DB, _create_pg_database

FIRST = "0001"
T0 = datetime(2024, 9, 1, 12, 30, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# One row per table, in foreign-key order: (table, values).
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("user", {"id": 1, "username": "alan", "display_name": "Alan T.", "email": "alan@example.org",
              "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "role": "learner",
              "is_active": True, "is_system": False, "created_at": _at(0)}),
    ("user", {"id": 2, "username": "dr_patel", "display_name": "Dr. Anika Patel", "email": None,
              "password_hash": "x", "role": "moderator", "is_active": True, "is_system": False,
              "created_at": _at(1)}),
    ("course", {"id": 1, "slug": "dl", "title": "Deep Learning", "description": "Nets.",
                "created_at": _at(2)}),
    ("assignment", {"id": 1, "course_id": 1, "slug": "a1", "title": "Logistic regression",
                    "notebook_version": "3a", "position": 1}),
    ("course_role", {"id": 1, "user_id": 2, "course_id": 1, "role": "instructor"}),
    ("auth_session", {"id": "a" * 64, "user_id": 1, "created_at": _at(3),
                      "expires_at": _at(3 + 14 * 1440)}),
    ("api_token", {"id": 1, "user_id": 1, "name": "notebook", "token_hash": "b" * 64,
                   "prefix": "cfp_abcd", "scope": "full", "created_at": _at(4),
                   "last_used_at": _at(5), "revoked_at": None}),
    ("thread", {"id": 1, "course_id": 1, "assignment_id": 1, "author_id": 1,
                "title": "sigmoid returns NaN", "created_at": _at(6), "last_activity_at": _at(7),
                "pinned": False, "locked": False, "deleted_at": None, "accepted_post_id": None,
                "reply_count": 1, "score": 2, "external_id": "ext-t1"}),
    ("post", {"id": 1, "thread_id": 1, "author_id": 1, "is_question": True,
              "body": "`np.exp` overflows — ünïcode ✓", "created_at": _at(6), "edited_at": None,
              "edited_by_id": None, "deleted_at": None, "score": 2, "endorsed_by_id": None,
              "endorsed_at": None, "external_id": None}),
    ("post", {"id": 2, "thread_id": 1, "author_id": 2, "is_question": False,
              "body": "Clip the input.", "created_at": _at(7), "edited_at": _at(8),
              "edited_by_id": 2, "deleted_at": None, "score": 0, "endorsed_by_id": 2,
              "endorsed_at": _at(9), "external_id": None}),
    ("vote", {"id": 1, "user_id": 2, "post_id": 1, "value": 1, "created_at": _at(10)}),
    ("thread_follow", {"id": 1, "user_id": 1, "thread_id": 1}),
    ("erratum", {"id": 1, "course_id": 1, "assignment_id": 1, "title": "expected a_next wrong",
                 "description": "The expected output is off.", "location": "cell 12",
                 "kind": "wrong_expected_output", "affected_versions": "3a",
                 "published_output": "0.5", "corrected_output": "0.25",
                 "workaround": "Ignore the check.",
                 "status": "verified", "resolution_note": "", "duplicate_of_id": None,
                 "fixed_in": None, "reporter_id": 1, "verifier_id": 2, "source_thread_id": 1,
                 "source_post_id": 1, "affects_count": 1, "created_at": _at(11),
                 "updated_at": _at(12), "external_id": None}),
    ("erratum_history", {"id": 1, "erratum_id": 1, "actor_id": 1, "from_status": None,
                         "to_status": "reported", "reason": "", "created_at": _at(11)}),
    ("erratum_history", {"id": 2, "erratum_id": 1, "actor_id": 2, "from_status": "reported",
                         "to_status": "verified", "reason": "Reproduced.", "created_at": _at(12)}),
    ("erratum_affect", {"id": 1, "user_id": 1, "erratum_id": 1, "created_at": _at(13)}),
    ("erratum_link", {"id": 1, "erratum_id": 1, "thread_id": 1}),
    ("notification", {"id": 1, "user_id": 1, "erratum_id": 1, "kind": "verified",
                      "message": "Your report was verified.", "url": "/errata/1",
                      "created_at": _at(14), "read_at": None}),
    ("conversation", {"id": 1, "user_id": 1, "anon_key": None, "course": "dl", "assignment": "a1",
                      "notebook_version": "3a", "last_question": "why NaN",
                      "last_traceback": "", "last_output": "", "last_expected": "",
                      "created_at": _at(15), "updated_at": _at(16)}),
    ("ask_log", {"id": 1, "user_id": 1, "conversation_id": 1, "question": "why NaN",
                 "course": "dl", "assignment": "a1", "notebook_version": "3a",
                 "terms": "nan sigmoid", "verdict": "erratum", "top_score": 0.75,
                 "source_ids": "erratum:1", "created_at": _at(15)}),
    ("ask_feedback", {"id": 1, "ask_id": 1, "user_id": 1, "helpful": True, "comment": "yes",
                      "created_at": _at(17)}),
    ("chat_message", {"id": 1, "conversation_id": 1, "role": "user", "content": "why NaN",
                      "ask_id": 1, "created_at": _at(15)}),
    ("index_event", {"seq": 1, "doc_type": "thread", "doc_id": 1, "op": "upsert",
                     "created_at": _at(6)}),
]  # fmt: skip


@pytest.fixture()
def fresh_settings() -> Iterator[Settings]:
    """Settings pointing at an empty database of the run's kind (not the suite's own)."""
    with tempfile.TemporaryDirectory() as tmp:
        if TEST_DB == "postgresql":
            url, drop = _create_pg_database()
            try:
                yield Settings(env="test", data_dir=Path(tmp), database_url=url)
            finally:
                drop()
        else:
            yield Settings(env="test", data_dir=Path(tmp))


def _same(stored: Any, expected: Any) -> bool:
    if isinstance(expected, datetime):
        if isinstance(stored, str):
            stored = datetime.fromisoformat(stored)
        if stored.tzinfo is None:  # SQLite keeps the UTC wall time
            stored = stored.replace(tzinfo=UTC)
        return bool(stored == expected)
    if isinstance(expected, bool):
        return bool(stored) is expected and stored in (0, 1, True, False)
    return bool(stored == expected)


def _key(table: str, row: dict[str, Any]) -> tuple[str, Any]:
    return ("seq", row["seq"]) if table == "index_event" else ("id", row["id"])


def fill(engine: sa.Engine) -> None:
    """One row of every table the first revision made (``ROWS``)."""
    with engine.begin() as conn:
        for table, row in ROWS:
            cols = ", ".join(f'"{c}"' for c in row)
            params = ", ".join(f":{c}" for c in row)
            conn.execute(sa.text(f'INSERT INTO "{table}" ({cols}) VALUES ({params})'), row)


def assert_rows_kept(conn: sa.Connection) -> None:
    """Every row ``fill`` wrote is still there, value for value, and nothing was added."""
    for table, row in ROWS:
        name, value = _key(table, row)
        cols = ", ".join(f'"{c}"' for c in row)
        stored = (
            conn.execute(sa.text(f'SELECT {cols} FROM "{table}" WHERE "{name}" = :v'), {"v": value})
            .mappings()
            .one_or_none()
        )
        assert stored is not None, f"{table} {name}={value} was lost"
        changed = {c: (stored[c], v) for c, v in row.items() if not _same(stored[c], v)}
        assert changed == {}, f"{table} {name}={value} changed: {changed}"
        count = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        assert count == sum(1 for t, _ in ROWS if t == table), table


def test_upgrade_from_first_revision_keeps_every_row(fresh_settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    upgrade(fresh_settings, revision=FIRST)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        fill(engine)
        tables_at_first = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables_at_first == {t for t, _ in ROWS}, "a table of 0001 has no row above"

        upgrade(fresh_settings, revision="heads")

        heads = set(ScriptDirectory.from_config(alembic_config(fresh_settings)).get_heads())
        with engine.connect() as conn:
            at = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
            assert at == heads
            assert_rows_kept(conn)
    finally:
        engine.dispose()


def test_identity_revision_fills_its_new_columns(fresh_settings: Settings) -> None:
    """0002_identity: existing users get a lookalike key, existing tokens an expiry date."""
    upgrade(fresh_settings, revision=FIRST)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            for table, row in ROWS:
                if table in ("user", "api_token"):
                    cols = ", ".join(f'"{c}"' for c in row)
                    params = ", ".join(f":{c}" for c in row)
                    conn.execute(sa.text(f'INSERT INTO "{table}" ({cols}) VALUES ({params})'), row)
        upgrade(fresh_settings, revision="0002_identity")
        with engine.connect() as conn:
            keys = dict(conn.execute(sa.text('SELECT username, username_key FROM "user"')).all())
            expires = conn.execute(sa.text("SELECT expires_at FROM api_token")).scalar_one()
    finally:
        engine.dispose()
    assert keys == {"alan": "alan", "dr_patel": "dr_patel"}
    assert expires is not None
