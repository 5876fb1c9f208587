"""What a valid launch does: the account of (issuer, subject), its role in the context's course,
and the page it lands on (course, assignment or Ask page)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from core.errors import InvalidInput
from forum.models import Assignment, Course
from lti import claims as c
from lti.launch import Launch
from lti.models import LtiContext, LtiIdentity, LtiResourceLink
from notify import service as notify_service
from notify.models import FollowKind
from users.auth import create_user
from users.models import CourseRole, User, UserCreate


@dataclass(frozen=True)
class Landing:
    user: User
    course: Course
    assignment: Assignment | None
    course_role: str | None
    url: str


def _slug(text: str, fallback: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug or fallback


def account_for(*, session: Session, launch: Launch) -> User:
    """The one account of this platform user, created on the first launch. The e-mail claim is
    never used to find an account: platforms let users edit it, so it proves nothing."""
    issuer, subject = launch.platform.issuer, str(launch.claims["sub"])
    for _ in range(2):
        identity = session.exec(
            select(LtiIdentity).where(LtiIdentity.issuer == issuer, LtiIdentity.subject == subject)
        ).first()
        if identity is not None:
            user = session.get(User, identity.user_id)
            assert user is not None
            identity.last_launch_at = utcnow()
            session.add(identity)
            return user
        try:
            user = _new_user(session=session, claims=launch.claims)
            assert user.id is not None
            session.add(LtiIdentity(issuer=issuer, subject=subject, user_id=user.id))
            session.flush()
            return user
        except IntegrityError:
            # The same user's first launch in two tabs at once: the other one won; use it.
            session.rollback()
    raise InvalidInput("The account for this launch could not be created; launch again.")


def _new_user(*, session: Session, claims: dict[str, Any]) -> User:
    name = str(claims.get("name") or " ".join(
        str(claims.get(k, "")) for k in ("given_name", "family_name")
    )).strip()[:80]  # fmt: skip
    base = _slug(str(claims.get("preferred_username") or name), "lti-user", 22)
    base = base if len(base) >= 3 else f"lti-{base}"
    # No password anyone knows: the account signs in through its platform.
    password = secrets.token_urlsafe(32)
    for attempt in range(6):
        username = base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        try:
            return create_user(
                session=session,
                user_create=UserCreate(username=username, password=password, display_name=name),
                commit=False,
            )
        except InvalidInput:
            continue  # taken, or confusable with a taken name: add a suffix
    raise InvalidInput("No free username could be made for this launch; launch again.")


def course_for(*, session: Session, launch: Launch) -> Course:
    """The context's course: mapped before, named by the custom ``course`` parameter on the
    first launch, or created from the context's title."""
    assert launch.platform.id is not None
    context: dict[str, Any] = launch.claims[c.CONTEXT]
    context_id = str(context["id"])
    mapped = session.exec(
        select(LtiContext).where(
            LtiContext.platform_id == launch.platform.id, LtiContext.context_id == context_id
        )
    ).first()
    if mapped is not None:
        course = session.get(Course, mapped.course_id)
        assert course is not None
        return course
    custom = _custom(launch)
    course = None
    if custom.get("course"):
        course = session.exec(select(Course).where(Course.slug == custom["course"])).first()
    if course is None:
        title = str(context.get("title") or context.get("label") or "Course")[:200]
        slug = _free_slug(session, _slug(str(context.get("label") or title), "course", 60))
        course = Course(slug=slug, title=title)
        session.add(course)
        session.flush()
    assert course.id is not None
    session.add(
        LtiContext(platform_id=launch.platform.id, context_id=context_id, course_id=course.id)
    )
    session.flush()
    return course


def _free_slug(session: Session, slug: str) -> str:
    candidate = slug
    while session.exec(select(Course.id).where(Course.slug == candidate)).first() is not None:
        candidate = f"{slug}-{secrets.token_hex(2)}"
    return candidate


def _custom(launch: Launch) -> dict[str, str]:
    custom = launch.claims.get(c.CUSTOM)
    if not isinstance(custom, dict):
        return {}
    # Platforms send unresolved substitutions such as "$Canvas.course.id" verbatim: drop them.
    return {
        str(k): str(v).strip()
        for k, v in custom.items()
        if isinstance(v, str | int) and not str(v).startswith("$")
    }


