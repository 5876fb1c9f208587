"""Undo a moderator's last transition for a few minutes (a mis-click on Reject or Mark fixed).

The undo is a transition of its own: the status goes back, what the move set (verifier, note,
duplicate target, fixed-in version) is cleared, and a history row says who undid what. What the
move told and nobody has read or been sent yet (in-app notices, queued mail and digest items)
is withdrawn; mail already sent stays sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import Conflict, NotFound
from errata import notifications, suspects
from errata.models import Erratum, ErratumHistory, ErratumStatus
from errata.service import move_status
from index import events
from users.models import User
from users.policy import ensure_may_moderate

UNDO_WINDOW = timedelta(minutes=5)
S = ErratumStatus
# What each move set, cleared when it is undone.
_CLEARED: dict[ErratumStatus, dict[str, object]] = {
    S.verified: {"verifier_id": None},
    S.rejected: {"resolution_note": ""},
    S.duplicate: {"duplicate_of_id": None, "resolution_note": ""},
    S.fixed: {"fixed_in": None},
}
PAST = {S.verified: "verified", S.rejected: "rejected", S.duplicate: "marked duplicate",
        S.fixed: "marked fixed"}  # fmt: skip


@dataclass(frozen=True)
class Done:
    """A transition just made, as the next page confirms it."""

    erratum: Erratum
    entry: ErratumHistory
    undoable: bool


def _latest(session: Session, erratum_id: int) -> ErratumHistory | None:
    return session.exec(
        select(ErratumHistory)
        .where(ErratumHistory.erratum_id == erratum_id)
        .order_by(col(ErratumHistory.id).desc())
        .limit(1)
    ).first()


def _undoable(entry: ErratumHistory, erratum: Erratum, user: User) -> bool:
    return (
        entry.actor_id == user.id
        and entry.from_status is not None
        and entry.to_status in _CLEARED
        and erratum.status == entry.to_status
        and utcnow() - entry.created_at <= UNDO_WINDOW
    )


def just_done(*, session: Session, user: User, history_id: int) -> Done | None:
    """The confirmation for ``history_id`` if it is this user's own and still the latest move."""
    entry = session.get(ErratumHistory, history_id)
    if entry is None or entry.actor_id != user.id or entry.from_status is None:
        return None
    erratum = session.get(Erratum, entry.erratum_id)
    latest = _latest(session, entry.erratum_id)
    if erratum is None or latest is None or latest.id != entry.id:
        return None
    return Done(erratum=erratum, entry=entry, undoable=_undoable(entry, erratum, user))


def latest_move_id(*, session: Session, erratum_id: int) -> int | None:
    latest = _latest(session, erratum_id)
    return latest.id if latest else None


def undo(*, session: Session, user: User, erratum_id: int, history_id: int) -> Erratum:
    """Put the erratum back where ``history_id`` found it.

    Raises:
        NotFound: no such erratum or move.
        PermissionDenied: the user no longer moderates the course.
        Conflict: not the latest move, not this user's, or older than the undo window.
    """
    erratum = session.get(Erratum, erratum_id)
    entry = session.get(ErratumHistory, history_id)
    if erratum is None or entry is None or entry.erratum_id != erratum_id:
        raise NotFound("No such change to undo.")
    ensure_may_moderate(session, user, erratum.course_id)
    latest = _latest(session, erratum_id)
    if latest is None or latest.id != entry.id or not _undoable(entry, erratum, user):
        raise Conflict(
            "This change can no longer be undone (it is older than 5 minutes, not yours, or "
            "something changed since); use the actions on the erratum instead."
        )
    assert entry.from_status is not None and user.id is not None
    values = {"status": entry.from_status, "updated_at": utcnow(), **_CLEARED[entry.to_status]}
    move_status(
        session=session,
        erratum_id=erratum_id,
        expected=entry.to_status,
        values=values,
        actor_id=user.id,
        reason=f"Undone: {PAST[entry.to_status]} by mistake.",
    )
    events.record(session, doc_type="erratum", doc_id=erratum_id)
    # What the move told and is not read or sent yet is taken back with it.
    notifications.withdraw_transition(
        session=session, erratum_id=erratum_id, status=entry.to_status, since=entry.created_at
    )
    suspects.after_undo(session=session, erratum_id=erratum_id)
    session.commit()
    session.refresh(erratum)
    return erratum
