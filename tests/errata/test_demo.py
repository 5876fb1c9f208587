"""The demo programme gains a dozen errata in every state, with history and marks."""

from __future__ import annotations

from sqlmodel import Session, select

from errata.models import Erratum, ErratumHistory, ErratumStatus


def test_demo_loads_errata_in_every_state_once(session: Session) -> None:
    from app.demo import load_demo
    from errata import demo as errata_demo

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
    assert errata_demo.load(session) == 0
