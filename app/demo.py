"""Demo data a newcomer can try at once: loads each domain's demo content."""

from __future__ import annotations

from sqlmodel import Session, select

from core.db import get_engine


def load_demo(*, only_if_empty: bool = False) -> bool:
    import errata.demo as errata_demo
    import forum.demo as forum_demo
    from forum.models import Course

    with Session(get_engine()) as session:
        if only_if_empty and session.exec(select(Course.id)).first() is not None:
            return False
        forum_demo.load(session)
        session.commit()
        errata_demo.load(session)
        session.commit()
    return True
