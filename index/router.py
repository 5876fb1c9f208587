"""Search API: hybrid search, "similar" while typing, "related" for a document."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from core.access import Public
from core.db import SessionDep
from core.schemas import Page
from core.security import client_ip
from core.settings import get_settings
from core.throttle import throttle
from index import service
from index.schemas import SearchHit
from index.viewers import ViewerDep

router = APIRouter(tags=["search"])
DocType = Literal["thread", "post", "erratum"]
Status = Literal["reported", "verified", "rejected", "duplicate", "fixed"]


def throttle_search(request: Request) -> None:
    # Anonymous routes: one budget per client IP for search, similar and related together.
    rate = get_settings().rate_search
    throttle("search", rate=rate, user_id=None, ip=client_ip(request), what="searches")


# Plain ``def`` routes run in FastAPI's thread pool, so encoding never blocks the event loop.
@router.get("/search", response_model=Page[SearchHit], dependencies=[Public])
def search(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=500)] = "",
    course: Annotated[int | None, Query(ge=1, le=2**46)] = None,
    assignment: Annotated[int | None, Query(ge=1, le=2**46)] = None,
    type: DocType | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Page[SearchHit]:
    """Threads, replies and errata matching ``q`` (meaning and exact identifiers), best first."""
    throttle_search(request)
    hits = service.search(
        session=session, q=q, course_id=course, assignment_id=assignment,
        doc_type=type, status=status, limit=limit, viewer=viewer,
    )  # fmt: skip
    return Page(data=[SearchHit.from_hit(h) for h in hits], count=len(hits))


@router.get("/similar", response_model=Page[SearchHit], dependencies=[Public])
def similar(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    title: Annotated[str, Query(max_length=500)] = "",
    body: Annotated[str, Query(max_length=5000)] = "",
    course: Annotated[int | None, Query(ge=1, le=2**46)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Page[SearchHit]:
    """Threads and errata like a question being written, to check before posting it."""
    throttle_search(request)
    hits = service.similar(
        session=session, title=title, body=body, course_id=course, limit=limit, viewer=viewer
    )
    return Page(data=[SearchHit.from_hit(h) for h in hits], count=len(hits))


@router.get("/related", response_model=Page[SearchHit], dependencies=[Public])
def related(
    request: Request,
    session: SessionDep,
    id: Annotated[int, Query(ge=1, le=2**46)],
    type: DocType = "thread",
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Page[SearchHit]:
    """Threads and errata about the same thing as a thread, reply or erratum."""
    throttle_search(request)
    hits = service.related(session=session, doc_type=type, doc_id=id, limit=limit)
    return Page(data=[SearchHit.from_hit(h) for h in hits], count=len(hits))
