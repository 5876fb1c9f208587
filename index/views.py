"""The search page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from core.access import Public
from core.db import SessionDep
from core.errors import InvalidInput
from core.templating import page
from index import service
from index.router import throttle_search
from index.schemas import SearchHit

router = APIRouter(include_in_schema=False)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 15 else None


@router.get("/search", dependencies=[Public])
def search_page(
    request: Request,
    session: SessionDep,
    q: str = "",
    course: str | None = None,
    assignment: str | None = None,
    type: str = "",
    status: str = "",
) -> Any:
    error = None
    hits: list[SearchHit] = []
    if q.strip():
        # The page searches like the API does, so it counts against the same per-IP budget.
        throttle_search(request)
    try:
        found = service.search(
            session=session, q=q[:500], course_id=_int_or_none(course),
            assignment_id=_int_or_none(assignment), doc_type=type or None,
            status=status or None, limit=20,
        )  # fmt: skip
        hits = [SearchHit.from_hit(h) for h in found]
    except InvalidInput as exc:
        error = exc.message
    return page(
        request, "search/results.html", status_code=422 if error else 200, q=q, hits=hits,
        error=error, type=type, status=status, course=course or "", assignment=assignment or "",
        doc_types=service.DOC_TYPES, statuses=service.STATUSES,
    )  # fmt: skip