def apply_course_role(
    *, session: Session, user: User, course: Course, roles: list[Any]
) -> str | None:
    """Make the user this course's instructor or learner, as the launch says; a launch without
    the role takes it away (the platform is the source of truth for its course)."""
    wanted = c.course_role_for(roles)
    row = session.exec(
        select(CourseRole).where(CourseRole.user_id == user.id, CourseRole.course_id == course.id)
    ).first()
    if wanted is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        assert user.id is not None and course.id is not None
        session.add(CourseRole(user_id=user.id, course_id=course.id, role=wanted))
    elif row.role != wanted:
        row.role = wanted
        session.add(row)
    return wanted


def assignment_for(
    *, session: Session, launch: Launch, course: Course, role: str | None
) -> tuple[Assignment | None, str]:
    """The assignment (and target) of the resource link: custom ``assignment`` and
    ``notebook_version`` parameters, else what the link was mapped to before."""
    assert launch.platform.id is not None and course.id is not None
    custom = _custom(launch)
    target = "ask" if custom.get("target") == "ask" else "course"
    raw_link = launch.claims.get(c.RESOURCE_LINK)
    link_claim: dict[str, Any] = raw_link if isinstance(raw_link, dict) else {}
    link_id = str(link_claim.get("id", ""))
    link = None
    if link_id:
        link = session.exec(
            select(LtiResourceLink).where(
                LtiResourceLink.platform_id == launch.platform.id,
                LtiResourceLink.resource_link_id == link_id,
            )
        ).first()
    assignment = None
    slug = custom.get("assignment", "")
    if slug:
        slug = _slug(slug, "assignment", 80)
        assignment = session.exec(
            select(Assignment).where(Assignment.course_id == course.id, Assignment.slug == slug)
        ).first()
        version = custom.get("notebook_version", "")[:20]
        if assignment is None:
            title = (
                str(link_claim.get("title") or slug)[:200] if isinstance(link_claim, dict) else slug
            )
            assignment = Assignment(
                course_id=course.id, slug=slug, title=title, notebook_version=version or "1"
            )
            session.add(assignment)
            session.flush()
        elif version and role == "instructor" and assignment.notebook_version != version:
            # The instructor's placement says which notebook version learners now get.
            assignment.notebook_version = version
            session.add(assignment)
    elif link is not None and link.assignment_id is not None:
        assignment = session.get(Assignment, link.assignment_id)
    if link_id:
        if link is None:
            link = LtiResourceLink(
                platform_id=launch.platform.id, resource_link_id=link_id, course_id=course.id
            )
        link.course_id = course.id
        link.assignment_id = assignment.id if assignment is not None else link.assignment_id
        session.add(link)
    return assignment, target


def land(*, session: Session, launch: Launch) -> Landing:
    """Account, course role and landing page of a valid resource-link (or deep-linking) launch;
    one transaction."""
    user = account_for(session=session, launch=launch)
    course = course_for(session=session, launch=launch)
    role = apply_course_role(
        session=session, user=user, course=course, roles=launch.claims[c.ROLES]
    )
    assignment, target = None, "course"
    if launch.message_type == c.RESOURCE_LINK_REQUEST:
        assignment, target = assignment_for(
            session=session, launch=launch, course=course, role=role
        )
    if assignment is not None and assignment.id is not None and role == "learner":
        # Launching an assignment follows it (issue #15): its errata reach the learner.
        assert user.id is not None
        notify_service.follow(
            session=session, user_id=user.id, kind=FollowKind.assignment,
            target_id=assignment.id, commit=False,
        )  # fmt: skip
    session.commit()
    session.refresh(user)
    if target == "ask":
        query = {"course": course.slug} | ({"assignment": assignment.slug} if assignment else {})
        url = "/ask?" + urlencode(query)
    elif assignment is not None:
        url = f"/courses/{course.slug}/assignments/{assignment.slug}"
    else:
        url = f"/courses/{course.slug}"
    return Landing(user=user, course=course, assignment=assignment, course_role=role, url=url)
