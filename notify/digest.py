"""Daily and weekly digests: one message per user, the waiting items grouped by what they follow.

A digest claims its items (``UPDATE digest_item SET outbox_id`` where still unclaimed) in the
same transaction that writes its message, so two workers never send a user the same items.
Scheduled jobs are claimed the same way: moving ``next_run_at`` forward where it is due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.settings import Settings
from notify import mailtext
from notify.models import Delivery, DigestItem, FollowKind, MailOutbox, NotifyEvent, NotifyJob
from notify.service import preferences
from users.models import User


@dataclass
class Group:
    title: str
    events: list[NotifyEvent] = field(default_factory=list)


def group_events(events: list[NotifyEvent]) -> list[Group]:
    """Events grouped by their subject (an assignment, a thread), in order of first mention."""
    groups: dict[tuple[str, int], Group] = {}
    for e in sorted(events, key=lambda e: e.id or 0):
        key = (e.subject_kind.value, e.subject_id)
        if key not in groups:
            groups[key] = Group(title=e.group_title or e.title)
        groups[key].events.append(e)
    return list(groups.values())


def run_digest(session: Session, *, period: Delivery, now: datetime | None = None) -> int:
    """Send each user with waiting ``period`` items one digest; returns how many were written."""
    assert period in (Delivery.daily, Delivery.weekly)
    now = now or utcnow()
    user_ids = session.exec(
        select(DigestItem.user_id)
        .where(DigestItem.period == period, col(DigestItem.outbox_id).is_(None))
        .distinct()
    ).all()
    session.rollback()
    written = 0
    for user_id in user_ids:
        written += _digest_for(session, user_id=user_id, period=period, now=now)
    return written


def _digest_for(session: Session, *, user_id: int, period: Delivery, now: datetime) -> int:
    user = session.get(User, user_id)
    if user is None or not user.email:
        # The address was removed since: these stay in-app only.
        session.execute(
            delete(DigestItem).where(
                col(DigestItem.user_id) == user_id, col(DigestItem.outbox_id).is_(None)
            )
        )
        session.commit()
        return 0
    outbox = MailOutbox(user_id=user_id, to_addr=user.email, subject="", kind=f"digest_{period}")
    session.add(outbox)
    session.flush()
    claimed = session.execute(
        update(DigestItem)
        .where(
            col(DigestItem.user_id) == user_id,
            col(DigestItem.period) == period,
            col(DigestItem.outbox_id).is_(None),
        )
        .values(outbox_id=outbox.id)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        session.rollback()  # another worker took them first
        return 0
    events = list(
        session.exec(
            select(NotifyEvent)
            .join(DigestItem, col(DigestItem.event_id) == col(NotifyEvent.id))
            .where(DigestItem.outbox_id == outbox.id)
        ).all()
    )
    chosen = preferences(session=session, user_id=user_id)
    kinds = tuple(k for k, d in chosen.items() if d == period) or tuple(FollowKind)
    context = mailtext.common_context(user_id=user_id, kinds=kinds)
    text, html = mailtext.render(
        "digest",
        name=user.name,
        period=period.value,
        count=len(events),
        groups=group_events(events),
        **context,
    )
    row = mailtext.outbox_row(
        user_id=user_id,
        to_addr=user.email,
        subject=f"Your {period.value} Checkfirst digest: {len(events)} update"
        + ("s" if len(events) != 1 else ""),
        text=text,
        html=html,
        unsubscribe_url=context["unsubscribe_url"],
        kind=f"digest_{period.value}",
    )
    for name, value in row.items():
        setattr(outbox, name, value)
    session.add(outbox)
    session.commit()
    return 1


# Scheduled jobs


def next_daily(now: datetime, settings: Settings) -> datetime:
    at = now.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def next_weekly(now: datetime, settings: Settings) -> datetime:
    at = next_daily(now, settings)
    while at.weekday() != settings.digest_weekday:
        at += timedelta(days=1)
    return at


Schedule = Callable[[datetime, Settings], datetime]


def claim_job(
    session: Session, *, name: str, schedule: Schedule, settings: Settings, now: datetime
) -> bool:
    """True for exactly one caller once the job ``name`` is due; it is then rescheduled."""
    values: dict[str, Any] = {"name": name, "next_run_at": schedule(now, settings)}
    dialect = session.get_bind().dialect.name
    stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NotifyJob)
    session.execute(stmt.values(**values).on_conflict_do_nothing())
    result = session.execute(
        update(NotifyJob)
        .where(col(NotifyJob.name) == name, col(NotifyJob.next_run_at) <= now)
        .values(next_run_at=schedule(now, settings), last_run_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def run_due_digests(session: Session, settings: Settings, *, now: datetime) -> int:
    written = 0
    if claim_job(session, name="digest_daily", schedule=next_daily, settings=settings, now=now):
        written += run_digest(session, period=Delivery.daily, now=now)
    if claim_job(session, name="digest_weekly", schedule=next_weekly, settings=settings, now=now):
        written += run_digest(session, period=Delivery.weekly, now=now)
    return written
