"""What forum pages show of errata: a badge on threads tied to an erratum, the note on the
thread a report came from, and the home page's recent verified errata (issue #19).

Forum sits below errata, so these are template globals (registered by ``errata.views``) that
read in a session of their own, like the known-errata banner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core import db
from errata.models import Erratum, ErratumHistory, ErratumLink, ErratumStatus
from forum.models import Assignment, Course

# What a learner reads on the badge, by status.
LABELS = {
    ErratumStatus.reported: "erratum reported",
    ErratumStatus.verified: "verified erratum",
    ErratumStatus.fixed: "erratum fixed",
    ErratumStatus.rejected: "not an erratum",
    ErratumStatus.duplicate: "duplicate erratum",
}


@dataclass(frozen=True)
class Mark:
    erratum_id: int
    status: ErratumStatus
    title: str
    # True on the thread the erratum was reported from; False on threads linked to it.
    source: bool

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def url(self) -> str:
        return f"/errata/{self.erratum_id}"


def marks_for(session: Session, thread_ids: Iterable[int]) -> dict[int, list[Mark]]:
    """Thread id → its errata (reported from it or linked to it), one query each way."""
    ids = sorted({int(i) for i in thread_ids if i is not None})
    if not ids:
        return {}
    found: dict[tuple[int, int], Mark] = {}
    for e in session.exec(select(Erratum).where(col(Erratum.source_thread_id).in_(ids))).all():
        assert e.id is not None and e.source_thread_id is not None
        found[(e.source_thread_id, e.id)] = Mark(e.id, e.status, e.title, True)
    linked = session.exec(
        select(ErratumLink.thread_id, Erratum)
        .join(Erratum, col(Erratum.id) == col(ErratumLink.erratum_id))
        .where(col(ErratumLink.thread_id).in_(ids))
    ).all()
    for thread_id, e in linked:
        assert e.id is not None
        found.setdefault((thread_id, e.id), Mark(e.id, e.status, e.title, False))
    out: dict[int, list[Mark]] = {}
    for (thread_id, _), mark in sorted(found.items()):
        out.setdefault(thread_id, []).append(mark)
    return out


def thread_errata(thread_ids: Iterable[int]) -> dict[int, list[Mark]]:
    with Session(db.get_engine()) as session:
        return marks_for(session, thread_ids)


@dataclass(frozen=True)
class RecentErratum:
    id: int
    title: str
    course_title: str
    course_slug: str
    assignment_title: str | None
    assignment_slug: str | None
    verified_at: datetime


def recent_verified(session: Session, *, limit: int = 5) -> list[RecentErratum]:
    """Errata verified now, newest verification first."""
    verified_at = (
        select(ErratumHistory.erratum_id, func.max(ErratumHistory.created_at).label("at"))
        .where(col(ErratumHistory.to_status) == ErratumStatus.verified)
        .group_by(col(ErratumHistory.erratum_id))
        .subquery()
    )
    # Errata imported as verified have no history row: their last update stands in.
    at = func.coalesce(verified_at.c.at, col(Erratum.updated_at))
    rows = session.exec(
        select(Erratum, Course, Assignment, at)
        .outerjoin(verified_at, verified_at.c.erratum_id == col(Erratum.id))
        .join(Course, col(Course.id) == col(Erratum.course_id))
        .outerjoin(Assignment, col(Assignment.id) == col(Erratum.assignment_id))
        .where(col(Erratum.status) == ErratumStatus.verified)
        .order_by(at.desc(), col(Erratum.id).desc())
        .limit(limit)
    ).all()
    return [
        RecentErratum(
            id=e.id or 0,
            title=e.title,
            course_title=c.title,
            course_slug=c.slug,
            assignment_title=a.title if a else None,
            assignment_slug=a.slug if a else None,
            verified_at=when,
        )  # fmt: skip
        for e, c, a, when in rows
    ]


def recent_verified_errata(limit: int = 5) -> list[RecentErratum]:
    with Session(db.get_engine()) as session:
        return recent_verified(session, limit=limit)
