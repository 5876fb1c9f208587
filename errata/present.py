"""Turn errata rows into public API shapes: slugs and people resolved, URLs built, history and
linked threads attached. Services return models; the router and the pages call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from errata import service
from errata.models import Erratum
from errata.schemas import (
    ErratumDetail,
    ErratumPublic,
    HistoryPublic,
    SimilarErratum,
    ThreadRef,
    UserRef,
)
from forum.models import Assignment, Course
from forum.present import thread_url
from users.models import User


def erratum_url(erratum_id: int) -> str:
    return f"/errata/{erratum_id}"


def report_description(*, thread_title: str, thread_id: int, body: str) -> str:
    """A report's starting description when it comes from a thread or reply: a link back, then
    the text it quotes."""
    return f"Reported from [{thread_title}]({thread_url(thread_id)}):\n\n{body}"


def _user_refs(session: Session, ids: Iterable[int | None]) -> dict[int, UserRef]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {
        u.id: UserRef(id=u.id, username=u.username, display_name=u.display_name)
        for u in users
        if u.id is not None
    }


def errata_public(*, session: Session, errata: Sequence[Erratum]) -> list[ErratumPublic]:
    """Public shapes for a page of errata, with course, assignment and people resolved in bulk."""
    if not errata:
        return []
    course_ids = {e.course_id for e in errata}
    assignment_ids = {e.assignment_id for e in errata if e.assignment_id}
    courses = {
        c.id: c.slug for c in session.exec(select(Course).where(col(Course.id).in_(course_ids)))
    }
    assignments = (
        {
            a.id: a.slug
            for a in session.exec(select(Assignment).where(col(Assignment.id).in_(assignment_ids)))
        }
        if assignment_ids
        else {}
    )
    users = _user_refs(session, [u for e in errata for u in (e.reporter_id, e.verifier_id)])
    out = []
    for e in errata:
        assert e.id is not None
        # Reporter and verifier go out as references (no e-mail or password hash).
        data = e.model_dump(exclude={"reporter_id", "verifier_id"})
        out.append(
            ErratumPublic(
                **data,
                url=erratum_url(e.id),
                course=courses.get(e.course_id, ""),
                assignment=assignments.get(e.assignment_id) if e.assignment_id else None,
                reporter=users.get(e.reporter_id),
                verifier=users.get(e.verifier_id) if e.verifier_id else None,
            )
        )
    return out


def erratum_detail(*, session: Session, erratum: Erratum, viewer: User | None) -> ErratumDetail:
    """One erratum with its history, linked threads and whether the viewer is affected."""
    assert erratum.id is not None
    public = errata_public(session=session, errata=[erratum])[0]
    rows = service.history(session=session, erratum_id=erratum.id)
    actors = _user_refs(session, [h.actor_id for h in rows])
    return ErratumDetail(
        **public.model_dump(),
        history=[
            HistoryPublic(
                id=h.id or 0,
                actor=actors.get(h.actor_id),
                from_status=h.from_status,
                to_status=h.to_status,
                reason=h.reason,
                created_at=h.created_at,
            )
            for h in rows
        ],
        threads=[
            ThreadRef(id=t.id or 0, title=t.title, url=thread_url(t.id or 0))
            for t in service.linked_threads(session=session, erratum=erratum)
        ],
        affects_me=service.affects_me(session=session, user=viewer, erratum_id=erratum.id),
    )


def similar_public(
    *, session: Session, pairs: Sequence[tuple[Erratum, float]]
) -> list[SimilarErratum]:
    """Duplicate suggestions, best first, with their scores."""
    publics = errata_public(session=session, errata=[e for e, _ in pairs])
    return [
        SimilarErratum(
            id=p.id,
            url=p.url,
            title=p.title,
            status=p.status,
            location=p.location,
            assignment=p.assignment,
            affects_count=p.affects_count,
            score=score,
        )
        for p, (_, score) in zip(publics, pairs, strict=True)
    ]
