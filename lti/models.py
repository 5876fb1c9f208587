"""LTI tables: registered platforms, the tool's keys, identities, used nonces, context maps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


# A platform (LMS) registration: what its admin gave us when adding Checkfirst.
class LtiPlatform(SQLModel, table=True):
    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)
    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(index=True, max_length=400)
    client_id: str = Field(max_length=400)
    auth_login_url: str = Field(max_length=1000)
    auth_token_url: str = Field(max_length=1000)
    key_set_url: str = Field(max_length=1000)
    # Space-separated origins allowed to frame Checkfirst pages (the LMS's own web origin,
    # which for Canvas differs from its issuer and authorisation host).
    frame_origins: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


# A deployment of the tool on a platform; launches naming another deployment are refused.
class LtiDeployment(SQLModel, table=True):
    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True, ondelete="CASCADE")
    deployment_id: str = Field(max_length=400)


# The tool's own RSA key pairs; the newest signs, the previous one stays in the JWKS so
# that platforms holding a cached copy still verify messages signed just before a rotation.
class LtiToolKey(SQLModel, table=True):
    __tablename__ = "lti_tool_key"
    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(unique=True, max_length=64)
    private_pem: str = Field(sa_column=Column(Text, nullable=False))
    public_jwk: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# A platform user (issuer, subject) is one Checkfirst account; never matched by e-mail.
class LtiIdentity(SQLModel, table=True):
    __tablename__ = "lti_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=400)
    subject: str = Field(max_length=255)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    last_launch_at: datetime = Field(default_factory=utcnow)


# One login initiation: its state (bound to the browser by a cookie) and nonce, used once.
# ``purpose`` "handoff": a one-time link that carries a launch into a new tab (lti/handoff.py).
class LtiNonce(SQLModel, table=True):
    __tablename__ = "lti_nonce"
    state: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(default="launch", max_length=10)
    nonce: str = Field(unique=True, max_length=64)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


# A platform's course (LTI context) and the Checkfirst course it maps to.
class LtiContext(SQLModel, table=True):
    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True, ondelete="CASCADE")
    context_id: str = Field(max_length=255)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")


# A placed link and where it lands: the course page, an assignment or the Ask page.
class LtiResourceLink(SQLModel, table=True):
    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True, ondelete="CASCADE")
    resource_link_id: str = Field(max_length=255)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    assignment_id: int | None = Field(
        default=None, foreign_key="assignment.id", index=True, ondelete="SET NULL"
    )


# A refused launch, kept for the admin page: what failed, from where.
class LtiRefusal(SQLModel, table=True):
    __tablename__ = "lti_refusal"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    step: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    issuer: str = Field(default="", max_length=400)
    client_ip: str = Field(default="", max_length=64)
