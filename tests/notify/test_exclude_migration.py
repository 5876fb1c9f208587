"""Revision 0009_notify_exclude keeps every row: a database filled at 0008_consensus (one row of
every table the first revision made, a queued event and a message waiting in the outbox) is
upgraded to the head; every table reads back exactly as before, old events exclude no one and
old mail names no event, and the queued event is still fanned out."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.migrate import upgrade
from core.settings import Settings
from tests.core.test_migrations import FIRST, _at, fill, fresh_settings  # noqa: F401

PREVIOUS = "0008_consensus"


def _dump(conn: sa.Connection, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, names in columns.items():
        cols = ", ".join(f'"{c}"' for c in names)
        rows = conn.execute(sa.text(f'SELECT {cols} FROM "{table}"')).all()
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def _queue_mail(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO notify_event (kind, subject_kind, subject_id, course_id, group_title,"
            " title, message, url, detail, actor_id, recipients, skip_in_app, created_at,"
            " fanned_out_at) VALUES ('erratum_verified', 'assignment', 1, 1,"
            " 'Logistic regression', 'Erratum verified', 'Erratum verified: “x”.', '/errata/1',"
            " '0.25', 2, NULL, '1', :t, NULL)"
        ),
        {"t": _at(20)},
    )
    conn.execute(
        sa.text(
            "INSERT INTO mail_outbox (user_id, to_addr, subject, body_text, body_html,"
            " headers, kind, status, attempts, next_attempt_at, claim_token, lease_until,"
            " sent_at, last_error, created_at) VALUES (1, 'alan@example.org',"
            " 'Erratum verified', 'text', '<p>html</p>', '{}', 'erratum_verified', 'pending',"
            " 1, :t, NULL, NULL, NULL, 'timeout', :t)"
        ),
        {"t": _at(21)},
    )


def test_notify_exclude_revision_keeps_every_row(fresh_settings: Settings) -> None:  # noqa: F811
    upgrade(fresh_settings, revision=FIRST)
    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        fill(engine)
        upgrade(fresh_settings, revision=PREVIOUS)
        with engine.begin() as conn:
            _queue_mail(conn)
        inspector = sa.inspect(engine)
        tables = sorted(set(inspector.get_table_names()) - {"alembic_version"})
        columns = {t: [c["name"] for c in inspector.get_columns(t)] for t in tables}
        with engine.connect() as conn:
            before = _dump(conn, columns)
        assert len(before["notify_event"]) == len(before["mail_outbox"]) == 1

        upgrade(fresh_settings, revision="head")

        with engine.connect() as conn:
            assert _dump(conn, columns) == before
            assert conn.execute(sa.text("SELECT exclude FROM notify_event")).all() == [("",)]
            assert conn.execute(sa.text("SELECT event_id FROM mail_outbox")).all() == [(None,)]
    finally:
        engine.dispose()

    # The app reads the old rows through today's models: the queued event reaches its follower.
    from sqlmodel import Session

    from notify.fanout import fan_out_pending
    from notify.models import FollowKind, MailOutbox, NotifyEvent, Subscription

    engine = sa.create_engine(fresh_settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            session.add(Subscription(user_id=1, kind=FollowKind.assignment, target_id=1))
            session.commit()
            event = session.exec(sa.select(NotifyEvent)).scalar_one()  # type: ignore[call-overload]
            assert event.exclude == ""
            assert fan_out_pending(session) == 1
            mails = session.exec(sa.select(MailOutbox.to_addr, MailOutbox.event_id)).all()  # type: ignore[call-overload]
            assert set(mails) == {("alan@example.org", None), ("alan@example.org", event.id)}
    finally:
        engine.dispose()
