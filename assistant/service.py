"""Ask: from a pasted failure to the right erratum or answer, with citations.

``ask`` parses the input, retrieves through the index (hybrid), reads the errata and forum rows
behind the hits, decides a verdict (output match, rejected report, fixed in your version, known
erratum, answered before, no match) and composes an extractive Markdown answer in which every
statement carries a citation marker ``[n]`` pointing at ``sources[n-1]`` (invariant 5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from assistant import llm
from assistant.markdown_text import code_fence, code_span, escape_markdown
from assistant.matching import MatchKind, compare, match_erratum
from assistant.models import AskFeedback, AskLog, ChatMessage, Conversation
from assistant.parsing import Parsed, parse
from assistant.schemas import (
    MAX_FIELD_CHARS,
    AskRequest,
    AskResponse,
    ChatMessagePublic,
    ChatRequest,
    ChatResponse,
    ConversationPublic,
    FeedbackRequest,
    Source,
    Verdict,
)
from assistant.versions import at_or_after, stated_version
from core.clock import utcnow
from core.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from core.markdown import plain_snippet, render
from core.ratelimit import is_new_account, limiter
from core.security import new_token, sha256
from core.settings import get_settings
from core.throttle import throttle
from errata.models import Erratum, ErratumStatus
from forum.models import Assignment, Course, Post, Thread
from index.types import Hit, Query
from users.models import User

S = ErratumStatus
# How many retrieved hits to consider, and how many sources an answer cites at most.
RETRIEVE = 20
MAX_SOURCES = 5
# "Matched well": the query's embedding is this close (cosine) to the item's, or a little less
# when the lexical side also ranks it near the top (identifiers or error strings in common).
CONFIDENT_DENSE = 0.55
CONFIDENT_WITH_LEXICAL = 0.35
# Or both sides, independently, put it among their first few (and it is not far in meaning):
# agreement of two rankers is stronger evidence than either absolute score.
AGREEMENT_RANK = 5
CONFIDENT_AGREEMENT = 0.4
SNIPPET_CHARS = 240
RRF_K = 60
# A further source is cited when its fused relevance is at least this share of the best one's.
SECONDARY_RELEVANCE = 0.5

Mode = str  # "hybrid", "lexical" or "dense"


# Input checks (ACCEPTANCE R2)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ufffe\uffff\ud800-\udfff]")
# Lone surrogates cannot be stored as UTF-8: one is enough to refuse the text.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _check_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput(
            f"The {name} is too long ({len(value):,} characters); paste at most "
            f"{MAX_FIELD_CHARS:,}, e.g. the last part of the traceback."
        )
    if (
        "\x00" in value
        or _SURROGATE.search(value)
        or len(_CONTROL.findall(value)) > max(2, len(value) // 100)
    ):
        raise InvalidInput(f"The {name} looks like binary data; paste text only.")
    return value


def validate(request: AskRequest) -> AskRequest:
    """Refuse empty, oversized and binary input with a message that says what to do."""
    for name in (
        "question", "traceback", "output", "expected", "course", "assignment", "notebook_version",
    ):  # fmt: skip
        _check_text(name.replace("_", " "), getattr(request, name))
    if not request.question.strip():
        raise InvalidInput("Type a question or paste the error you see.")
    return request


def check_access(*, user: User | None, client_key: str, widget: bool = False) -> None:
    """Anonymous asks when the site allows them; one rate limit per user or per IP.

    A widget ask (a public token on someone's page; ``user`` is None) is allowed by the token
    itself and limited per visitor IP here and per token in ``core.cors``: never charged to the
    token's owner, whose own budget a page's visitors would otherwise spend.
    """
    settings = get_settings()
    if widget:
        if settings.rate_limits_enabled:
            key = f"ask-widget-ip:{client_key}"
            limiter.hit(key, settings.rate_ask_widget_ip, what="questions")
        return
    if user is None and not settings.anonymous_ask:
        raise NotAuthenticated("Sign in (or send an API token) to ask.")
    if settings.rate_limits_enabled:
        key = f"ask-user:{user.id}" if user is not None else f"ask-ip:{client_key}"
        limiter.hit(key, settings.rate_ask, what="questions")
        if user is not None and is_new_account(user.created_at, settings.new_account_seconds):
            limiter.hit(f"ask-new:{user.id}", settings.rate_ask_new_account, what="questions")


# Retrieval


def search(session: Session, query: Query, *, mode: Mode = "hybrid") -> list[Hit]:
    """The index's search; imported lazily so the assistant loads without torch until used."""
    from index import search as index_search

    return list(index_search.search(session, query, mode=mode))  # type: ignore[arg-type]


@dataclass
class Candidate:
    """One retrieved (or output-matched) item with the rows behind it."""

    kind: str  # "erratum", "thread", "post"
    item_id: int
    score: float
    hit: Hit | None = None
    erratum: Erratum | None = None
    thread: Thread | None = None
    post: Post | None = None
    match: MatchKind | None = None
    expected_matches_published: bool = False
    labels: list[str] = field(default_factory=list)
    fixed_for_learner: bool = False
    learner_version: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.item_id)


