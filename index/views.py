"""The search page."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import escape
from sqlalchemy import text
from sqlmodel import Session

from core.access import Public
from core.db import SessionDep
from core.errors import InvalidInput
from core.templating import page
from index import service
from index.router import throttle_search
from index.schemas import SearchHit
from index.text import tokenize
from index.viewers import ViewerDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
_WORD = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_ESCAPED_WORD = re.compile(r"&#?[A-Za-z0-9]+;|[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 15 else None


def query_words(q: str) -> set[str]:
    """The whole words a person typed (lower-cased, stop words out): ``lstm_forward`` stays
    one word, so its parts are not highlighted on their own."""
    words = set()
    for raw in _WORD.findall(q):
        tokens = tokenize(raw)
        if tokens:
            words.add(tokens[0])
    return words


def _is_match(token: str, words: set[str]) -> bool:
    low = token.lower().strip("._")
    if low in words:
        return True
    # "lstm forward" typed as two words still marks ``lstm_forward``: every part was typed.
    parts = [p for p in re.split(r"[._]+", low) if p]
    return len(parts) > 1 and all(p in words for p in parts)


def highlight(text: str, words: set[str]) -> str:
    """Escape ``text`` for HTML and wrap the words that equal a query word in ``<mark>``."""

    def mark(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("&") or not _is_match(token, words):
            return token
        return f"<mark>{token}</mark>"

    return _ESCAPED_WORD.sub(mark, str(escape(text)))


def _courses(session: Session) -> list[dict[str, str]]:
    # The index imports no domain (import-linter): the filter menu reads the course table
    # as plain rows, the same id the API's ``course`` filter takes.
    rows = session.connection().execute(text("SELECT id, title FROM course ORDER BY title"))
    return [{"id": str(i), "title": str(t)} for i, t in rows]


@router.get("/search", dependencies=[Public])
def search_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
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
            status=status or None, limit=PAGE_SIZE, viewer=viewer,
        )  # fmt: skip
        words = query_words(q[:500])
        for h in service.relevant(found):
            hit = SearchHit.from_hit(h)
            hits.append(hit.model_copy(update={"snippet": highlight(hit.text, words)}))
    except InvalidInput as exc:
        error = exc.message
    return page(
        request, "search/results.html", status_code=422 if error else 200, q=q, hits=hits,
        error=error, type=type, status=status, course=course or "", assignment=assignment or "",
        doc_types=service.DOC_TYPES, statuses=service.STATUSES, courses=_courses(session),
        page_size=PAGE_SIZE,
    )  # fmt: skip
