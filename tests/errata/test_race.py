"""ACCEPTANCE A4: two moderators move the same erratum at once; one wins, the other gets 409.

Both racers load the erratum (seeing the same status) before either writes, held at a barrier,
so the compare-and-set is what decides, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlmodel import Session, select

from core.db import get_engine
from core.errors import Conflict
from errata import service
from errata.models import Erratum, ErratumHistory, ErratumStatus
from index.events import IndexEvent
from tests.errata.conftest import World

S = ErratumStatus

RACES = [
    (S.reported, S.verified, S.rejected),
    (S.reported, S.rejected, S.duplicate),
    (S.reported, S.duplicate, S.verified),
    (S.reported, S.verified, S.verified),
    (S.reported, S.rejected, S.rejected),
    (S.verified, S.fixed, S.fixed),
]


@pytest.mark.parametrize(("start", "first", "second"), RACES)
def test_concurrent_transitions_exactly_one_wins(
    session: Session,
    world: World,
    report: Any,
    monkeypatch: pytest.MonkeyPatch,
    start: ErratumStatus,
    first: ErratumStatus,
    second: ErratumStatus,
) -> None:
    original = report(title="the original")
    erratum = report()
    assert erratum.id is not None
    if start != S.reported:
        erratum.status = start
        session.add(erratum)
        session.commit()
    events_before = len(session.exec(select(IndexEvent)).all())

    barrier = threading.Barrier(2, timeout=20)
    real_load = service._load_for_transition

    def load_then_wait(s: Session, erratum_id: int) -> Erratum:
        row = real_load(s, erratum_id)
        barrier.wait()
        return row

    monkeypatch.setattr(service, "_load_for_transition", load_then_wait)
    outcomes: dict[str, Any] = {}

    def racer(name: str, actor: Any, to: ErratumStatus) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            try:
                service.transition(
                    session=s,
                    user=actor,
                    erratum_id=erratum.id,  # type: ignore[arg-type]
                    to_status=to,
                    reason=f"{name} says so",
                    duplicate_of_id=original.id,
                    fixed_in="3a",
                )
                outcomes[name] = to
            except Conflict as exc:
                outcomes[name] = exc
            except Exception as exc:  # pragma: no cover - reported by the assertion below
                outcomes[name] = exc

    threads = [
        threading.Thread(target=racer, args=("mod", world.moderator, first)),
        threading.Thread(target=racer, args=("ins", world.instructor, second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    winners = [n for n, o in outcomes.items() if isinstance(o, ErratumStatus)]
    losers = [n for n, o in outcomes.items() if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    loser_message = str(outcomes[losers[0]])
    # Both passed the status check; the compare-and-set turned the loser away.
    assert "just now" in loser_message
    session.expire_all()
    stored = session.get(Erratum, erratum.id)
    assert stored is not None and stored.status == outcomes[winners[0]]
    moves = session.exec(
        select(ErratumHistory).where(
            ErratumHistory.erratum_id == erratum.id, ErratumHistory.from_status == start
        )
    ).all()
    assert len(moves) == 1
    assert moves[0].to_status == stored.status
    assert moves[0].reason.endswith(f"{winners[0]} says so")
    events_after = len(session.exec(select(IndexEvent)).all())
    assert events_after == events_before + 1
