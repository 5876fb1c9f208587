"""API shapes of search results."""

from __future__ import annotations

from pydantic import BaseModel

from index.types import Hit


# One search result; ``snippet`` is HTML-escaped text with matched words in <mark>.
class SearchHit(BaseModel):
    type: str
    id: int
    title: str
    url: str
    snippet: str
    text: str
    score: float
    course_id: int | None = None
    assignment_id: int | None = None
    status: str | None = None
    accepted: bool = False
    endorsed: bool = False
    thread_id: int | None = None

    @classmethod
    def from_hit(cls, hit: Hit) -> SearchHit:
        meta = hit.metadata
        return cls(
            type=hit.doc_type,
            id=hit.doc_id,
            title=hit.title,
            url=hit.url,
            snippet=hit.snippet,
            text=str(meta.get("text", "")),
            score=hit.score,
            course_id=hit.course_id,
            assignment_id=hit.assignment_id,
            status=meta.get("status"),
            accepted=bool(meta.get("accepted")),
            endorsed=bool(meta.get("endorsed")),
            thread_id=meta.get("thread_id"),
        )
