"""Ask: from a pasted failure to the right erratum or answer, with citations.

One function, ``ask``, runs the steps, each in its own module:

1. ``intake``: strip colour codes; refuse empty, oversized and binary input.
2. ``parsing``: exception, assertions, functions/tests/identifiers, printed values, prose.
3. ``retrieval``: the index's hybrid search (top ~50 documents); a thread and its replies
   become one candidate; duplicates resolve; errata whose outputs equal the learner's join.
4. ``ranking``: a linear re-ranker over evidence features (weights in
   ``ranking_weights.json``, fitted on dev by cross-validation).
5. ``verdicts``: "the notebook is wrong" only on specific evidence (invariant 5).
6. ``compose``: the extractive Markdown answer, every statement cited.
7. ``asklog``: the log row and the secret that lets the asker rate the answer.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from assistant import chatter, links, llm, ranking, retrieval, spelling, threadlinks, verdicts
from assistant.asklog import log_ask
from assistant.compose import compose, no_match_answer
from assistant.intake import validate
from assistant.parsing import Parsed, parse
from assistant.schemas import AskRequest, AskResponse, Verdict
from core.markdown import render
from core.security import new_token
from forum.models import Assignment, Course
from index.text import token_set
from index.types import Viewer
from notify import service as notify_service
from notify.models import FollowKind
from users.models import User

Mode = retrieval.Mode


def ask(
    session: Session,
    *,
    request: AskRequest,
    user: User | None,
    conversation_id: int | None = None,
    mode: Mode = "hybrid",
    use_llm: bool = True,
    log: bool = True,
    private: bool = True,
) -> AskResponse:
    """Answer one question. Raises InvalidInput for empty, oversized or binary input.

    ``private``: the asker's private threads and their courses' staff-only threads may be cited
    (issue #17); False for a caller that speaks for a page rather than a person (widget tokens).
    """
    request = validate(request)
    viewer = retrieval.viewer_of(session, user) if private else None
    decision, parsed, scope = decide(session, request, mode=mode, viewer=viewer)
    sent = bool((request.output or "").strip()) or bool(parsed.values)
    built = compose(session, decision, output_sent=sent)
    new_thread_url: str | None = None
    if decision.verdict == Verdict.no_match:
        answer, new_thread_url = no_match_answer(request, scope)
    else:
        answer = built.markdown()
    sources = built.sources
    phrased = False
    if use_llm and sources and llm.enabled():
        rephrased = llm.phrase(question=request.question, answer=answer, sources=sources)
        if rephrased is not None:
            answer, phrased = rephrased, True
    response = AskResponse(
        answer=answer,
        answer_html=str(render(answer)),
        verdict=decision.verdict,
        sources=sources,
        new_thread_url=new_thread_url,
        phrased_by_llm=phrased,
    )
    if log:
        response.feedback_token = new_token()
        response.ask_id = log_ask(
            session, request, parsed, response, user, conversation_id, response.feedback_token
        )
    return response


def follow_asked_assignment(session: Session, *, request: AskRequest, user: User) -> bool:
    """Asking about an assignment follows it (issue #15), so its errata reach the asker; an
    unknown course or assignment is not an error here (the ask itself was answered)."""
    if not request.course or not request.assignment or user.id is None:
        return False
    assignment_id = session.exec(
        select(Assignment.id)
        .join(Course, col(Course.id) == col(Assignment.course_id))
        .where(Course.slug == request.course, Assignment.slug == request.assignment)
    ).first()
    if assignment_id is None:
        return False
    return notify_service.follow(
        session=session, user_id=user.id, kind=FollowKind.assignment, target_id=assignment_id
    )


def candidates(
    session: Session,
    request: AskRequest,
    *,
    mode: Mode = "hybrid",
    viewer: Viewer | None = None,
) -> tuple[list[retrieval.Candidate], ranking.QueryEvidence, Parsed, retrieval.Scope]:
    """Steps 2-4: the ranked candidates (with their features) for a validated request."""
    scope = retrieval.resolve_scope(session, request)
    course_id = scope.course.id if scope.course else None
    course = links.stats_for(session, course_id)
    parsed = parse(request.question, traceback=request.traceback, output=request.output)
    prose = spelling.correct(parsed.prose, course, spelling.dictionary())
    parsed.prose = chatter.keep_telling(prose, course.telling, pasted=bool(parsed.terms()))
    query = retrieval.build_query(parsed, request, scope, viewer)
    cands = retrieval.load(session, retrieval.search(session, query, mode=mode))
    cands = retrieval.resolve_duplicates(session, cands)
    cands = retrieval.output_candidates(session, request, parsed, scope, cands)
    threadlinks.load_recorded(session, cands)
    retrieval.fill_places(session, cands)
    linked = links.linked_in(course, token_set(parsed.prose))
    evidence = ranking.QueryEvidence.of(
        parsed, scope, request.notebook_version, linked, boilerplate=course.boilerplate
    )
    return ranking.rank(cands, evidence), evidence, parsed, scope


def decide(
    session: Session,
    request: AskRequest,
    *,
    mode: Mode = "hybrid",
    viewer: Viewer | None = None,
) -> tuple[verdicts.Decision, Parsed, retrieval.Scope]:
    cands, evidence, parsed, scope = candidates(session, request, mode=mode, viewer=viewer)
    return verdicts.decide(cands, evidence), parsed, scope
