"""Accounts that are not people: the owner of imported content."""

from __future__ import annotations

from sqlmodel import Session, col, select

from users.models import User

SYSTEM_USERNAME = "checkfirst-import"


def system_user(session: Session) -> User:
    """The owner of imported content, created on first use; it can't sign in."""
    user = session.exec(
        select(User).where(col(User.is_system).is_(True)).order_by(col(User.id))
    ).first()
    if user is not None:
        return user
    name = SYSTEM_USERNAME
    taken = session.exec(select(User.id).where(User.username == name)).first()
    if taken is not None:
        name = f"{SYSTEM_USERNAME}-{taken}"
    user = User(username=name, display_name="Imported", is_system=True, is_active=True)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user
