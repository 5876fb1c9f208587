"""Errata lines of the JSON Lines import and export (see ``app.importer``).

``{"type":"erratum","external_id":…,"course":…,"course_title":…,"assignment":…,
"assignment_title":…,"title":…,"body":…,"status":…,"kind":…,"published_output":…,
"corrected_output":…,"fixed_in":…}``; ``location``, ``workaround``, ``affected_versions``,
``resolution_note``, ``duplicate_of`` (an external id) and ``source_thread`` (the external id
of the thread the erratum was reported from, in the same course; issue #13: the assistant counts
that thread's match for the erratum) are read when present. A line without ``source_thread``
leaves an existing link alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import Field
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.importing import Outcome, RecordBase, RejectedLine, dump_line, local_id
from errata.models import Erratum, ErratumHistory, ErratumKind, ErratumStatus
from forum.importer import course_and_assignment
from forum.models import Assignment, Course, Thread
from index import events

__all__ = ["dump_line", "export_all", "export_errata", "import_record"]


class ErratumLine(RecordBase):
    status: ErratumStatus = ErratumStatus.reported
    kind: ErratumKind = ErratumKind.wrong_expected_output
    published_output: str = Field(default="", max_length=1_000_000)
    corrected_output: str = Field(default="", max_length=1_000_000)
    fixed_in: str | None = Field(default=None, max_length=20)
    location: str = Field(default="", max_length=200)
    workaround: str = Field(default="", max_length=1_000_000)
    affected_versions: str = Field(default="", max_length=200)
    resolution_note: str = Field(default="", max_length=1_000_000)
    duplicate_of: str | None = Field(default=None, max_length=180)
    source_thread: str | None = Field(default=None, max_length=200)


def _find_thread(session: Session, external_id: str, course_id: int) -> Thread | None:
    row = session.exec(select(Thread).where(Thread.external_id == external_id)).first()
    if row is None and (rid := local_id(external_id, "thread")) is not None:
        row = session.get(Thread, rid)
        row = row if row is not None and row.external_id is None else None
    return row if row is not None and row.course_id == course_id else None


def _find(session: Session, external_id: str) -> Erratum | None:
    row = session.exec(select(Erratum).where(Erratum.external_id == external_id)).first()
    if row is not None:
        return row
    rid = local_id(external_id, "erratum")
    if rid is not None:
        row = session.get(Erratum, rid)
        if row is not None and row.external_id is None:
            return row
    return None


def import_record(session: Session, record: dict[str, Any], owner_id: int) -> Outcome:
    """Create or update one erratum by its external id; unchanged records write nothing."""
    line = ErratumLine.model_validate(record)
    if line.status == ErratumStatus.fixed and not line.fixed_in:
        raise RejectedLine('a "fixed" erratum needs "fixed_in" (the notebook version)')
    course, assignment = course_and_assignment(session, line)
    assert course.id is not None
    duplicate_of_id: int | None = None
    if line.duplicate_of:
        original = _find(session, line.duplicate_of)
        if original is None:
            raise RejectedLine(
                f"duplicate_of {line.duplicate_of!r} is not imported yet; put it earlier"
            )
        duplicate_of_id = original.id
    wanted: dict[str, Any] = {
        "course_id": course.id,
        "assignment_id": assignment.id if assignment else None,
        "title": " ".join(line.title.split()),
        "description": line.body,
        "location": line.location,
        "kind": line.kind,
        "affected_versions": line.affected_versions,
        "published_output": line.published_output,
        "corrected_output": line.corrected_output,
        "workaround": line.workaround,
        "status": line.status,
        "resolution_note": line.resolution_note,
        "fixed_in": line.fixed_in or None,
        "duplicate_of_id": duplicate_of_id,
    }
    if line.source_thread:
        thread = _find_thread(session, line.source_thread, course.id)
        if thread is None:
            raise RejectedLine(
                f"source_thread {line.source_thread!r} is not a thread of this course imported "
                "yet; put it earlier"
            )
        wanted["source_thread_id"] = thread.id
    existing = _find(session, line.external_id)
    if existing is None:
        erratum = Erratum(
            **wanted,
            external_id=line.external_id,
            reporter_id=owner_id,
            verifier_id=owner_id if line.status in (ErratumStatus.verified, ErratumStatus.fixed)
            else None,
        )  # fmt: skip
        session.add(erratum)
        session.flush()
        assert erratum.id is not None
        session.add(
            ErratumHistory(
                erratum_id=erratum.id,
                actor_id=owner_id,
                from_status=None,
                to_status=line.status,
                reason="Imported.",
            )
        )
        events.record(session, doc_type="erratum", doc_id=erratum.id)
        return "created"
    changes = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if not changes:
        return "unchanged"
    assert existing.id is not None
    if "status" in changes:
        session.add(
            ErratumHistory(
                erratum_id=existing.id,
                actor_id=owner_id,
                from_status=existing.status,
                to_status=line.status,
                reason="Imported.",
            )
        )
    for key, value in changes.items():
        setattr(existing, key, value)
    existing.updated_at = utcnow()
    session.add(existing)
    events.record(session, doc_type="erratum", doc_id=existing.id)
    return "updated"


def export_errata(session: Session, errata: Sequence[Erratum]) -> Iterator[dict[str, Any]]:
    """Errata as import lines; ones without an external id get ``checkfirst:erratum:<id>``."""
    course_ids = {e.course_id for e in errata}
    assignment_ids = {e.assignment_id for e in errata if e.assignment_id}
    courses = {
        c.id: c for c in session.exec(select(Course).where(col(Course.id).in_(course_ids))).all()
    }
    assignments = {
        a.id: a
        for a in session.exec(
            select(Assignment).where(col(Assignment.id).in_(assignment_ids))
        ).all()
    }
    source_ids = {e.source_thread_id for e in errata if e.source_thread_id is not None}
    thread_ext = {
        t.id: t.external_id or f"checkfirst:thread:{t.id}"
        for t in session.exec(
            select(Thread).where(col(Thread.id).in_(source_ids), col(Thread.deleted_at).is_(None))
        ).all()
    }
    ext_of: dict[int | None, str] = {}
    for e in errata:
        ext_of[e.id] = e.external_id or f"checkfirst:erratum:{e.id}"
    for e in errata:
        course = courses[e.course_id]
        assignment = assignments.get(e.assignment_id) if e.assignment_id else None
        duplicate_of = None
        if e.duplicate_of_id is not None:
            duplicate_of = ext_of.get(e.duplicate_of_id)
            if duplicate_of is None:
                original = session.get(Erratum, e.duplicate_of_id)
                duplicate_of = (
                    original.external_id if original and original.external_id else None
                ) or f"checkfirst:erratum:{e.duplicate_of_id}"
        yield {
            "type": "erratum",
            "external_id": ext_of[e.id],
            "course": course.slug,
            "course_title": course.title,
            "assignment": assignment.slug if assignment else None,
            "assignment_title": assignment.title if assignment else "",
            "title": e.title,
            "body": e.description,
            "status": e.status.value,
            "kind": e.kind.value,
            "published_output": e.published_output,
            "corrected_output": e.corrected_output,
            "fixed_in": e.fixed_in,
            "location": e.location,
            "workaround": e.workaround,
            "affected_versions": e.affected_versions,
            "resolution_note": e.resolution_note,
            "duplicate_of": duplicate_of,
            "source_thread": thread_ext.get(e.source_thread_id),
        }


def export_all(session: Session, *, course_id: int | None = None) -> Iterator[dict[str, Any]]:
    # Originals before their duplicates, so that re-importing resolves duplicate_of.
    query = select(Erratum).order_by(col(Erratum.duplicate_of_id).is_not(None), col(Erratum.id))
    if course_id is not None:
        query = query.where(Erratum.course_id == course_id)
    rows = list(session.exec(query).all())
    yield from export_errata(session, rows)