@dataclass
class Scope:
    course: Course | None = None
    assignment: Assignment | None = None


def _scope(session: Session, request: AskRequest) -> Scope:
    scope = Scope()
    if request.course:
        scope.course = session.exec(select(Course).where(Course.slug == request.course)).first()
    if request.assignment:
        stmt = select(Assignment).where(Assignment.slug == request.assignment)
        if scope.course is not None:
            stmt = stmt.where(Assignment.course_id == scope.course.id)
        scope.assignment = session.exec(stmt).first()
        if scope.assignment is not None and scope.course is None:
            scope.course = session.get(Course, scope.assignment.course_id)
    return scope


def build_query(parsed: Parsed, request: AskRequest, scope: Scope) -> Query:
    text = parsed.dense_text() or " ".join(request.question.split())[:1000]
    return Query(
        text=text,
        terms=parsed.terms(),
        course_id=scope.course.id if scope.course else None,
        limit=RETRIEVE,
    )


def _load(session: Session, hits: Sequence[Hit]) -> list[Candidate]:
    ids: dict[str, list[int]] = {"erratum": [], "thread": [], "post": []}
    for h in hits:
        ids.setdefault(h.doc_type, []).append(h.doc_id)
    errata = {
        e.id: e
        for e in session.exec(select(Erratum).where(col(Erratum.id).in_(ids["erratum"]))).all()
    }
    posts = {p.id: p for p in session.exec(select(Post).where(col(Post.id).in_(ids["post"]))).all()}
    thread_ids = set(ids["thread"]) | {p.thread_id for p in posts.values()}
    threads = {
        t.id: t for t in session.exec(select(Thread).where(col(Thread.id).in_(thread_ids))).all()
    }
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for h in hits:
        cand = Candidate(kind=h.doc_type, item_id=h.doc_id, score=h.score, hit=h)
        if h.doc_type == "erratum":
            cand.erratum = errata.get(h.doc_id)
            if cand.erratum is None:
                continue
        elif h.doc_type == "post":
            cand.post = posts.get(h.doc_id)
            if cand.post is None or cand.post.deleted_at is not None:
                continue
            cand.thread = threads.get(cand.post.thread_id)
            if cand.post.is_question:
                # The question post speaks for its thread.
                cand.kind, cand.item_id, cand.post = "thread", cand.post.thread_id, None
        elif h.doc_type == "thread":
            cand.thread = threads.get(h.doc_id)
        else:
            continue
        # A hit whose row is gone or deleted: the indexer has not applied that change yet.
        if cand.kind != "erratum" and (cand.thread is None or cand.thread.deleted_at is not None):
            continue
        if cand.key in seen:
            continue
        seen.add(cand.key)
        out.append(cand)
    return out


def _resolve_duplicates(session: Session, cands: list[Candidate]) -> list[Candidate]:
    """A duplicate report stands for the erratum it duplicates."""
    out: list[Candidate] = []
    seen = {c.key for c in cands}
    for c in cands:
        e = c.erratum
        if e is not None and e.status == S.duplicate and e.duplicate_of_id:
            target = session.get(Erratum, e.duplicate_of_id)
            if target is not None and ("erratum", e.duplicate_of_id) not in seen:
                seen.add(("erratum", e.duplicate_of_id))
                c = Candidate(
                    kind="erratum", item_id=e.duplicate_of_id, score=c.score, hit=c.hit,
                    erratum=target,
                )  # fmt: skip
            elif target is not None:
                continue
        out.append(c)
    return out


