"""Suspected errata: errata proposed by agreement among learners' outputs (issue #18).

When enough learners independently get the same output, and it differs from the notebook's
published expected output, ``assistant.consensus`` files a ``reported`` erratum owned by a
system account and keeps the evidence here: the consensus output (the proposed correction),
the published one, how many learners over what time, a few anonymised samples, and who to tell.
The errata layer reads only this table, so the queue and the lifecycle need nothing above it.

Closing the loop (``errata.service.transition`` calls the two hooks below):

- verifying makes the consensus output the erratum's corrected output, and every learner who
  reported it hears that their code was right (in-app now; mail through the notify outbox);
- rejecting keeps the consensus output as what the report claimed, so later learners with that
  output get the staff's explanation (``Verdict.rejected_report``); the reporters hear why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from errata.models import Erratum, ErratumStatus, Notification
from notify import service as notify_service
from notify.models import FollowKind
from users.models import User
from users.service import SYSTEM_USERNAME

S = ErratumStatus
# The account that files suspected errata; it cannot sign in and reads no notices.
CONSENSUS_USERNAME = "checkfirst-consensus"
CONSENSUS_DISPLAY_NAME = "Checkfirst (learners' outputs)"


def _text() -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=False, default="")


# The evidence behind one suspected erratum; one row per agreeing group of outputs.
class SuspectedErratum(SQLModel, table=True):
    __tablename__ = "suspected_erratum"
    id: int | None = Field(default=None, primary_key=True)
    erratum_id: int = Field(foreign_key="erratum.id", unique=True, ondelete="CASCADE")
    # The assistant's group of matching outputs it stands for (assistant.checks.CheckCluster);
    # unique, so a group never proposes two errata. No foreign key: a lower layer's table
    # does not point at a higher one's.
    cluster_id: int = Field(unique=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    assignment_id: int = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    notebook_version: str = Field(max_length=20)
    location: str = Field(default="", max_length=200)
    # The output the learners agree on (the proposed corrected output) and the notebook's.
    proposed_output: str = Field(default="", sa_column=_text())
    published_output: str = Field(default="", sa_column=_text())
    # Distinct learners, their weight after the noise rules, and its share of the location's.
    learners: int = 0
    weight: float = 0.0
    share: float = 0.0
    reports: int = 0
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    # JSON list of {"learner", "version", "at", "output"}: pseudonyms only, never names.
    samples: str = Field(default="[]", sa_column=_text())
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # When the reporters were told the outcome (verified or rejected).
    notified_at: datetime | None = None


# Who reported the consensus output: told when the suspected erratum is decided.
class SuspectLearner(SQLModel, table=True):
    __tablename__ = "suspected_erratum_learner"
    suspect_id: int = Field(
        foreign_key="suspected_erratum.id", primary_key=True, ondelete="CASCADE"
    )
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


@dataclass(frozen=True)
class Sample:
    learner: str
    version: str
    at: str
    output: str


def samples_of(suspect: SuspectedErratum) -> list[Sample]:
    try:
        raw = json.loads(suspect.samples or "[]")
    except ValueError:
        return []
    return [
        Sample(
            str(s.get("learner", "")),
            str(s.get("version", "")),
            str(s.get("at", "")),
            str(s.get("output", "")),
        )
        for s in raw
        if isinstance(s, dict)
    ]


def consensus_user(session: Session) -> User:
    """The system account that files suspected errata, made on first use (no commit: it is
    made in the transaction that files the first suspected erratum)."""
    stmt = select(User).where(User.username == CONSENSUS_USERNAME)
    user = session.exec(stmt).first()
    if user is not None:
        return user
    # The import owner is "the first system account" (users.service.system_user): it must exist
    # before this one, so that imports are never attributed to the consensus account.
    if session.exec(select(User.id).where(col(User.is_system).is_(True))).first() is None:
        _add_once(session, User(username=SYSTEM_USERNAME, display_name="Imported", is_system=True))
    _add_once(
        session,
        User(username=CONSENSUS_USERNAME, display_name=CONSENSUS_DISPLAY_NAME, is_system=True),
    )
    return session.exec(stmt).one()


def _add_once(session: Session, user: User) -> None:
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # made by a concurrent request
        pass


def for_errata(*, session: Session, erratum_ids: Iterable[int]) -> dict[int, SuspectedErratum]:
    """The suspect rows of these errata, by erratum id (errata filed by hand have none)."""
    ids = list(erratum_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(SuspectedErratum).where(col(SuspectedErratum.erratum_id).in_(ids))
    ).all()
    return {r.erratum_id: r for r in rows}


def set_learners(*, session: Session, suspect_id: int, user_ids: Sequence[int]) -> None:
    """Replace who reported the consensus output (in the caller's transaction)."""
    session.execute(delete(SuspectLearner).where(col(SuspectLearner.suspect_id) == suspect_id))
    for uid in sorted(set(user_ids)):
        session.add(SuspectLearner(suspect_id=suspect_id, user_id=uid))


def add_learner(*, session: Session, suspect_id: int, user_id: int) -> None:
    """One more learner to tell (in the caller's transaction); known ones are left alone."""
    if session.get(SuspectLearner, (suspect_id, user_id)) is None:
        session.add(SuspectLearner(suspect_id=suspect_id, user_id=user_id))


def learner_ids(*, session: Session, suspect_id: int) -> list[int]:
    return list(
        session.exec(
            select(SuspectLearner.user_id)
            .where(SuspectLearner.suspect_id == suspect_id)
            .order_by(col(SuspectLearner.user_id))
        ).all()
    )


# Lifecycle hooks, called by errata.service.transition in its transaction.


def transition_values(
    *, session: Session, erratum: Erratum, to_status: ErratumStatus
) -> dict[str, Any]:
    """Extra column values for a status move: verifying (or rejecting) a suspected erratum
    makes the consensus output its corrected output (or what the rejected report claimed)."""
    if to_status not in (S.verified, S.rejected) or erratum.corrected_output.strip():
        return {}
    suspect = session.exec(
        select(SuspectedErratum).where(SuspectedErratum.erratum_id == erratum.id)
    ).first()
    if suspect is None or not suspect.proposed_output.strip():
        return {}
    return {"corrected_output": suspect.proposed_output}


def _where(suspect: SuspectedErratum) -> str:
    return f"`{suspect.location}`" if suspect.location else "this cell"


def _to_tell(session: Session, erratum: Erratum) -> SuspectedErratum | None:
    """The suspect row whose reporters hear of this status move, if they have not yet."""
    if erratum.id is None or erratum.status not in (S.verified, S.rejected):
        return None
    suspect = session.exec(
        select(SuspectedErratum).where(SuspectedErratum.erratum_id == erratum.id)
    ).first()
    if suspect is None or suspect.id is None or suspect.notified_at is not None:
        return None
    return suspect


def reporters_to_tell(*, session: Session, erratum: Erratum, actor_id: int) -> set[int]:
    """Who ``after_transition`` will tell of this move: the ordinary notices leave them out,
    so a reporter who also follows the assignment hears once, not twice."""
    suspect = _to_tell(session, erratum)
    if suspect is None or suspect.id is None:
        return set()
    return _reporters(session, suspect.id, actor_id)


def _reporters(session: Session, suspect_id: int, actor_id: int) -> set[int]:
    return set(learner_ids(session=session, suspect_id=suspect_id)) - {actor_id}


def after_transition(*, session: Session, erratum: Erratum, actor_id: int) -> int:
    """Tell every learner who reported the consensus output how it was decided: in-app at once,
    by mail through the notify outbox. Returns how many learners; once per suspected erratum."""
    suspect = _to_tell(session, erratum)
    if suspect is None or suspect.id is None:
        return 0
    users = _reporters(session, suspect.id, actor_id)
    url = f"/errata/{erratum.id}"
    if erratum.status == S.verified:
        kind = "consensus_verified"
        title = (
            f"Your code was right: the expected output at {suspect.location or 'a cell'} was wrong"
        )
        message = (
            f"Your output for {_where(suspect)} was right: the course staff verified erratum "
            f"#{erratum.id}, and the output you (and {max(suspect.learners - 1, 0)} others) got "
            "is now the corrected expected output."
        )
        detail = erratum.corrected_output
    else:
        kind = "consensus_rejected"
        title = f"The expected output at {suspect.location or 'a cell'} stands"
        message = (
            f"The course staff checked the output you got for {_where(suspect)} and kept the "
            f"notebook's expected output: {erratum.resolution_note}"
        )
        detail = erratum.resolution_note
    message = message if len(message) <= 500 else message[:499] + "…"
    for uid in sorted(users):
        session.add(
            Notification(user_id=uid, erratum_id=erratum.id, kind=kind, message=message, url=url)
        )
    if users:
        # Mail only: the notices above are the in-app part (skip_in_app).
        notify_service.enqueue_event(
            session=session,
            kind=kind,
            subject_kind=FollowKind.assignment,
            subject_id=suspect.assignment_id,
            course_id=suspect.course_id,
            title=title,
            message=message,
            url=url,
            detail=detail[:2000],
            actor_id=actor_id,
            recipients=users,
            skip_in_app=users,
        )
    suspect.notified_at = utcnow()
    session.add(suspect)
    return len(users)


def after_undo(*, session: Session, erratum_id: int) -> None:
    """The decision was undone: the next one tells the reporters again (in the caller's
    transaction); what the undone one queued and nobody read is withdrawn by the caller."""
    suspect = session.exec(
        select(SuspectedErratum).where(SuspectedErratum.erratum_id == erratum_id)
    ).first()
    if suspect is not None and suspect.notified_at is not None:
        suspect.notified_at = None
        session.add(suspect)


# The moderator queue


@dataclass(frozen=True)
class QueueEntry:
    erratum: Erratum
    suspect: SuspectedErratum
    samples: list[Sample]


def queue(*, session: Session, course_ids: Sequence[int] | None) -> list[QueueEntry]:
    """Pending suspected errata, most learners first (``course_ids`` None: every course)."""
    stmt = (
        select(Erratum, SuspectedErratum)
        .join(SuspectedErratum, col(SuspectedErratum.erratum_id) == col(Erratum.id))
        .where(col(Erratum.status) == S.reported)
    )
    if course_ids is not None:
        stmt = stmt.where(col(Erratum.course_id).in_(list(course_ids)))
    stmt = stmt.order_by(col(SuspectedErratum.weight).desc(), col(Erratum.id)).limit(500)
    return [QueueEntry(e, s, samples_of(s)) for e, s in session.exec(stmt).all()]
