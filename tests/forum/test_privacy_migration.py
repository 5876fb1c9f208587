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
from tests.core.test_migrations import assert_rows_kept, fill, fresh_settings  # noqa: F401

BEFORE = "0006_lti"


def test_upgrade_from_lti_keeps_every_row_and_defaults_the_new_columns(
    fresh_settings: Settings,  # noqa: F811
) -> None:
    upgrade(fresh_settings, revision=BEFORE)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        fill(engine)

        upgrade(fresh_settings, revision="heads")

        with engine.connect() as conn:
            assert_rows_kept(conn)
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