def _output_candidates(
    session: Session, request: AskRequest, parsed: Parsed, scope: Scope, cands: list[Candidate]
) -> list[Candidate]:
    """Compare the learner's output with every erratum's outputs in scope, not only the hits:
    an output match is decisive evidence even when the words of the question are vague."""
    actual = request.output or ""
    if not actual.strip() and parsed.values:
        actual = "\n".join(v.text if not v.name else f"{v.name} = {v.text}" for v in parsed.values)
    expected = request.expected or ""
    if not actual.strip() and not expected.strip():
        return cands
    stmt = select(Erratum).where(
        (col(Erratum.corrected_output) != "") | (col(Erratum.published_output) != "")
    )
    if scope.assignment is not None:
        stmt = stmt.where(Erratum.assignment_id == scope.assignment.id)
    elif scope.course is not None:
        stmt = stmt.where(Erratum.course_id == scope.course.id)
    by_key = {c.key: c for c in cands}
    top = max((c.score for c in cands), default=1.0) or 1.0
    for e in session.exec(stmt.limit(500)).all():
        assert e.id is not None
        kind = None
        if actual.strip():
            kind = match_erratum(
                actual, corrected_output=e.corrected_output, published_output=e.published_output
            )
        exp_match = bool(expected.strip() and e.published_output.strip()) and (
            compare(expected, e.published_output).matched
        )
        if kind is None and not exp_match:
            continue
        cand = by_key.get(("erratum", e.id))
        if cand is None:
            cand = Candidate(kind="erratum", item_id=e.id, score=top, erratum=e)
            cands.append(cand)
            by_key[cand.key] = cand
        cand.match = kind
        cand.expected_matches_published = exp_match
    return cands


# Ranking


def _relevance(c: Candidate) -> float:
    """Reciprocal-rank fusion of the two sides without the index's status multipliers: the
    assistant weighs statuses itself (a rejected report's explanation is an answer too)."""
    if c.hit is None:
        return 0.0
    score = 0.0
    if c.hit.dense_rank is not None:
        score += 1.0 / (RRF_K + c.hit.dense_rank)
    if c.hit.lexical_rank is not None:
        score += 1.0 / (RRF_K + c.hit.lexical_rank)
    return score


def _rank(cands: list[Candidate], request: AskRequest, scope: Scope) -> list[Candidate]:
    version = (request.notebook_version or "").strip()
    for c in cands:
        c.score = _relevance(c)
    top = max((c.score for c in cands), default=1.0) or 1.0

    def weight(c: Candidate) -> float:
        c.learner_version = version or None
        w = c.score / top
        e = c.erratum
        if e is not None:
            if c.match is not None:
                w += 2.0
            if c.expected_matches_published:
                w += 0.6
            if e.status in (S.verified, S.fixed, S.rejected):
                # Staff-reviewed errata (and the staff's reasons for rejecting a report)
                # outrank forum chatter (invariant 4).
                w += 0.1
            elif e.status in (S.reported, S.duplicate):
                w += 0.03
            if version and e.fixed_in and at_or_after(version, e.fixed_in):
                c.fixed_for_learner = True
                # Fixed in the learner's version: shown, but below errata that still apply.
                w -= 0.5
        elif c.post is not None and c.post.endorsed_by_id is not None:
            w += 0.05
        item_assignment = _assignment_id(c)
        if scope.assignment is not None and item_assignment == scope.assignment.id:
            w += 0.1
        return w

    for c in cands:
        c.score = round(weight(c), 4)
    return sorted(cands, key=lambda c: -c.score)


def _assignment_id(c: Candidate) -> int | None:
    if c.erratum is not None:
        return c.erratum.assignment_id
    if c.thread is not None:
        return c.thread.assignment_id
    return None


