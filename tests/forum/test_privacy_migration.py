"""Issue #17's revision 0007_forum_privacy: a database filled at 0006_lti (every kind of row,
as tests/core/test_migrations.py fills it) is upgraded to the head with nothing lost, and the
old content gets the safe defaults: public, signed, open threads; courses allowing anonymity.

SQLite rebuilds the thread, post and course tables for the new columns (batch mode): the
replies, votes and follows that point at them must survive that.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.migrate import upgrade
from core.settings import Settings
from tests.core.test_migrations import ROWS, _key, _same, fresh_settings  # noqa: F401

BEFORE = "0006_lti"


def test_upgrade_from_lti_keeps_every_row_and_defaults_the_new_columns(
    fresh_settings: Settings,  # noqa: F811
) -> None:
    upgrade(fresh_settings, revision=BEFORE)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            for table, row in ROWS:
                cols = ", ".join(f'"{c}"' for c in row)
                params = ", ".join(f":{c}" for c in row)
                conn.execute(sa.text(f'INSERT INTO "{table}" ({cols}) VALUES ({params})'), row)

        upgrade(fresh_settings, revision="heads")

        with engine.connect() as conn:
            for table, row in ROWS:
                name, value = _key(table, row)
                cols = ", ".join(f'"{c}"' for c in row)
                stored = (
                    conn.execute(
                        sa.text(f'SELECT {cols} FROM "{table}" WHERE "{name}" = :v'), {"v": value}
                    )
                    .mappings()
                    .one_or_none()
                )
                assert stored is not None, f"{table} {name}={value} was lost"
                changed = {c: (stored[c], v) for c, v in row.items() if not _same(stored[c], v)}
                assert changed == {}, f"{table} {name}={value} changed: {changed}"
                count = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                assert count == sum(1 for t, _ in ROWS if t == table), table
            thread = conn.execute(sa.text(
                "SELECT is_private, is_anonymous, alias_salt, duplicate_of_id, duplicate_by_id, "
                "duplicate_at FROM thread WHERE id = 1"
            )).one()  # fmt: skip
            assert not thread[0] and not thread[1] and thread[2:] == (None, None, None, None)
            posts = conn.execute(sa.text("SELECT is_anonymous FROM post ORDER BY id")).all()
            assert posts and all(not p[0] for p in posts)
            allow = conn.execute(sa.text("SELECT allow_anonymous FROM course")).scalars().all()
            assert allow and all(allow)
    finally:
        engine.dispose()
