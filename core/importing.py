"""JSON Lines import, the domain-free part: the record base, the report and the id helpers.

Each domain's importer applies one record; ``app/importer.py`` reads files and dispatches."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

Outcome = Literal["created", "updated", "unchanged"]


# Applies one validated record in the caller's transaction (which the caller commits).
Handler = Callable[[Session, dict[str, Any], int], Outcome]


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


def keep_row(session: Session, row: Any) -> None:
    # The identity map holds rows weakly; a strong reference keeps cached rows in it.
    session.info.setdefault("import_rows", []).append(row)


def cached_row(session: Session, model: type[Any], row_id: int | None) -> Any:
    # session.get answers from the identity map without a query when the row is loaded.
    return session.get(model, row_id) if row_id is not None else None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "record"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def dump_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
