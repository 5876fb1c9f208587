"""Failing checks: what learners' outputs were, where, against which expected output (issue #18).

An ask that carries both the learner's output and the notebook's expected output (the Ask
page's "Compare outputs", a notebook or API client that sends both) is a *failing check*. Signed-in
learners' checks are kept, unless they opted out, for ``check_retention_days``:

- course, assignment, notebook version and the location (a test or function name from the
  traceback, else the first printed name);
- the actual and expected output, each cut to ``MAX_STORED_CHARS``;
- who, as a per-course pseudonym (an HMAC of course and account; moderators see it, learners
  never do) plus the account id, so the learner can be told the outcome and their checks
  deleted with their account or when they opt out; the IP address only as a keyed hash, to
  count many accounts behind one address as fewer.

Each location's outputs are grouped as they arrive (``assistant.matching.compare``: the same
named values within tolerance): a check joins the first group whose representative output it
matches, or starts one. Outputs with no numbers to compare are kept but never grouped or counted.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Column, Text, UniqueConstraint, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from assistant.intake import strip_ansi
from assistant.matching import compare
from assistant.parsing import Value, normalize_name, parse, parse_values
from assistant.schemas import AskRequest
from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from core.linear_regex import Pattern
from core.ratelimit import is_new_account
from core.settings import get_settings
from errata.suspects import SuspectedErratum
from errata.versions import version_key
from forum.models import Assignment, Course
from users.models import User

# Outputs longer than this are cut before they are stored (the comparison reads at most 1,000
# numbers anyway); the check notes that it was cut.
MAX_STORED_CHARS = 4_000
# A new output is compared with at most this many groups of its location, largest first.
MAX_GROUPS_COMPARED = 100


def _text() -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=False, default="")


# One place in one notebook version where outputs are compared: (assignment, version, location).
class CheckLocation(SQLModel, table=True):
    __tablename__ = "check_location"
    __table_args__ = (UniqueConstraint("assignment_id", "notebook_version", "location"),)
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    assignment_id: int = Field(foreign_key="assignment.id", ondelete="CASCADE")
    notebook_version: str = Field(max_length=20)
    location: str = Field(default="", max_length=200)
    # Bumped by every check: the update also serialises concurrent checks of one location.
    reports: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


# A group of matching outputs at one location; its first output represents it.
class CheckCluster(SQLModel, table=True):
    __tablename__ = "check_cluster"
    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="check_location.id", index=True, ondelete="CASCADE")
    representative: str = Field(default="", sa_column=_text())
    reports: int = 0
    created_at: datetime = Field(default_factory=utcnow)


# One failing check as a learner sent it.
class FailingCheck(SQLModel, table=True):
    __tablename__ = "failing_check"
    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="check_location.id", index=True, ondelete="CASCADE")
    # None: the output had no values to compare (kept, never counted).
    cluster_id: int | None = Field(
        default=None, foreign_key="check_cluster.id", index=True, ondelete="SET NULL"
    )
    course_id: int = Field(foreign_key="course.id", ondelete="CASCADE")
    assignment_id: int = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    notebook_version: str = Field(max_length=20)
    location: str = Field(default="", max_length=200)
    # Per-course pseudonym shown to moderators; the account id only to tell the learner.
    learner_key: str = Field(max_length=16)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    # Keyed hash of the client address: accounts behind one address count as fewer.
    ip_key: str | None = Field(default=None, max_length=16)
    new_account: bool = False
    actual_output: str = Field(default="", sa_column=_text())
    expected_output: str = Field(default="", sa_column=_text())
    truncated: bool = False
    parseable: bool = True
    # The learner's output equals the expected output they pasted (not failing after all).
    matches_expected: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)


# A learner who asked that their failing checks not be kept.
class CheckOptOut(SQLModel, table=True):
    __tablename__ = "check_opt_out"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


# Targets


@dataclass(frozen=True)
class Target:
    course: Course
    assignment: Assignment
    version: str


def _is_report(request: AskRequest) -> bool:
    return bool((request.output or "").strip() and (request.expected or "").strip())


# A test's message that states both values: "Expected 3 but got 4", "Wrong output for x.
# Expected: [1 2]. Got: [1 3]" (the notebook client reads the same shapes).
_STATED_EXPECTED = Pattern(
    r"(?i)\bexpected(?: (?:output|value|result|values))?(?: for [\w.\[\]]+)?"
    r" ?(?:is|was|to be|:|=)? ?"
)
_STATED_GOT = Pattern(
    r"(?i)(?:[,;.] ?| )(?:but )?(?:got|received|instead got|actual(?: output)?|your output)"
    r"(?: ?[:=])? ?"
)
_STATED_GOT_LINE = Pattern(
    r"(?i)\A\s*(?:but )?(?:got|received|actual(?: output)?|your output|output)\s*[:=]\s*"
)
# Lines longer than this are not read for a stated value.
MAX_STATED_LINE_CHARS = 4_000


def _a_value(text: str) -> bool:
    """Numbers, a list, a quoted string or True/False/None; not words ("does not match")."""
    text = text.strip()
    if not text:
        return False
    if any(c.isdigit() for c in text) or text[0] in "[({'\"":
        return True
    return text in ("True", "False", "None")


def stated_values(text: str) -> tuple[str, str] | None:
    """(expected, actual) from the first line of ``text`` that states both, the actual one on
    that line or a "Got: …" line right after it; None when no line does."""
    lines = strip_ansi(text).splitlines()
    for i, line in enumerate(lines):
        if len(line) > MAX_STATED_LINE_CHARS:
            continue
        found = _STATED_EXPECTED.search(line)
        if found is None:
            continue
        rest = line[found.end() :]
        got = _STATED_GOT.search(rest)
        expected = (rest[: got.start()] if got else rest).strip().rstrip(".,;").strip()
        actual = rest[got.end() :].strip().rstrip(".,;").strip() if got else ""
        if not actual and i + 1 < len(lines) and len(lines[i + 1]) <= MAX_STATED_LINE_CHARS:
            label = _STATED_GOT_LINE.match(lines[i + 1])
            if label is not None:
                actual = lines[i + 1][label.end() :].strip().rstrip(".,;").strip()
        if _a_value(expected) and _a_value(actual):
            return expected, actual
    return None


def with_stated_values(request: AskRequest) -> AskRequest:
    """An ask with an output but no expected output whose output states both values ("Expected
    3 but got 4"): the same ask with those two as its output and expected output, so it is kept
    as a failing check; any other ask unchanged."""
    if (request.expected or "").strip() or not (request.output or "").strip():
        return request
    stated = stated_values(request.output or "")
    if stated is None:
        return request
    return request.model_copy(update={"expected": stated[0], "output": stated[1]})


def resolve_target(
    session: Session, *, course: str | None, assignment: str | None, version: str | None
) -> Target | None:
    """The course, assignment and notebook version a report names; None when it names neither
    course nor assignment (nothing to attribute it to).

    Raises:
        NotFound: an unknown course, or an assignment the course does not have.
        InvalidInput: an assignment named in several courses without its course, or a notebook
            version newer than the assignment's current one (or no version at all).
    """
    course_slug, assignment_slug = (course or "").strip(), (assignment or "").strip()
    if not course_slug and not assignment_slug:
        return None
    found_course: Course | None = None
    if course_slug:
        found_course = session.exec(select(Course).where(Course.slug == course_slug)).first()
        if found_course is None:
            raise NotFound(
                f"Unknown course “{course_slug[:80]}”: check the course in your notebook's "
                "Checkfirst settings (or pick it on the Ask page)."
            )
    if not assignment_slug:
        return None
    stmt = select(Assignment).where(Assignment.slug == assignment_slug)
    if found_course is not None:
        stmt = stmt.where(Assignment.course_id == found_course.id)
    rows = list(session.exec(stmt.limit(2)).all())
    if not rows:
        where = f" in “{found_course.title}”" if found_course else ""
        raise NotFound(
            f"Unknown assignment “{assignment_slug[:80]}”{where}: check the assignment's name "
            "(its slug, as in the course's address)."
        )
    if len(rows) > 1:
        raise InvalidInput("Several courses have this assignment: say which course, too.")
    found = rows[0]
    if found_course is None:
        found_course = session.get(Course, found.course_id)
        assert found_course is not None
    current = found.notebook_version or "1"
    wanted = (version or "").strip() or current
    if not version_key(wanted) or version_key(wanted) > version_key(current):
        raise InvalidInput(
            f"Unknown notebook version “{wanted[:20]}” for “{found.title}”: the current "
            f"version is {current}. Send the version printed at the top of your notebook."
        )
    return Target(found_course, found, wanted)


def refuse_unknown_target(session: Session, request: AskRequest) -> None:
    """A report (output and expected output) for an unknown course, assignment or version is
    refused with a message that says what to fix; other asks are not affected."""
    if _is_report(request):
        resolve_target(
            session,
            course=request.course,
            assignment=request.assignment,
            version=request.notebook_version,
        )


# Who, where


def _keyed(purpose: str, value: str) -> str:
    key = get_settings().effective_secret_key().encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:16]


def learner_key(course_id: int, user_id: int) -> str:
    """The per-course pseudonym: stable within a course, unlinkable across courses."""
    return _keyed(f"learner:{course_id}", str(user_id))


def ip_key(ip: str | None) -> str | None:
    return _keyed("ip", ip) if ip and ip != "unknown" else None


def location_of(request: AskRequest) -> str:
    """The test or function a check is about: a test name, else the notebook function in the
    traceback, else the first printed name (``a_next[4] = …`` → ``a_next``); "" if none."""
    parsed = parse(request.question, traceback=request.traceback, output=None)
    if parsed.tests:
        return parsed.tests[0][:200]
    if parsed.functions:
        return parsed.functions[0][:200]
    for text in (request.output or "", request.expected or ""):
        for value in parse_values(text):
            if value.name and " " not in value.name:  # a label ("Cost after ...") is no place
                base = value.name.split("[", 1)[0].split(".shape", 1)[0]
                return normalize_name(base)[:200]
    return ""


# Opting out


def opted_out(session: Session, user_id: int) -> bool:
    return session.get(CheckOptOut, user_id) is not None


def set_opt_out(*, session: Session, user_id: int, opt_out: bool) -> list[int]:
    """Opt out (deleting every check already kept) or back in; returns the locations whose
    checks were deleted, for the caller to recount."""
    row = session.get(CheckOptOut, user_id)
    locations: list[int] = []
    if opt_out:
        locations = list(
            session.exec(
                select(FailingCheck.location_id).where(FailingCheck.user_id == user_id).distinct()
            ).all()
        )
        session.execute(delete(FailingCheck).where(col(FailingCheck.user_id) == user_id))
        if row is None:
            session.add(CheckOptOut(user_id=user_id))
    elif row is not None:
        session.delete(row)
    return locations


# Recording


def _cap(text: str) -> tuple[str, bool]:
    text = strip_ansi(text)
    return (text, False) if len(text) <= MAX_STORED_CHARS else (text[:MAX_STORED_CHARS], True)


@lru_cache(maxsize=8192)
def _group_values(cluster_id: int, representative: str) -> tuple[Value, ...]:
    # Keyed by id and text: ids restart in a fresh test database, texts differ.
    return tuple(parse_values(representative))


def _same_output(a: list[Value], b: list[Value]) -> bool:
    return compare(a, b).matched or compare(b, a).matched


def _location(session: Session, target: Target, location: str) -> CheckLocation:
    assert target.assignment.id is not None and target.course.id is not None
    stmt = select(CheckLocation).where(
        CheckLocation.assignment_id == target.assignment.id,
        CheckLocation.notebook_version == target.version,
        CheckLocation.location == location,
    )
    row = session.exec(stmt).first()
    if row is None:
        try:
            with session.begin_nested():
                row = CheckLocation(
                    course_id=target.course.id,
                    assignment_id=target.assignment.id,
                    notebook_version=target.version,
                    location=location,
                )
                session.add(row)
        except IntegrityError:  # another process made it first
            row = session.exec(stmt).one()
    assert row.id is not None
    # Serialises checks of this location (a row lock on PostgreSQL, the write lock on SQLite):
    # two identical new outputs arriving together must not start two groups.
    session.execute(
        update(CheckLocation)
        .where(col(CheckLocation.id) == row.id)
        .values(reports=CheckLocation.reports + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return row


def _cluster_for(session: Session, location_id: int, values: list[Value], text: str) -> int:
    groups = session.exec(
        select(CheckCluster.id, CheckCluster.representative)
        .where(CheckCluster.location_id == location_id)
        .order_by(col(CheckCluster.reports).desc(), col(CheckCluster.id))
        .limit(MAX_GROUPS_COMPARED)
    ).all()
    for cluster_id, representative in groups:
        assert cluster_id is not None
        if _same_output(values, list(_group_values(cluster_id, representative))):
            session.execute(
                update(CheckCluster)
                .where(col(CheckCluster.id) == cluster_id)
                .values(reports=CheckCluster.reports + 1)
                .execution_options(synchronize_session=False)
            )
            return cluster_id
    cluster = CheckCluster(location_id=location_id, representative=text, reports=1)
    session.add(cluster)
    session.flush()
    assert cluster.id is not None
    return cluster.id


def record(
    session: Session,
    *,
    request: AskRequest,
    user: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> FailingCheck | None:
    """Keep one failing check, in the caller's transaction; None when it is not kept (no
    output and expected output, nor an output stating both (``with_stated_values``), no course
    or assignment, anonymous, system account, opted out).

    Raises:
        NotFound, InvalidInput: an unknown course, assignment or version (``resolve_target``).
    """
    request = with_stated_values(request)
    if user is None or user.id is None or user.is_system or not _is_report(request):
        return None
    target = resolve_target(
        session,
        course=request.course,
        assignment=request.assignment,
        version=request.notebook_version,
    )
    if target is None or opted_out(session, user.id):
        return None
    assert target.course.id is not None and target.assignment.id is not None
    settings = get_settings()
    actual, cut_actual = _cap(request.output or "")
    expected, cut_expected = _cap(request.expected or "")
    location = location_of(request)
    loc = _location(session, target, location)
    assert loc.id is not None
    values = [v for v in parse_values(actual) if v.numbers]
    cluster_id = _cluster_for(session, loc.id, values, actual) if values else None
    check = FailingCheck(
        location_id=loc.id,
        cluster_id=cluster_id,
        course_id=target.course.id,
        assignment_id=target.assignment.id,
        notebook_version=target.version,
        location=location,
        learner_key=learner_key(target.course.id, user.id),
        user_id=user.id,
        ip_key=ip_key(ip),
        new_account=is_new_account(user.created_at, settings.new_account_seconds),
        actual_output=actual,
        expected_output=expected,
        truncated=cut_actual or cut_expected,
        parseable=bool(values),
        matches_expected=bool(values) and compare(values, expected).matched,
        created_at=now or utcnow(),
    )
    session.add(check)
    session.flush()
    return check


# Retention


def purge(session: Session, *, now: datetime | None = None) -> int:
    """Delete checks older than ``check_retention_days`` and the groups left empty (a group a
    suspected erratum stands for keeps its representative); returns how many checks."""
    days = get_settings().check_retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.execute(delete(FailingCheck).where(col(FailingCheck.created_at) < cutoff))
    used = select(FailingCheck.cluster_id).where(col(FailingCheck.cluster_id).is_not(None))
    kept = select(SuspectedErratum.cluster_id)
    session.execute(
        delete(CheckCluster).where(
            col(CheckCluster.id).not_in(used),
            col(CheckCluster.id).not_in(kept),
        )
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
