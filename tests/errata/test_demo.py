"""The demo programme gains a dozen errata in every state, with history and marks."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.demo import load_demo, read_lines
from errata.models import Erratum, ErratumAffect, ErratumHistory, ErratumStatus, Notification
from forum.models import Thread
from users.models import User


def test_demo_loads_errata_in_every_state_once(session: Session) -> None:
    assert load_demo() is True
    rows = session.exec(select(Erratum)).all()
    assert len(rows) >= 12
    assert {e.status for e in rows} == set(ErratumStatus)
    fixed = [e for e in rows if e.status == ErratumStatus.fixed]
    assert all(e.fixed_in for e in fixed)
    assert any(e.affects_count >= 3 for e in rows if e.status == ErratumStatus.reported)
    assert all(e.published_output and e.corrected_output for e in rows)
    history = session.exec(select(ErratumHistory)).all()
    assert len(history) > len(rows)
    counts = (len(rows), len(history), session.exec(select(func.count(col(Notification.id)))).one())
    assert load_demo() is True
    session.expire_all()
    assert (
        len(session.exec(select(Erratum)).all()),
        len(session.exec(select(ErratumHistory)).all()),
        session.exec(select(func.count(col(Notification.id)))).one(),
    ) == counts


def test_demo_errata_tell_who_reported_and_moved_them(session: Session) -> None:
    """The file's reporter, source thread, marks and moves are the learners' and instructors'."""
    load_demo()
    line = next(r for r in read_lines("errata.jsonl") if r["external_id"].endswith("rnn-forward-a"))
    erratum = session.exec(select(Erratum).where(Erratum.external_id == line["external_id"])).one()
    names = {u.id: u.username for u in session.exec(select(User)).all()}
    assert names[erratum.reporter_id] == line["reporter"] == "ada"
    thread = session.get(Thread, erratum.source_thread_id)
    assert thread is not None and thread.external_id == line["thread"]
    marks = session.exec(
        select(ErratumAffect.user_id).where(ErratumAffect.erratum_id == erratum.id)
    ).all()
    assert sorted(names[m] for m in marks) == sorted(line["affected"])
    moves = session.exec(
        select(ErratumHistory)
        .where(ErratumHistory.erratum_id == erratum.id)
        .order_by(col(ErratumHistory.id))
    ).all()
    assert [(names[h.actor_id], h.to_status) for h in moves] == [
        ("ada", ErratumStatus.reported),
        ("dr_patel", ErratumStatus.verified),
    ]
    # The reporter heard of the verification, as after a real one.
    notified = session.exec(
        select(Notification.user_id).where(Notification.erratum_id == erratum.id)
    ).all()
    assert erratum.reporter_id in notified
