"""JSON Lines import and export of errata and forum threads, idempotent by ``external_id``.

Each line is one record, ``{"type": "erratum", ...}`` or ``{"type": "thread", ...}``; the domain
importers (``errata.importer``, ``forum.importer``) apply one record each. Every line runs in its
own transaction, so a bad line is reported with its number and never stops or half-applies the
rest. A record identical to what is stored writes nothing (no index event either).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from core.errors import DomainError
from core.importing import Handler, ImportReport, RejectedLine, validation_message
from forum.models import Course
from users.service import system_user


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