def _confident(c: Candidate) -> bool:
    if c.match is not None or c.expected_matches_published:
        return True
    if c.hit is None:
        return False
    dense = getattr(c.hit, "dense_score", None)
    if dense is None:
        # Lexical-only search: trust the top few lexical ranks.
        return c.hit.lexical_rank is not None and c.hit.lexical_rank <= 3
    if dense >= CONFIDENT_DENSE:
        return True
    lexical_rank, dense_rank = c.hit.lexical_rank, c.hit.dense_rank
    if (
        lexical_rank is not None
        and dense_rank is not None
        and max(lexical_rank, dense_rank) <= AGREEMENT_RANK
        and dense >= CONFIDENT_AGREEMENT
    ):
        return True
    return (
        c.hit.lexical_rank is not None
        and c.hit.lexical_rank <= 3
        and (dense >= CONFIDENT_WITH_LEXICAL)
    )


# Sources and the answer


def _accepted_post(session: Session, thread: Thread) -> Post | None:
    if thread.accepted_post_id:
        post = session.get(Post, thread.accepted_post_id)
        if post is not None and post.deleted_at is None:
            return post
    return session.exec(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            col(Post.endorsed_by_id).is_not(None),
            col(Post.deleted_at).is_(None),
        )
        .order_by(col(Post.score).desc())
    ).first()


def _question_post(session: Session, thread: Thread) -> Post | None:
    return session.exec(
        select(Post).where(Post.thread_id == thread.id, col(Post.is_question).is_(True))
    ).first()


def post_url(thread_id: int, post_id: int) -> str:
    return f"/threads/{thread_id}#post-{post_id}"


def _snippet(text: str) -> str:
    return plain_snippet(text, SNIPPET_CHARS)


def _source_for(session: Session, c: Candidate) -> Source:
    if c.erratum is not None:
        e = c.erratum
        assert e.id is not None
        labels = list(c.labels)
        if e.status == S.reported:
            labels.append("unconfirmed")
        if c.fixed_for_learner:
            labels.append("fixed in your version")
        return Source(
            type="erratum", id=e.id, external_id=e.external_id, title=e.title,
            url=f"/errata/{e.id}", status=e.status.value, score=c.score,
            snippet=_snippet(e.description or e.title), labels=labels, fixed_in=e.fixed_in,
        )  # fmt: skip
    if c.post is not None and c.thread is not None:
        p, t = c.post, c.thread
        assert p.id is not None and t.id is not None
        status = "accepted" if t.accepted_post_id == p.id else "reply"
        if p.endorsed_by_id is not None:
            status = "endorsed" if status == "reply" else status
        return Source(
            type="post", id=p.id, external_id=p.external_id, title=t.title,
            url=post_url(t.id, p.id), status=status, score=c.score, snippet=_snippet(p.body),
        )  # fmt: skip
    thread = c.thread
    assert thread is not None and thread.id is not None
    question = _question_post(session, thread)
    status = "answered" if thread.accepted_post_id else "open"
    return Source(
        type="thread", id=thread.id, external_id=thread.external_id, title=thread.title,
        url=f"/threads/{thread.id}", status=status, score=c.score,
        snippet=_snippet(question.body if question else thread.title),
    )  # fmt: skip


class _Answer:
    """Collects sources and statements; a statement can only be added with its source."""

    def __init__(self) -> None:
        self.sources: list[Source] = []
        self.lines: list[str] = []

    def cite(self, source: Source) -> str:
        for i, s in enumerate(self.sources):
            if s.type == source.type and s.id == source.id:
                return f"[{i + 1}]"
        self.sources.append(source)
        return f"[{len(self.sources)}]"

    def say(self, text: str, source: Source) -> None:
        self.lines.append(f"{text.strip()} {self.cite(source)}")

    def block(self, label: str, body: str, source: Source) -> None:
        """A labelled code block (an expected output); the label carries the citation."""
        self.lines.append(f"{label} {self.cite(source)}:\n\n{code_fence(body)}")

    def markdown(self) -> str:
        return "\n\n".join(self.lines)


