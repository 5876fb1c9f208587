"""What the index sees of errata: every erratum in every status, carrying its status so that
callers filter (a learner's search may hide rejected reports; the duplicate check wants all)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from errata.models import Erratum
from index import documents
from index.documents import Document

# Only the columns the index needs, read as plain rows (a cold start reads every erratum).
_COLUMNS = (
    Erratum.id, Erratum.title, Erratum.course_id, Erratum.assignment_id, Erratum.description,
    Erratum.location, Erratum.kind, Erratum.published_output, Erratum.corrected_output,
    Erratum.workaround, Erratum.status, Erratum.fixed_in, Erratum.affected_versions,
    Erratum.source_thread_id, Erratum.external_id,
)  # fmt: skip


def _text(e: Any) -> str:
    parts = [
        e.description,
        f"Location: {e.location}" if e.location else "",
        f"Kind: {e.kind.value.replace('_', ' ')}",
        f"Published output: {e.published_output}" if e.published_output else "",
        f"Corrected output: {e.corrected_output}" if e.corrected_output else "",
        f"Workaround: {e.workaround}" if e.workaround else "",
        f"Status: {e.status.value}",
        f"Fixed in version {e.fixed_in}" if e.fixed_in else "",
    ]
    return "\n".join(p for p in parts if p)


def load_errata(session: Session, ids: Sequence[int]) -> list[Document]:
    if not ids:
        return []
    rows = session.execute(
        select(*_COLUMNS).where(col(Erratum.id).in_(list(ids)))  # type: ignore[call-overload]
    ).all()
    out = []
    for e in rows:
        out.append(
            Document(
                doc_type="erratum",
                doc_id=e.id,
                title=e.title,
                text=_text(e),
                url=f"/errata/{e.id}",
                course_id=e.course_id,
                assignment_id=e.assignment_id,
                metadata={
                    "status": e.status.value,
                    "kind": e.kind.value,
                    "location": e.location,
                    "fixed_in": e.fixed_in,
                    "affected_versions": e.affected_versions,
                    "thread_id": e.source_thread_id,
                    "external_id": e.external_id,
                },
            )
        )
    return out


def list_errata(session: Session) -> list[int]:
    return [i for i in session.exec(select(Erratum.id)).all() if i is not None]


def register() -> None:
    documents.register("erratum", load_errata, list_errata)
