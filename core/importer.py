"""JSON Lines import and export of errata and forum threads, idempotent by ``external_id``.

Each line is one record, ``{"type": "erratum", ...}`` or ``{"type": "thread", ...}``; the domain
importers (``errata.importer``, ``forum.importer``) apply one record each. Every line runs in its
own transaction, so a bad line is reported with its number and never stops or half-applies the
rest. A record identical to what is stored writes nothing (no index event either).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from core.errors import DomainError
from core.models import User
from forum.models import Assignment, Course

Outcome = Literal["created", "updated", "unchanged"]
# Applies one validated record in the caller's transaction (which the caller commits).
Handler = Callable[[Session, dict[str, Any], int], Outcome]

SYSTEM_USERNAME = "checkfirst-import"
SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# Exported records without an external id get "checkfirst:<kind>:<id>", which maps back to the
# same row when the file is imported into the database it came from.
_LOCAL_ID = re.compile(r"^checkfirst:(erratum|thread|post):(\d+)$")


class RejectedLine(Exception):
    """A line that can't be applied; the message says why, in words for the file's author."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


# Fields shared by every record type; unknown fields are ignored.
class RecordBase(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    external_id: str = Field(min_length=1, max_length=180)
    course: str = Field(min_length=1, max_length=80, pattern=SLUG)
    course_title: str = Field(default="", max_length=200)
    assignment: str | None = Field(default=None, max_length=80, pattern=SLUG)
    assignment_title: str = Field(default="", max_length=200)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=1_000_000)


def local_id(external_id: str, kind: str) -> int | None:
    """The row id behind an exported ``checkfirst:<kind>:<id>`` external id, if it is one."""
    match = _LOCAL_ID.match(external_id)
    if match and match.group(1) == kind and int(match.group(2)) <= 2_147_483_647:
        return int(match.group(2))
    return None


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


def course_and_assignment(session: Session, record: RecordBase) -> tuple[Course, Assignment | None]:
    """The record's course and assignment, created when unknown (titles default to the slug).

    Ids found by a query (so already committed) are remembered for the session's later lines;
    rows created in this line's transaction are not, so a rolled-back line leaves no stale id.
    """
    cache: dict[tuple[str, str | None], int] = session.info.setdefault("import_ids", {})
    course = _cached(session, Course, cache.get((record.course, None)))
    if course is None:
        course = session.exec(select(Course).where(Course.slug == record.course)).first()
        if course is not None and course.id is not None:
            cache[(record.course, None)] = course.id
            _keep(session, course)
    if course is None:
        course = Course(slug=record.course, title=record.course_title or record.course)
        session.add(course)
        session.flush()
    if not record.assignment:
        return course, None
    assert course.id is not None
    key = (record.course, record.assignment)
    assignment = _cached(session, Assignment, cache.get(key))
    if assignment is None or assignment.course_id != course.id:
        assignment = session.exec(
            select(Assignment).where(
                Assignment.course_id == course.id, Assignment.slug == record.assignment
            )
        ).first()
        if assignment is not None and assignment.id is not None:
            cache[key] = assignment.id
            _keep(session, assignment)
    if assignment is None:
        assignment = Assignment(
            course_id=course.id,
            slug=record.assignment,
            title=record.assignment_title or record.assignment,
        )
        session.add(assignment)
        session.flush()
    return course, assignment


def _keep(session: Session, row: Any) -> None:
    # The identity map holds rows weakly; a strong reference keeps cached rows in it.
    session.info.setdefault("import_rows", []).append(row)


def _cached(session: Session, model: type[Any], row_id: int | None) -> Any:
    # session.get answers from the identity map without a query when the row is loaded.
    return session.get(model, row_id) if row_id is not None else None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "record"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def handlers() -> dict[str, Handler]:
    from errata import importer as errata_importer
    from forum import importer as forum_importer

    return {"erratum": errata_importer.import_record, "thread": forum_importer.import_record}


def import_lines(
    lines: Iterable[str],
    *,
    engine: Engine | None = None,
    on_line: Callable[[int, str], None] | None = None,
) -> ImportReport:
    """Apply each JSON line in its own transaction; collect counts and rejected line numbers.

    Args:
        lines: the file's lines (blank lines are skipped).
        engine: the database (the app's by default).
        on_line: called after each line with its number and outcome (for progress bars).
    """
    from core.db import get_engine

    report = ImportReport()
    table = handlers()
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        owner_id = system_user(session).id
        assert owner_id is not None
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            outcome: str
            try:
                record = _parse(raw, table)
                outcome = table[record["type"]](session, record, owner_id)
                session.commit()
            except (RejectedLine, DomainError) as exc:
                session.rollback()
                outcome = "rejected"
                report.rejected.append((number, str(exc)))
            except ValidationError as exc:
                session.rollback()
                outcome = "rejected"
                report.rejected.append((number, validation_message(exc)))
            except SQLAlchemyError as exc:
                session.rollback()
                outcome = "rejected"
                reason = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0][:200]
                report.rejected.append((number, f"the database refused it: {reason}"))
            else:
                if outcome == "created":
                    report.created += 1
                elif outcome == "updated":
                    report.updated += 1
                else:
                    report.unchanged += 1
            if on_line is not None:
                on_line(number, outcome)
    return report


def _parse(raw: str, table: dict[str, Handler]) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RejectedLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise RejectedLine("each line must be a JSON object")
    kind = record.get("type")
    if kind not in table:
        known = " or ".join(f'"{k}"' for k in sorted(table))
        raise RejectedLine(f"unknown type {kind!r}; use {known}")
    return record


def import_file(path: str, *, on_line: Callable[[int, str], None] | None = None) -> ImportReport:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return import_lines(fh, on_line=on_line)


def count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


# Export


def dump_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def export_records(session: Session, *, course: str | None = None) -> Iterator[dict[str, Any]]:
    """Every thread, then every erratum, in the import format (optionally one course's)."""
    from errata import importer as errata_importer
    from forum import importer as forum_importer

    course_id: int | None = None
    if course is not None:
        row = session.exec(select(Course).where(Course.slug == course)).first()
        if row is None:
            raise RejectedLine(f"there is no course {course!r}")
        course_id = row.id
    yield from forum_importer.export_threads(session, course_id=course_id)
    yield from errata_importer.export_all(session, course_id=course_id)