def _first_sentences(text: str, limit: int = 320) -> str:
    flat = " ".join(text.replace("`", "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: stop + 1] if stop > limit // 3 else cut.rstrip() + "…"


def _describe_erratum(a: _Answer, session: Session, c: Candidate, *, lead: bool) -> None:
    e = c.erratum
    assert e is not None
    src = _source_for(session, c)
    status = {
        S.verified: "Verified erratum",
        S.fixed: f"Fixed erratum (fixed in version {escape_markdown(e.fixed_in)})"
        if e.fixed_in
        else "Fixed",
        S.reported: "Unconfirmed report (not yet verified by the course staff)",
        S.rejected: "Reported before, and rejected: not an erratum",
        S.duplicate: "Duplicate report",
    }[e.status]
    # Titles usually start with the location ("rnn_forward: …"); don't say it twice.
    where = (
        f" in {code_span(e.location)}" if e.location and not e.title.startswith(e.location) else ""
    )
    a.say(f"**{status}**{where}: {escape_markdown(e.title)}.", src)
    version = (c.learner_version or "").strip()
    if e.fixed_in and version and not c.fixed_for_learner and e.status == S.fixed:
        a.say(
            f"It was fixed in notebook version {escape_markdown(e.fixed_in)}; you are on "
            f"{escape_markdown(version)}, so "
            "updating your notebook removes the problem.",
            src,
        )
    if c.fixed_for_learner and e.fixed_in:
        a.say(
            f"This was fixed in notebook version {escape_markdown(e.fixed_in)}, which your "
            "version includes; "
            "if you still see this problem, look at the other matches.",
            src,
        )
    if e.status == S.rejected:
        if e.resolution_note.strip():
            note = escape_markdown(_first_sentences(e.resolution_note, 600))
            a.say(f"The course staff explained: “{note}”", src)
        return
    if e.description.strip() and lead:
        a.say(escape_markdown(_first_sentences(e.description)), src)
    if e.workaround.strip():
        a.say(f"Workaround: {escape_markdown(_first_sentences(e.workaround, 400))}", src)
    if lead and e.corrected_output.strip() and e.status != S.rejected:
        a.block("The corrected expected output is", e.corrected_output[:1500], src)
    if e.status == S.duplicate and e.resolution_note.strip():
        a.say(escape_markdown(_first_sentences(e.resolution_note)), src)


def _describe_thread(a: _Answer, session: Session, c: Candidate, *, lead: bool) -> None:
    thread = c.thread
    assert thread is not None and thread.id is not None
    if any(s.type in ("thread", "post") and s.url.startswith(f"/threads/{thread.id}") for s in
           a.sources):  # fmt: skip
        return  # this thread already speaks in the answer
    if c.post is not None:
        src = _source_for(session, c)
        label = {"accepted": "An accepted answer", "endorsed": "An endorsed answer"}.get(
            src.status, "A reply"
        )
        title, body = escape_markdown(thread.title), escape_markdown(_first_sentences(c.post.body))
        a.say(f"{label} in “{title}” says: {body}", src)
        return
    tsrc = _source_for(session, c)
    a.say(f"The thread “{escape_markdown(thread.title)}” asks about this.", tsrc)
    answer = _accepted_post(session, thread) if lead or thread.accepted_post_id else None
    if answer is not None:
        assert answer.id is not None
        psrc = _source_for(session, Candidate(kind="post", item_id=answer.id, score=c.score,
                                              post=answer, thread=thread))  # fmt: skip
        kind = "accepted" if thread.accepted_post_id == answer.id else "endorsed"
        a.say(f"Its {kind} answer: {escape_markdown(_first_sentences(answer.body))}", psrc)


def _new_thread_url(request: AskRequest, scope: Scope) -> str:
    title = " ".join(request.question.split())
    first = title.split(". ")[0]
    params = {
        "course": scope.course.slug if scope.course else (request.course or ""),
        "assignment": scope.assignment.slug if scope.assignment else (request.assignment or ""),
        "title": (first[:117] + "…") if len(first) > 120 else first,
        "body": _thread_body(request)[:8000],
    }
    return "/threads/new?" + urlencode({k: v for k, v in params.items() if v})


def _thread_body(request: AskRequest) -> str:
    parts = [request.question.strip()]
    if request.notebook_version:
        parts.append(f"Notebook version: {request.notebook_version}")
    for label, value in (
        ("Traceback", request.traceback),
        ("My output", request.output),
        ("Expected output", request.expected),
    ):
        if value and value.strip():
            parts.append(f"{label}:\n\n```\n{value.strip()[:3000]}\n```")
    return "\n\n".join(parts)


def compose(
    session: Session, cands: list[Candidate], request: AskRequest, scope: Scope
) -> tuple[Verdict, _Answer]:
    """The verdict and the extractive answer, statement by statement, each with its source."""
    a = _Answer()
    good = [c for c in cands if _confident(c)]
    if not good:
        return Verdict.no_match, a
    lead = good[0]
    e = lead.erratum
    if e is not None and lead.match == MatchKind.corrected and e.status != S.rejected:
        verdict = Verdict.output_matches_correction
        src = _source_for(session, lead)
        a.say(
            "**Your output matches the corrected expected output**: your code is most likely "
            "right and the notebook's expected output is wrong.",
            src,
        )
        if e.status == S.reported:
            a.say("This report is unconfirmed: the course staff have not verified it yet.", src)
    elif e is not None and e.status == S.rejected:
        verdict = Verdict.rejected_report
        if lead.match is not None:
            a.say(
                "Your output matches what an earlier report claimed, but the course staff "
                "rejected that report: the notebook's expected output stands.",
                _source_for(session, lead),
            )
    elif e is not None and lead.match == MatchKind.published:
        verdict = Verdict.output_matches_published
        a.say(
            "**Your output matches the expected output printed in the notebook.**",
            _source_for(session, lead),
        )
    elif e is not None and lead.fixed_for_learner:
        verdict = Verdict.fixed_in_your_version
    elif e is not None and e.status in (S.verified, S.fixed, S.duplicate):
        verdict = Verdict.known_erratum
    elif e is not None:
        verdict = Verdict.unconfirmed_report
    else:
        verdict = Verdict.answered_before
    _describe(a, session, lead, lead=True)
    # Further matches only when retrieval found them about as well as the best one: an answer
    # padded with loosely related items reads as if they applied.
    best = max((_relevance(c) for c in good), default=0.0)
    for c in good[1:]:
        if len(a.sources) >= MAX_SOURCES:
            break
        if c.match is None and _relevance(c) < SECONDARY_RELEVANCE * best:
            continue
        _describe(a, session, c, lead=False)
    return verdict, a


def _describe(a: _Answer, session: Session, c: Candidate, *, lead: bool) -> None:
    if c.erratum is not None:
        _describe_erratum(a, session, c, lead=lead)
    else:
        _describe_thread(a, session, c, lead=lead)


def _no_match_answer(request: AskRequest, scope: Scope) -> tuple[str, str]:
    url = _new_thread_url(request, scope)
    text = (
        "I found nothing in the errata or the forum that matches this well. "
        f"You can [post it as a new question]({url}) so that the course staff and other "
        "learners can help; your question and pasted output are filled in for you."
    )
    return text, url


# The whole ask


def ask(
    session: Session,
    *,
    request: AskRequest,
    user: User | None,
    conversation_id: int | None = None,
    mode: Mode = "hybrid",
    use_llm: bool = True,
    log: bool = True,
) -> AskResponse:
    """Answer one question. Raises InvalidInput for empty, oversized or binary input."""
    validate(request)
    scope = _scope(session, request)
    parsed = parse(request.question, traceback=request.traceback, output=request.output)
    query = build_query(parsed, request, scope)
    hits = search(session, query, mode=mode)
    cands = _load(session, hits)
    cands = _resolve_duplicates(session, cands)
    cands = _output_candidates(session, request, parsed, scope, cands)
    cands = _rank(cands, request, scope)
    verdict, built = compose(session, cands, request, scope)
    new_thread_url: str | None = None
    if verdict == Verdict.no_match:
        answer, new_thread_url = _no_match_answer(request, scope)
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
        verdict=verdict,
        sources=sources,
        new_thread_url=new_thread_url,
        phrased_by_llm=phrased,
    )
    if log:
        response.feedback_token = new_token()
        response.ask_id = _log(
            session, request, parsed, response, user, conversation_id, response.feedback_token
        )
    return response


def _log(
    session: Session,
    request: AskRequest,
    parsed: Parsed,
    response: AskResponse,
    user: User | None,
    conversation_id: int | None,
    feedback_token: str,
) -> int:
    row = AskLog(
        feedback_hash=sha256(feedback_token),
        user_id=user.id if user is not None else None,
        conversation_id=conversation_id,
        question=request.question[:4000],
        course=request.course,
        assignment=request.assignment,
        notebook_version=request.notebook_version,
        terms="\n".join(parsed.terms()),
        verdict=response.verdict.value,
        top_score=response.sources[0].score if response.sources else 0.0,
        source_ids=",".join(f"{s.type}:{s.id}" for s in response.sources),
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def anon_key(value: str | None) -> str | None:
    return hashlib.sha256(value.encode()).hexdigest() if value else None


# Feedback


def feedback(
    session: Session,
    *,
    ask_id: int,
    user: User | None,
    body: FeedbackRequest,
    client_key: str | None = None,
) -> AskFeedback:
    """Helpful / not helpful on one answer; a second vote replaces the first."""
    rate, user_id = get_settings().rate_feedback, user.id if user is not None else None
    throttle("feedback", rate=rate, user_id=user_id, ip=client_key, what="ratings")
    _check_text("comment", body.comment)
    row = session.get(AskLog, ask_id)
    if row is None:
        raise NotFound("That answer does not exist; ask again.")
    # The asker is whoever holds the secret returned with the answer, or the signed-in user who
    # asked; ids are sequential, so an id alone proves nothing (issue #11).
    by_secret = (
        body.feedback_token is not None
        and row.feedback_hash is not None
        and hmac.compare_digest(row.feedback_hash, sha256(body.feedback_token))
    )
    by_user = row.user_id is not None and user is not None and user.id == row.user_id
    if not (by_secret or by_user):
        raise PermissionDenied("Only the person who asked can rate this answer.")
    existing = session.exec(select(AskFeedback).where(AskFeedback.ask_id == ask_id)).first()
    fb = existing or AskFeedback(ask_id=ask_id, helpful=body.helpful)
    fb.helpful = body.helpful
    fb.comment = body.comment.strip()
    fb.user_id = user.id if user is not None else None
    session.add(fb)
    session.commit()
    session.refresh(fb)
    return fb


# Moderators: recent asks that found nothing, grouped by similarity


@dataclass
class AskGroup:
    size: int
    example: str
    asks: list[AskLog]
    terms: list[str]


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z_][a-z0-9_]{2,}", text.lower()) if t not in _STOP}


_STOP = {
    "the", "and", "for", "this", "that", "with", "but", "not", "are", "what", "why", "how",
    "does", "doesn", "don", "have", "get", "getting", "when", "from", "you", "your", "can",
    "any", "there", "was", "its", "into", "still", "just", "like", "some", "about",
}  # fmt: skip


def no_match_asks(
    session: Session, *, course_ids: Sequence[int] | None = None, limit: int = 200
) -> list[AskLog]:
    stmt = (
        select(AskLog)
        .where(AskLog.verdict == Verdict.no_match.value)
        .order_by(col(AskLog.created_at).desc(), col(AskLog.id).desc())
        .limit(limit)
    )
    if course_ids is not None:
        slugs = session.exec(select(Course.slug).where(col(Course.id).in_(course_ids))).all()
        stmt = stmt.where(col(AskLog.course).in_(list(slugs)))
    return list(session.exec(stmt).all())


def group_asks(asks: Sequence[AskLog], *, threshold: float = 0.6) -> list[AskGroup]:
    """Greedy clustering by embedding cosine (the index's encoder); lexical Jaccard fallback."""
    vectors: Any = None
    try:
        from index.encoder import get_encoder

        vectors = get_encoder().encode([a.question[:1000] for a in asks]) if asks else None
    except Exception:  # noqa: BLE001 — the encoder is optional here; fall back to words.
        vectors = None
    tokens = [_tokens(a.question + "\n" + a.terms) for a in asks]
    groups: list[list[int]] = []
    for i in range(len(asks)):
        placed = False
        for g in groups:
            j = g[0]
            if vectors is not None:
                sim = float(vectors[i] @ vectors[j])
                same = sim >= max(threshold, 0.6)
            else:
                union = tokens[i] | tokens[j]
                sim = len(tokens[i] & tokens[j]) / len(union) if union else 0.0
                same = sim >= 0.35
            if same:
                g.append(i)
                placed = True
                break
        if not placed:
            groups.append([i])
    out: list[AskGroup] = []
    for g in groups:
        members = [asks[i] for i in g]
        common = set.intersection(*(tokens[i] for i in g)) if len(g) > 1 else tokens[g[0]]
        out.append(
            AskGroup(
                size=len(members),
                example=members[0].question,
                asks=members,
                terms=sorted(common)[:8],
            )  # fmt: skip
        )
    return sorted(out, key=lambda grp: -grp.size)


# Chat: context kept across follow-ups

_FOLLOW_UP = re.compile(
    r"\b(still\s+(?:fail|failing|fails|broken|wrong|not|doesn|don|the same|get|getting|see)"
    r"|same\s+(?:error|problem|issue|result|output)|didn'?t\s+(?:help|work)|doesn'?t\s+work"
    r"|not\s+working|no\s+luck|try\s+again|any\s+other\s+idea)",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """A short message that only reacts to the last answer ("still failing", "version 3a")."""
    words = text.split()
    if len(words) > 25:
        return False
    return bool(_FOLLOW_UP.search(text)) or (stated_version(text) is not None and len(words) <= 8)


def get_conversation(
    session: Session, *, conversation_id: int, user: User | None, anon: str | None
) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    owned = conv is not None and (
        (user is not None and conv.user_id == user.id)
        or (conv.user_id is None and anon is not None and conv.anon_key == anon)
    )
    if conv is None or not owned:
        raise NotFound("That conversation does not exist; start a new one.")
    return conv


def chat(
    session: Session,
    *,
    request: ChatRequest,
    user: User | None,
    anon: str | None,
) -> ChatResponse:
    """Answer a chat message with the conversation's context; start one when none is given."""
    validate(request)
    if request.conversation_id is not None:
        conv = get_conversation(
            session, conversation_id=request.conversation_id, user=user, anon=anon
        )
    else:
        if user is None and anon is None:
            raise InvalidInput("Enable cookies (or sign in) to keep a conversation.")
        conv = Conversation(user_id=user.id if user else None, anon_key=None if user else anon)
    text = request.question.strip()
    # Context the learner states or sends now overrides what the conversation remembers.
    conv.course = request.course or conv.course
    conv.assignment = request.assignment or conv.assignment
    # A version stated in the message ("I'm on version 3a") wins over a form field that still
    # holds the old one.
    conv.notebook_version = (
        stated_version(text) or request.notebook_version or conv.notebook_version
    )
    follow_up = bool(conv.last_question) and is_follow_up(text)
    if follow_up:
        question = conv.last_question
        traceback = request.traceback or conv.last_traceback or None
        output = request.output or conv.last_output or None
        expected = request.expected or conv.last_expected or None
    else:
        question, traceback = text, request.traceback
        output, expected = request.output, request.expected
        conv.last_question = text
        conv.last_traceback = traceback or ""
        conv.last_output = output or ""
        conv.last_expected = expected or ""
    conv.updated_at = utcnow()
    session.add(conv)
    session.commit()
    session.refresh(conv)
    assert conv.id is not None
    asked = AskRequest(
        question=question, course=conv.course, assignment=conv.assignment,
        notebook_version=conv.notebook_version, traceback=traceback, output=output,
        expected=expected,
    )  # fmt: skip
    response = ask(session, request=asked, user=user, conversation_id=conv.id)
    session.add(ChatMessage(conversation_id=conv.id, role="user", content=text))
    session.add(
        ChatMessage(
            conversation_id=conv.id,
            role="assistant",
            content=response.answer,
            ask_id=response.ask_id,
        )  # fmt: skip
    )
    session.commit()
    return ChatResponse(
        **response.model_dump(),
        conversation_id=conv.id,
        context={
            "course": conv.course,
            "assignment": conv.assignment,
            "notebook_version": conv.notebook_version,
        },
    )


def conversation_public(session: Session, conv: Conversation) -> ConversationPublic:
    msgs = session.exec(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conv.id)
        .order_by(col(ChatMessage.id))
    ).all()
    assert conv.id is not None
    return ConversationPublic(
        id=conv.id,
        course=conv.course,
        assignment=conv.assignment,
        notebook_version=conv.notebook_version,
        messages=[
            ChatMessagePublic(
                id=m.id or 0,
                role="user" if m.role == "user" else "assistant",
                content=m.content,
                ask_id=m.ask_id,
                created_at=m.created_at,
            )  # fmt: skip
            for m in msgs
        ],
    )
