"""Accounts that are not people: the owner of imported content."""

from __future__ import annotations

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlmodel import Session, col, func, select

from core.errors import InvalidInput
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


# E-mail addresses

_EMAIL = TypeAdapter(EmailStr)


def email_taken(session: Session, email: str, *, except_user_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(col(User.email)) == email.lower())
    if except_user_id is not None:
        stmt = stmt.where(col(User.id) != except_user_id)
    return session.exec(stmt).first() is not None


def set_email(*, session: Session, user: User, email: str) -> User:
    """Change (or, given "", remove) a user's address; an invalid or taken one is refused."""
    email = email.strip()
    if not email:
        user.email = None
    else:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("value is not a valid email address: ")
            raise InvalidInput(f"That is not a valid e-mail address: {reason}") from None
        if email_taken(session, email, except_user_id=user.id):
            raise InvalidInput("That e-mail address belongs to another account; use another one.")
        user.email = email
    session.add(user)
    session.commit()
    session.refresh(user)
    return user
