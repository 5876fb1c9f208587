"""Following, delivery preferences, and the events other domains enqueue.

Plain keyword-only functions over a ``Session``. ``enqueue_event`` only adds one row to the
caller's transaction: the fan-out to followers (in-app notices, mail, digest items) happens
later in the worker (``notify.fanout``), so no request waits on thousands of followers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from notify.models import (
    Delivery,
    DeliveryPreference,
    DigestItem,
    FollowKind,
    MailOutbox,
    MailStatus,
    NotifyEvent,
    Subscription,
)

# What a user gets for a kind until they choose: mail at once for what they took part in,
# a daily digest for whole courses (a course can be busy).
DEFAULT_DELIVERY: dict[FollowKind, Delivery] = {
    FollowKind.course: Delivery.daily,
    FollowKind.assignment: Delivery.immediate,
    FollowKind.thread: Delivery.immediate,
    FollowKind.course_reports: Delivery.weekly,
}

# Course and assignment rows belong to forum/, a layer above this one: their existence is
# checked by table name, without importing forum (a thread follow is forum's own row).
_TARGET_TABLES = {FollowKind.course: "course", FollowKind.assignment: "assignment"}


# In-app notices live where the app keeps its notification inbox (errata's table); the app
# registers the writer at start-up, since this layer must not import errata.
@dataclass(frozen=True)
class Notice:
    user_id: int
    kind: str
    message: str
    url: str


InAppWriter = Callable[[Session, Sequence[Notice]], None]
_in_app_writer: InAppWriter | None = None


def set_in_app_writer(writer: InAppWriter | None) -> None:
    global _in_app_writer
    _in_app_writer = writer


def write_in_app(session: Session, notices: Sequence[Notice]) -> None:
    if notices and _in_app_writer is not None:
        _in_app_writer(session, notices)


# Following


def _check_target(session: Session, kind: FollowKind, target_id: int) -> None:
    if kind not in _TARGET_TABLES:
        raise InvalidInput("Follow threads from the thread's page; here: course or assignment.")
    table = sa.table(_TARGET_TABLES[kind], sa.column("id"))
    found = session.execute(sa.select(table.c.id).where(table.c.id == target_id)).first()
    if found is None:
        raise NotFound(f"No such {kind.value}.")


def follow(
    *, session: Session, user_id: int, kind: FollowKind, target_id: int, commit: bool = True
) -> bool:
    """Follow a course or assignment; returns False when already following."""
    if is_following(session=session, user_id=user_id, kind=kind, target_id=target_id):
        return False
    _check_target(session, kind, target_id)
    if not commit:
        session.add(Subscription(user_id=user_id, kind=kind, target_id=target_id))
        return True
    try:
        with session.begin_nested():
            session.add(Subscription(user_id=user_id, kind=kind, target_id=target_id))
        session.commit()
    except IntegrityError:
        # Followed at the same moment from another tab: the unique row already exists.
        session.rollback()
        return False
    return True


def unfollow(*, session: Session, user_id: int, kind: FollowKind, target_id: int) -> bool:
    result = session.execute(
        sa.delete(Subscription).where(
            col(Subscription.user_id) == user_id,
            col(Subscription.kind) == kind,
            col(Subscription.target_id) == target_id,
        )
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_following(*, session: Session, user_id: int, kind: FollowKind, target_id: int) -> bool:
    row = session.exec(
        select(Subscription.id).where(
            Subscription.user_id == user_id,
            Subscription.kind == kind,
            Subscription.target_id == target_id,
        )
    ).first()
    return row is not None


def list_follows(*, session: Session, user_id: int) -> list[Subscription]:
    return list(
        session.exec(
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(col(Subscription.kind), col(Subscription.target_id))
        ).all()
    )


def titles(*, session: Session, follows: Sequence[Subscription]) -> dict[tuple[str, int], str]:
    """Course and assignment titles for a list of follows (read by table name, see above)."""
    out: dict[tuple[str, int], str] = {}
    for kind, name in _TARGET_TABLES.items():
        ids = [f.target_id for f in follows if f.kind == kind]
        if ids:
            table = sa.table(name, sa.column("id"), sa.column("title"))
            rows = session.execute(sa.select(table.c.id, table.c.title).where(table.c.id.in_(ids)))
            out.update({(kind.value, row.id): row.title for row in rows})
    return out


def followers(*, session: Session, kind: FollowKind, target_ids: Iterable[int]) -> set[int]:
    ids = list(target_ids)
    if not ids:
        return set()
    return set(
        session.exec(
            select(Subscription.user_id).where(
                Subscription.kind == kind, col(Subscription.target_id).in_(ids)
            )
        ).all()
    )


# Preferences


def preferences(*, session: Session, user_id: int) -> dict[FollowKind, Delivery]:
    chosen = {
        row.kind: row.delivery
        for row in session.exec(
            select(DeliveryPreference).where(DeliveryPreference.user_id == user_id)
        ).all()
    }
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in FollowKind}


def set_preferences(
    *, session: Session, user_id: int, choices: dict[FollowKind, Delivery]
) -> dict[FollowKind, Delivery]:
    for kind, delivery in choices.items():
        row = session.get(DeliveryPreference, (user_id, kind))
        if row is None:
            session.add(DeliveryPreference(user_id=user_id, kind=kind, delivery=delivery))
        else:
            row.delivery = delivery
            session.add(row)
    session.commit()
    return preferences(session=session, user_id=user_id)


# Events


def _ids(values: Iterable[int]) -> str:
    return ",".join(str(v) for v in sorted(set(values)))


def enqueue_event(
    *,
    session: Session,
    kind: str,
    subject_kind: FollowKind,
    subject_id: int,
    title: str,
    message: str,
    url: str,
    course_id: int | None = None,
    group_title: str = "",
    detail: str = "",
    actor_id: int | None = None,
    recipients: Iterable[int] | None = None,
    skip_in_app: Iterable[int] = (),
    exclude: Iterable[int] = (),
) -> NotifyEvent:
    """Queue one event in the caller's transaction (committed with the change it reports).

    Followers of ``subject_kind``/``subject_id`` (and of ``course_id``) hear of it, or exactly
    ``recipients`` when given (thread followers); the actor never hears of their own act.
    ``skip_in_app``: users the domain already told in-app (they still get mail).
    ``exclude``: users told of the same change by a more specific event; none of this one.
    """
    event = NotifyEvent(
        kind=kind,
        subject_kind=subject_kind,
        subject_id=subject_id,
        course_id=course_id,
        group_title=group_title[:300],
        title=title[:300],
        message=message[:500],
        url=url[:300],
        detail=detail[:4000],
        actor_id=actor_id,
        recipients=None if recipients is None else _ids(recipients),
        skip_in_app=_ids(skip_in_app),
        exclude=_ids(exclude),
    )
    session.add(event)
    return event


def withdraw_events(*, session: Session, url: str, kinds: Iterable[str], since: datetime) -> int:
    """Take back, in the caller's transaction, what is not sent yet of the events of these kinds
    about ``url`` queued since ``since`` (a change undone): events not fanned out yet, digest
    items not in a digest yet, and mail no worker holds. Returns how many rows went.

    What a worker holds (claimed, under its lease) may be on its way and is left alone; on
    PostgreSQL each ``DELETE`` re-checks its condition after a worker's claim commits.
    """
    ids = list(
        session.exec(
            select(NotifyEvent.id).where(
                col(NotifyEvent.url) == url,
                col(NotifyEvent.kind).in_(list(kinds)),
                col(NotifyEvent.created_at) >= since,
            )
        ).all()
    )
    if not ids:
        return 0
    gone = 0
    # Events first: a fan-out committing meanwhile has its mail visible to the deletes below.
    for stmt in (
        sa.delete(NotifyEvent).where(
            col(NotifyEvent.id).in_(ids), col(NotifyEvent.fanned_out_at).is_(None)
        ),
        sa.delete(DigestItem).where(
            col(DigestItem.event_id).in_(ids), col(DigestItem.outbox_id).is_(None)
        ),
        sa.delete(MailOutbox).where(
            col(MailOutbox.event_id).in_(ids),
            col(MailOutbox.status) == MailStatus.pending,
            sa.or_(col(MailOutbox.lease_until).is_(None), col(MailOutbox.lease_until) < utcnow()),
        ),
    ):
        gone += int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    return gone


def parse_ids(text: str | None) -> set[int]:
    return {int(part) for part in (text or "").split(",") if part}
