"""Expand queued events to their followers: in-app notices, mail at once, digest items.

Each event is fanned out exactly once: the claim (``UPDATE … SET fanned_out_at WHERE … IS
NULL``) and every row it produces commit in one transaction, so of two workers one wins and
the other's update matches nothing (PostgreSQL re-checks the condition after the winner
commits; SQLite has one writer at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from core.clock import utcnow
from notify import mailtext
from notify.models import (
    Delivery,
    DeliveryPreference,
    DigestItem,
    FollowKind,
    MailOutbox,
    NotifyEvent,
)
from notify.service import DEFAULT_DELIVERY, Notice, followers, parse_ids, write_in_app
from users.models import User

CHUNK = 1000


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _recipients(session: Session, event: NotifyEvent) -> dict[int, FollowKind]:
    """Each recipient with the kind of follow that reached them (the most specific wins)."""
    if event.recipients is not None:
        return {uid: event.subject_kind for uid in parse_ids(event.recipients)}
    out: dict[int, FollowKind] = {}
    if event.course_id is not None and event.subject_kind != FollowKind.course:
        for uid in followers(session=session, kind=FollowKind.course, target_ids=[event.course_id]):
            out[uid] = FollowKind.course
    for uid in followers(session=session, kind=event.subject_kind, target_ids=[event.subject_id]):
        out[uid] = event.subject_kind
    return out


def _users(session: Session, ids: Sequence[int]) -> list[User]:
    users: list[User] = []
    for part in _chunks(ids):
        users.extend(
            session.exec(
                select(User).where(
                    col(User.id).in_(part),
                    col(User.is_active).is_(True),
                    col(User.is_system).is_(False),
                )
            ).all()
        )
    return users


def _choices(session: Session, ids: Sequence[int]) -> dict[tuple[int, FollowKind], Delivery]:
    out: dict[tuple[int, FollowKind], Delivery] = {}
    for part in _chunks(ids):
        for row in session.exec(
            select(DeliveryPreference).where(col(DeliveryPreference.user_id).in_(part))
        ).all():
            out[(row.user_id, row.kind)] = row.delivery
    return out


def fan_out(session: Session, event: NotifyEvent, now: datetime) -> int | None:
    """Claim and expand one event; the number of recipients, None if another process took it."""
    claimed = session.execute(
        update(NotifyEvent)
        .where(col(NotifyEvent.id) == event.id, col(NotifyEvent.fanned_out_at).is_(None))
        .values(fanned_out_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    reached = _recipients(session, event)
    for uid in {event.actor_id or -1} | parse_ids(event.exclude):
        reached.pop(uid, None)
    users = _users(session, sorted(reached))
    choices = _choices(session, [u.id for u in users if u.id is not None])
    skip = parse_ids(event.skip_in_app)
    notices: list[Notice] = []
    mails: list[dict[str, Any]] = []
    digest: list[dict[str, Any]] = []
    for user in users:
        assert user.id is not None
        kind = reached[user.id]
        if user.id not in skip:
            notices.append(Notice(user.id, event.kind, event.message, event.url))
        delivery = choices.get((user.id, kind), DEFAULT_DELIVERY[kind])
        if not user.email or delivery == Delivery.in_app:
            continue  # no address (or no mail wanted): in-app only
        if delivery == Delivery.immediate:
            mails.append(_event_mail(event, user, kind))
        else:
            digest.append(
                {"user_id": user.id, "period": delivery, "event_id": event.id, "created_at": now}
            )
    write_in_app(session, notices)
    for batch in _batches(mails):
        session.execute(insert(MailOutbox), batch)
    for batch in _batches(digest):
        session.execute(insert(DigestItem), batch)
    session.commit()
    return len(users)


def _batches(rows: list[dict[str, Any]], size: int = 2000) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _event_mail(event: NotifyEvent, user: User, kind: FollowKind) -> dict[str, Any]:
    assert user.id is not None and user.email
    context = mailtext.common_context(user_id=user.id, kinds=(kind,))
    text, html = mailtext.render(
        "event",
        name=user.name,
        event=event,
        link=context["base_url"] + event.url,
        **context,
    )
    row = mailtext.outbox_row(
        user_id=user.id,
        to_addr=user.email,
        subject=event.title,
        text=text,
        html=html,
        unsubscribe_url=context["unsubscribe_url"],
        kind=event.kind,
    )
    row["event_id"] = event.id
    return row


def fan_out_pending(session: Session, *, limit: int = 20, now: datetime | None = None) -> int:
    """Expand up to ``limit`` queued events, oldest first; returns how many this process took."""
    now = now or utcnow()
    pending = session.exec(
        select(NotifyEvent)
        .where(col(NotifyEvent.fanned_out_at).is_(None))
        .order_by(col(NotifyEvent.id))
        .limit(limit)
    ).all()
    session.rollback()  # end the read: each claim below is its own transaction
    taken = 0
    for event in pending:
        if fan_out(session, event, now) is not None:
            taken += 1
    return taken
