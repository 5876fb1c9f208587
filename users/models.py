"""Users, login sessions, API tokens and per-course roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Role(StrEnum):
    learner = "learner"
    moderator = "moderator"
    admin = "admin"


class TokenScope(StrEnum):
    # A personal token acts as its user on every API route.
    full = "full"
    # A widget token may only ask and read (ACCEPTANCE B2).
    widget = "widget"


# Shared user properties.
class UserBase(SQLModel):
    username: str = Field(index=True, unique=True, min_length=3, max_length=32)
    display_name: str = Field(default="", max_length=80)


# A user as stored; the password hash never leaves the server.
class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, unique=True, max_length=254)
    password_hash: str = ""
    role: Role = Field(default=Role.learner)
    is_active: bool = True
    # The owner of imported content.
    is_system: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # TR39 skeleton of the casefolded username: names that look alike share it (core/auth.py).
    username_key: str | None = Field(default=None, index=True, max_length=160)

    @property
    def name(self) -> str:
        return self.display_name or self.username


# Properties to receive on registration.
class UserCreate(SQLModel):
    # sqlmodel passes ``regex`` to pydantic 2, which ignores it; ``pattern`` is enforced.
    username: str = Field(
        min_length=3, max_length=32, schema_extra={"pattern": r"^[A-Za-z0-9_.-]+$"}
    )
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field(default="", max_length=80)
    # Checked by email-validator (syntax only, no DNS); without one, notices are in-app only.
    email: EmailStr | None = Field(default=None, max_length=254)


# Properties to return through the API.
class UserPublic(UserBase):
    id: int
    role: Role
    created_at: datetime


# A browser login. The cookie holds a random token; only its SHA-256 is stored.
class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


# A bearer token for programs and the notebook widget; only its SHA-256 is stored.
class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    scope: TokenScope = TokenScope.full
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    # Set at creation (CHECKFIRST_TOKEN_DAYS); a token past it is refused.
    expires_at: datetime | None = None


class ApiTokenCreate(SQLModel):
    name: str = Field(min_length=1, max_length=80)
    scope: TokenScope = TokenScope.full


class ApiTokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


# Returned once, at creation: the only time the secret is shown.
class ApiTokenCreated(ApiTokenPublic):
    token: str


# Instructors are instructors of a course, not of the site.
class CourseRole(SQLModel, table=True):
    __tablename__ = "course_role"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    role: str = Field(default="instructor", max_length=20)
