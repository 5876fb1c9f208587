"""Revision 0008_consensus keeps every row: a database filled at 0007_forum_privacy (one row of
every table the first revision made) is upgraded to the head; every table reads back exactly as
before, and the new tables take a failing check and a suspected erratum for the old rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.migrate import upgrade
from core.settings import Settings
from tests.core.test_migrations import FIRST, _at, fill, fresh_settings  # noqa: F401

PREVIOUS = "0007_forum_privacy"


def _dump(conn: sa.Connection, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in tables:
        rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_consensus_revision_keeps_every_row(fresh_settings: Settings) -> None:  # noqa: F811
    upgrade(fresh_settings, revision=FIRST)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        fill(engine)
        upgrade(fresh_settings, revision=PREVIOUS)
        tables = sorted(set(sa.inspect(engine).get_table_names()) - {"alembic_version"})
        with engine.connect() as conn:
            before = _dump(conn, tables)

        upgrade(fresh_settings, revision="head")

        with engine.begin() as conn:
            assert _dump(conn, tables) == before
            new = set(sa.inspect(conn).get_table_names()) - set(tables) - {"alembic_version"}
            assert new >= {
                "check_location", "check_cluster", "failing_check", "check_opt_out",
                "suspected_erratum", "suspected_erratum_learner",
            }  # fmt: skip
            conn.execute(
                sa.text(
                    "INSERT INTO check_location (id, course_id, assignment_id, notebook_version,"
                    " location, reports, updated_at) VALUES (1, 1, 1, '3a', 'sigmoid_test', 1, :t)"
                ),
                {"t": _at(20)},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO check_cluster (id, location_id, representative, reports,"
                    " created_at) VALUES (1, 1, 's = [0.5 0.7]', 1, :t)"
                ),
                {"t": _at(20)},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO failing_check (id, location_id, cluster_id, course_id,"
                    " assignment_id, notebook_version, location, learner_key, user_id, ip_key,"
                    " new_account, actual_output, expected_output, truncated, parseable,"
                    " matches_expected, created_at) VALUES (1, 1, 1, 1, 1, '3a', 'sigmoid_test',"
                    " 'abcd', 1, NULL, false, 's = [0.5 0.7]', 's = [0.5 0.75]', false, true,"
                    " false, :t)"
                ),
                {"t": _at(20)},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO suspected_erratum (id, erratum_id, cluster_id, course_id,"
                    " assignment_id, notebook_version, location, proposed_output,"
                    " published_output, learners, weight, share, reports, first_seen,"
                    " last_seen, samples, created_at, updated_at) VALUES (1, 1, 1, 1, 1, '3a',"
                    " 'sigmoid_test', 's = [0.5 0.7]', 's = [0.5 0.75]', 5, 5.0, 1.0, 5, :t, :t,"
                    " '[]', :t, :t)"
                ),
                {"t": _at(20)},
            )
            conn.execute(
                sa.text("INSERT INTO suspected_erratum_learner (suspect_id, user_id) VALUES (1, 1)")
            )
    finally:
        engine.dispose()
