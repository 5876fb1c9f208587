"""In-app notifications: who learns of an erratum's verification, rejection or fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlmodel import Session, col, select

from core.clock import utcnow
from errata.models import Erratum, ErratumAffect, ErratumLink, ErratumStatus, Notification
from forum.models import Assignment, Course, ThreadFollow
from notify import service as notify_service
from notify.models import FollowKind
from users.models import User

# The transitions learners hear about; a duplicate mark is a moderator's bookkeeping.
NOTIFIED = (ErratumStatus.verified, ErratumStatus.rejected, ErratumStatus.fixed)


def _message(erratum: Erratum) -> str:
    title = erratum.title if len(erratum.title) <= 120 else erratum.title[:117] + "…"
    if erratum.status == ErratumStatus.verified:
        return f"Erratum verified: “{title}”. The expected output is wrong; see the correction."
    if erratum.status == ErratumStatus.rejected:
        return f"Report not an erratum: “{title}”. See the explanation."
    return f"Erratum fixed in version {erratum.fixed_in}: “{title}”."


def recipients(*, session: Session, erratum: Erratum) -> set[int]:
    """The reporter, everyone who marked "affects me" and followers of linked threads."""
    ids: set[int] = {erratum.reporter_id}
    ids.update(
        session.exec(
            select(ErratumAffect.user_id).where(ErratumAffect.erratum_id == erratum.id)
        ).all()
    )
    threads = select(ErratumLink.thread_id).where(ErratumLink.erratum_id == erratum.id)
    followed: ColumnElement[bool] = col(ThreadFollow.thread_id).in_(threads)
    if erratum.source_thread_id is not None:
        followed = or_(followed, col(ThreadFollow.thread_id) == erratum.source_thread_id)
    ids.update(session.exec(select(ThreadFollow.user_id).where(followed)).all())
    if not ids:
        return ids
    # System accounts (imports) read nothing.
    system = session.exec(
        select(User.id).where(col(User.id).in_(ids), col(User.is_system).is_(True))
    ).all()
    return ids - set(system)


def notify_transition(
    *, session: Session, erratum: Erratum, actor_id: int, exclude: Iterable[int] = ()
) -> int:
    """Queue notices for a status change, in the caller's transaction; returns how many.

    ``exclude``: users told of this change by a more specific notice (a suspected erratum's
    reporters, ``errata.suspects``); they get neither the in-app notice nor the mail here.
    """
    if erratum.status not in NOTIFIED or erratum.id is None:
        return 0
    excluded = set(exclude)
    users = recipients(session=session, erratum=erratum) - {actor_id} - excluded
    message = _message(erratum)
    kind = f"erratum_{erratum.status.value}"
    for user_id in sorted(users):
        session.add(
            Notification(
                user_id=user_id,
                erratum_id=erratum.id,
                kind=kind,
                message=message,
                url=f"/errata/{erratum.id}",
            )
        )
    _enqueue_for_followers(
        session=session, erratum=erratum, kind=kind, message=message, actor_id=actor_id,
        told=users, exclude=excluded,
    )  # fmt: skip
    return len(users)


def _enqueue_for_followers(
    *,
    session: Session,
    erratum: Erratum,
    kind: str,
    message: str,
    actor_id: int,
    told: set[int],
    exclude: set[int],
) -> None:
    # Followers of the assignment (and course) hear by their chosen delivery; one queued row
    # here, fanned out by the mail worker, so the moderator's request never waits on them.
    assert erratum.id is not None
    on_assignment = erratum.assignment_id is not None
    notify_service.enqueue_event(
        session=session,
        kind=kind,
        subject_kind=FollowKind.assignment if on_assignment else FollowKind.course,
        subject_id=erratum.assignment_id if on_assignment else erratum.course_id,  # type: ignore[arg-type]
        course_id=erratum.course_id,
        group_title=_place(session, erratum),
        title=message if len(message) <= 300 else message[:299] + "…",
        message=message,
        url=f"/errata/{erratum.id}",
        detail=(erratum.resolution_note or erratum.workaround or erratum.corrected_output)[:2000],
        actor_id=actor_id,
        skip_in_app=told,
        exclude=exclude,
    )


# What a move told, by kind of notice: the ordinary one and a suspected erratum's reporters'.
_KINDS = {
    ErratumStatus.verified: ("erratum_verified", "consensus_verified"),
    ErratumStatus.rejected: ("erratum_rejected", "consensus_rejected"),
    ErratumStatus.fixed: ("erratum_fixed",),
}


def withdraw_transition(
    *, session: Session, erratum_id: int, status: ErratumStatus, since: datetime
) -> int:
    """A move to ``status`` made at ``since`` was undone: take back, in the caller's
    transaction, its in-app notices nobody has read and its mail not sent yet (events not
    fanned out, digest items, unclaimed outbox rows). Returns how many rows went."""
    kinds = _KINDS.get(status, ())
    if not kinds:
        return 0
    unread = session.execute(
        delete(Notification).where(
            col(Notification.erratum_id) == erratum_id,
            col(Notification.kind).in_(kinds),
            col(Notification.created_at) >= since,
            col(Notification.read_at).is_(None),
        )
    )
    mail = notify_service.withdraw_events(
        session=session, url=f"/errata/{erratum_id}", kinds=kinds, since=since
    )
    return int(unread.rowcount) + mail  # type: ignore[attr-defined]


def _place(session: Session, erratum: Erratum) -> str:
    """The assignment's title (or the course's), for digests to group under."""
    if erratum.assignment_id is not None:
        assignment = session.get(Assignment, erratum.assignment_id)
        if assignment is not None:
            return assignment.title
    course = session.get(Course, erratum.course_id)
    return course.title if course is not None else ""


def unread_count(*, session: Session, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def list_for_user(
    *, session: Session, user_id: int, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int]:
    conditions = [col(Notification.user_id) == user_id]
    if unread_only:
        conditions.append(col(Notification.read_at).is_(None))
    count = session.exec(select(func.count()).select_from(Notification).where(*conditions)).one()
    rows = session.exec(
        select(Notification)
        .where(*conditions)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(count)


def mark_read(*, session: Session, user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark some (or all, when ``ids`` is None) of the user's notices read; returns how many."""
    stmt = update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(col(Notification.id).in_(list(ids)))
    result = session.execute(
        stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
