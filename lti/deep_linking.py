"""Deep Linking 2.0: the instructor picks what the platform's link opens, and the tool returns
it as a signed LtiDeepLinkingResponse (RS256, the tool's current key)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from sqlmodel import Session, col, select

from core.errors import InvalidInput, PermissionDenied
from core.settings import get_settings
from forum.models import Assignment, Course
from lti import claims as c
from lti.exceptions import LaunchForbidden
from lti.keys import signing_key
from lti.launch import Launch, launch_url
from lti.models import LtiPlatform
from lti.registry import origin_of
from users.models import User

# The selection page must be used within this time.
TICKET_SECONDS = 3600
RESPONSE_SECONDS = 300
_TICKET_AUDIENCE = "checkfirst:lti-deep-link"


@dataclass(frozen=True)
class Choice:
    key: str
    title: str
    custom: dict[str, str]


def require_instructor(launch: Launch) -> None:
    """Checked before anything is created: only a course's staff place links in it."""
    if c.course_role_for(launch.claims[c.ROLES]) != "instructor":
        raise LaunchForbidden(
            "Only the course's instructors can add Checkfirst to it; this launch's roles do not "
            "include Instructor or TeachingAssistant.",
            issuer=launch.platform.issuer,
        )


def issue_ticket(*, launch: Launch, user: User, course: Course) -> str:
    """What the selection page needs from the launch, signed with the site secret (HS256): the
    return URL and the platform's opaque ``data`` travel with the instructor, not in a table."""
    require_instructor(launch)
    settings: dict[str, Any] = launch.claims[c.DEEP_LINKING_SETTINGS]
    now = int(time.time())
    payload = {
        "aud": _TICKET_AUDIENCE,
        "iat": now,
        "exp": now + TICKET_SECONDS,
        "platform_id": launch.platform.id,
        "deployment_id": launch.claims[c.DEPLOYMENT_ID],
        "return_url": settings["deep_link_return_url"],
        "data": settings.get("data"),
        "accept_multiple": bool(settings.get("accept_multiple", False)),
        "user_id": user.id,
        "course_id": course.id,
    }
    return jwt.encode(payload, get_settings().effective_secret_key(), algorithm="HS256")


def read_ticket(*, ticket: str, user: User) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            ticket,
            get_settings().effective_secret_key(),
            algorithms=["HS256"],
            audience=_TICKET_AUDIENCE,
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidInput("This selection page has expired; add Checkfirst again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidInput("This selection link is not valid; add Checkfirst again.") from exc
    if payload.get("user_id") != user.id:
        raise PermissionDenied("This selection belongs to another account.")
    return payload


def choices(*, session: Session, course_id: int) -> tuple[Course, list[Choice]]:
    course = session.get(Course, course_id)
    if course is None:
        raise InvalidInput("The course of this selection no longer exists.")
    items = [Choice("course", f"{course.title}: course page", {"course": course.slug})]
    assignments = session.exec(
        select(Assignment)
        .where(Assignment.course_id == course_id)
        .order_by(col(Assignment.position), col(Assignment.title))
    ).all()
    for a in assignments:
        items.append(
            Choice(
                f"assignment:{a.slug}",
                a.title,
                {
                    "course": course.slug,
                    "assignment": a.slug,
                    "notebook_version": a.notebook_version,
                },
            )  # fmt: skip
        )
    items.append(Choice("ask", "Ask the assistant", {"course": course.slug, "target": "ask"}))
    return course, items


@dataclass(frozen=True)
class DeepLinkResponse:
    return_url: str
    jwt: str
    platform_origin: str


def respond(*, session: Session, ticket: dict[str, Any], key: str) -> DeepLinkResponse:
    """The signed LtiDeepLinkingResponse carrying the chosen item, for the platform's form post."""
    _, items = choices(session=session, course_id=int(ticket["course_id"]))
    chosen = next((item for item in items if item.key == key), None)
    if chosen is None:
        raise InvalidInput("Pick one of the listed pages.")
    platform = session.get(LtiPlatform, int(ticket["platform_id"]))
    if platform is None:
        raise InvalidInput("The platform of this selection is no longer registered.")
    tool_key = signing_key(session=session)
    now = int(time.time())
    item = {
        "type": "ltiResourceLink",
        "title": chosen.title,
        "url": launch_url(),
        "custom": chosen.custom,
    }
    claims: dict[str, Any] = {
        # The tool is the issuer here: its client id, addressed to the platform.
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_SECONDS,
        "nonce": secrets.token_urlsafe(16),
        c.DEPLOYMENT_ID: ticket["deployment_id"],
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: "1.3.0",
        c.CONTENT_ITEMS: [item],
    }
    if ticket.get("data") is not None:
        claims[c.DL_DATA] = ticket["data"]
    token = jwt.encode(
        claims, tool_key.private_pem, algorithm="RS256", headers={"kid": tool_key.kid}
    )
    return DeepLinkResponse(
        return_url=str(ticket["return_url"]),
        jwt=token,
        platform_origin=origin_of(str(ticket["return_url"])),
    )
