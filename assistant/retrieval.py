"""Retrieval: from a parsed question to candidates, each with the rows and text behind it.

The index returns documents (errata, threads, replies). Here a thread and its replies become
one candidate, ranked later by the thread's best evidence (its best dense and lexical ranks
over all its documents); the reply that matched best is kept to quote. A duplicate report
stands for the erratum it duplicates. Errata whose published or corrected output equals the
learner's output join the candidates even when the words did not find them (decisive evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from assistant.matching import (
    MatchKind,
    compare,
    match_erratum,
    match_quoted,
    reference_values,
)
from assistant.parsing import Parsed, parse_values
from assistant.schemas import AskRequest
from errata.models import Erratum, ErratumStatus
from errata.versions import at_or_after
from forum.models import Assignment, Course, Post, Thread
from forum.privacy import scope_of
from index.types import Hit, Query, Viewer
from users.models import User

S = ErratumStatus
# How many documents the index returns for the re-ranker to order (issue #13: ~50).
RETRIEVE = 50
Mode = str  # "hybrid", "lexical" or "dense"


@dataclass
class Candidate:
    """One erratum, or one thread with its replies, and the evidence that it answers."""

    kind: str  # "erratum", "thread" (a reply's hit joins its thread's candidate)
    item_id: int
    score: float = 0.0
    match_score: float = 0.0  # the score without the features that are no match evidence
    erratum: Erratum | None = None
    thread: Thread | None = None
    post: Post | None = None  # the reply that matched best, when a reply did
    # The thread's (or erratum's) best evidence over all its documents.
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None
    hit_rank: int | None = None  # position in the index's fused list
    text: str = ""  # title, question, replies / erratum fields, for the lexical features
    title: str = ""
    # What the problem is: a thread's title and question post, an erratum's title and description.
    head: str = ""
    # Where it is: its assignment's title and slug ("Trigger Word Detection trigger").
    place: str = ""
    # A thread's replies: (text, accepted or endorsed).
    replies: list[tuple[str, bool]] = field(default_factory=list)
    accepted: bool = False
    endorsed: bool = False
    match: MatchKind | None = None
    expected_matches_published: bool = False
    labels: list[str] = field(default_factory=list)
    fixed_for_learner: bool = False
    learner_version: str | None = None
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    # An erratum's recorded threads: reported from, or linked by a moderator (threadlinks).
    linked_threads: frozenset[int] = frozenset()

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.item_id)

    def absorb(self, hit: Hit, rank: int) -> None:
        """Keep the best evidence of every document of this candidate."""
        if hit.dense_rank is not None and (
            self.dense_rank is None or hit.dense_rank < self.dense_rank
        ):
            self.dense_rank = hit.dense_rank
        if hit.lexical_rank is not None and (
            self.lexical_rank is None or hit.lexical_rank < self.lexical_rank
        ):
            self.lexical_rank = hit.lexical_rank
        if hit.dense_score is not None and (
            self.dense_score is None or hit.dense_score > self.dense_score
        ):
            self.dense_score = hit.dense_score
        if self.hit_rank is None or rank < self.hit_rank:
            self.hit_rank = rank


@dataclass
class Scope:
    course: Course | None = None
    assignment: Assignment | None = None


def resolve_scope(session: Session, request: AskRequest) -> Scope:
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


def viewer_of(session: Session, user: User | None) -> Viewer | None:
    """Whose private documents a signed-in asker may have cited (issue #17): their own threads
    and those of the courses they are staff of. Anonymous askers (and widget tokens, whose
    caller passes no user here) search public documents only."""
    if user is None or user.id is None:
        return None
    return scope_of(session, user).index_viewer()


def build_query(
    parsed: Parsed, request: AskRequest, scope: Scope, viewer: Viewer | None = None
) -> Query:
    text = parsed.dense_text() or " ".join(request.question.split())[:1000]
    return Query(
        text=text,
        terms=parsed.terms(),
        course_id=scope.course.id if scope.course else None,
        limit=RETRIEVE,
        viewer=viewer,
        snippets=False,  # candidates are loaded from the database (``load``)
    )


def search(session: Session, query: Query, *, mode: Mode = "hybrid") -> list[Hit]:
    """The index's search; imported lazily so the assistant loads without torch until used."""
    from index import search as index_search

    return list(index_search.search(session, query, mode=mode))  # type: ignore[arg-type]


def load(session: Session, hits: Sequence[Hit]) -> list[Candidate]:
    """One candidate per erratum and per thread (its replies' hits merged in), in hit order."""
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
    by_key: dict[tuple[str, int], Candidate] = {}
    out: list[Candidate] = []
    for rank, h in enumerate(hits, start=1):
        reply: Post | None = None
        if h.doc_type == "erratum":
            erratum = errata.get(h.doc_id)
            if erratum is None:
                continue
            key = ("erratum", h.doc_id)
        elif h.doc_type in ("thread", "post"):
            thread_id = h.doc_id
            if h.doc_type == "post":
                post = posts.get(h.doc_id)
                if post is None or post.deleted_at is not None:
                    continue
                thread_id = post.thread_id
                reply = None if post.is_question else post
            thread = threads.get(thread_id)
            # A hit whose row is gone or deleted: the indexer has not applied that change yet.
            if thread is None or thread.deleted_at is not None:
                continue
            key = ("thread", thread_id)
        else:
            continue
        cand = by_key.get(key)
        if cand is None:
            cand = Candidate(kind=key[0], item_id=key[1])
            if key[0] == "erratum":
                cand.erratum = errata[h.doc_id]
            else:
                cand.thread = threads[key[1]]
            by_key[key] = cand
            out.append(cand)
        if reply is not None and cand.post is None:
            cand.post = reply
        cand.absorb(h, rank)
    _fill_thread_text(session, [c for c in out if c.thread is not None])
    for c in out:
        if c.erratum is not None:
            fill_erratum_text(c)
    return out


def _fill_thread_text(session: Session, cands: list[Candidate]) -> None:
    """Title, question and replies of each thread, and whether an answer is accepted/endorsed:
    one query for all candidates."""
    if not cands:
        return
    ids = [c.item_id for c in cands]
    # Columns, not Post objects: a question's ~70 posts as ORM instances cost more than the query.
    rows = session.execute(
        select(  # type: ignore[call-overload]
            Post.thread_id, Post.id, Post.body, Post.is_question, Post.endorsed_by_id
        )
        .where(col(Post.thread_id).in_(ids), col(Post.deleted_at).is_(None))
        .order_by(col(Post.id))
    ).all()
    bodies: dict[int, list[str]] = {}
    questions: dict[int, str] = {}
    replies: dict[int, list[tuple[int, str, bool]]] = {}
    endorsed: set[int] = set()
    for thread_id, post_id, body, is_question, endorsed_by in rows:
        bodies.setdefault(thread_id, []).append(body)
        if is_question and thread_id not in questions:
            questions[thread_id] = body
        elif not is_question:
            replies.setdefault(thread_id, []).append((post_id, body, endorsed_by is not None))
        if endorsed_by is not None:
            endorsed.add(thread_id)
    for c in cands:
        assert c.thread is not None
        c.title = c.thread.title
        c.text = "\n".join([c.thread.title, *bodies.get(c.item_id, [])])
        c.head = f"{c.thread.title}\n{questions.get(c.item_id, '')}"
        accepted = c.thread.accepted_post_id
        c.replies = [
            (body, post_id == accepted or is_endorsed)
            for post_id, body, is_endorsed in replies.get(c.item_id, [])
        ]
        c.accepted = accepted is not None
        c.endorsed = c.item_id in endorsed


def fill_erratum_text(c: Candidate) -> None:
    e = c.erratum
    assert e is not None
    c.title = e.title
    c.head = f"{e.title}\n{e.description}"
    c.text = "\n".join(
        (e.title, e.location, e.description, e.workaround, e.resolution_note,
         e.published_output, e.corrected_output)
    )  # fmt: skip


def resolve_duplicates(session: Session, cands: list[Candidate]) -> list[Candidate]:
    """A duplicate report stands for the erratum it duplicates."""
    out: list[Candidate] = []
    seen = {c.key for c in cands}
    for c in cands:
        e = c.erratum
        if e is not None and e.status == S.duplicate and e.duplicate_of_id:
            target = session.get(Erratum, e.duplicate_of_id)
            if target is not None and ("erratum", e.duplicate_of_id) not in seen:
                seen.add(("erratum", e.duplicate_of_id))
                c.item_id, c.erratum = e.duplicate_of_id, target
                fill_erratum_text(c)
            elif target is not None:
                continue
        out.append(c)
    return out


def output_candidates(
    session: Session, request: AskRequest, parsed: Parsed, scope: Scope, cands: list[Candidate]
) -> list[Candidate]:
    """Compare the learner's output with every erratum's outputs in scope (the named assignment
    or course; without one, the courses of the question's best word matches, ``found_courses``),
    not only the hits: an output match is decisive evidence even when the words of the question
    are vague.
    Without a pasted output, precise numbers the learner quotes as theirs ("I get
    2.0424567983978403") count when only the corrected output has them, unless the learner's
    notebook version already prints the correction."""
    actual = request.output or ""
    if not actual.strip() and parsed.values:
        actual = "\n".join(v.text if not v.name else f"{v.name} = {v.text}" for v in parsed.values)
    quoted = parsed.quoted if not actual.strip() else []
    version = (request.notebook_version or "").strip()
    expected = request.expected or ""
    if not actual.strip() and not expected.strip() and not quoted:
        return cands
    stmt = select(Erratum).where(
        (col(Erratum.corrected_output) != "") | (col(Erratum.published_output) != "")
    )
    if scope.assignment is not None:
        stmt = stmt.where(Erratum.assignment_id == scope.assignment.id)
    elif scope.course is not None:
        stmt = stmt.where(Erratum.course_id == scope.course.id)
    else:
        # No course named: the courses the question's words and code found. Another course's
        # notebook may print the same number (a first cost of ln 2 = 0.693147 is in every
        # logistic regression), which says nothing about this learner's notebook.
        courses = found_courses(cands)
        if not courses:
            return cands
        stmt = stmt.where(col(Erratum.course_id).in_(courses))
    by_key = {c.key: c for c in cands}
    # The learner's side parsed once, not once per erratum.
    values = parse_values(actual) if actual.strip() else []
    expected_values = parse_values(expected) if expected.strip() else []
    for e in session.exec(stmt.limit(500)).all():
        assert e.id is not None
        kind = None
        if actual.strip():
            kind = match_erratum(
                actual,
                corrected_output=e.corrected_output,
                published_output=e.published_output,
                values=values,
            )
        elif (
            quoted
            and not (version and e.fixed_in and at_or_after(version, e.fixed_in))
            and match_quoted(
                quoted, corrected_output=e.corrected_output, published_output=e.published_output
            )
        ):
            kind = MatchKind.corrected
        exp_match = bool(expected.strip() and e.published_output.strip()) and (
            compare(expected_values, list(reference_values(e.published_output))).matched
        )
        if kind is None and not exp_match:
            continue
        cand = by_key.get(("erratum", e.id))
        if cand is None:
            cand = Candidate(kind="erratum", item_id=e.id, erratum=e)
            fill_erratum_text(cand)
            cands.append(cand)
            by_key[cand.key] = cand
        cand.match = kind
        cand.expected_matches_published = exp_match
    return cands


# How many of the best word matches say which courses a question without one is about.
COURSE_HINTS = 3


def found_courses(cands: list[Candidate]) -> set[int]:
    """The courses of the ``COURSE_HINTS`` candidates that best match the question's words and
    code names (lexical rank; by meaning when no word matched). Not the fused order: its status
    boosts put errata first whatever the course."""
    by_words = [c for c in cands if c.lexical_rank is not None]
    if by_words:
        first = sorted(by_words, key=lambda c: c.lexical_rank or 0)
    else:
        first = sorted(
            (c for c in cands if c.dense_rank is not None), key=lambda c: c.dense_rank or 0
        )
    out: set[int] = set()
    for c in first[:COURSE_HINTS]:
        doc = c.erratum if c.erratum is not None else c.thread
        if doc is not None:
            out.add(doc.course_id)
    return out


def fill_places(session: Session, cands: list[Candidate]) -> None:
    """Each candidate's ``place``: its assignment's title and slug (one query for all)."""
    ids = {a for a in map(assignment_id, cands) if a is not None}
    if not ids:
        return
    rows = session.exec(
        select(Assignment.id, Assignment.title, Assignment.slug).where(col(Assignment.id).in_(ids))
    ).all()
    places = {i: f"{title}\n{slug.replace('-', ' ')}" for i, title, slug in rows}
    for c in cands:
        c.place = places.get(assignment_id(c) or -1, "")


def assignment_id(c: Candidate) -> int | None:
    if c.erratum is not None:
        return c.erratum.assignment_id
    if c.thread is not None:
        return c.thread.assignment_id
    return None
