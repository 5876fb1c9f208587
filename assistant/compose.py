"""Composition: the extractive answer, statement by statement, each with its source.

Every statement is added with the source it comes from (``Answer.say``), so the Markdown can
only contain cited text (invariant 5): ``[n]`` points at ``sources[n-1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from assistant import ranking
from assistant.markdown_text import code_fence, code_span, escape_markdown, markdown_to_text
from assistant.retrieval import Candidate, Scope
from assistant.schemas import AskRequest, Source, Verdict
from assistant.verdicts import POSSIBLY_RELATED, SECONDARY_RELEVANCE, Decision, tied
from core.markdown import plain_snippet
from errata.models import ErratumStatus
from forum.models import Post, Thread

S = ErratumStatus
MAX_SOURCES = 5
SNIPPET_CHARS = 240


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
            url=f"/errata/{e.id}", status=e.status.value, score=round(c.probability, 4),
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
            url=post_url(t.id, p.id), status=status, score=round(c.probability, 4),
            snippet=_snippet(p.body),
        )  # fmt: skip
    thread = c.thread
    assert thread is not None and thread.id is not None
    question = _question_post(session, thread)
    status = "answered" if thread.accepted_post_id else "open"
    return Source(
        type="thread", id=thread.id, external_id=thread.external_id, title=thread.title,
        url=f"/threads/{thread.id}", status=status, score=round(c.probability, 4),
        snippet=_snippet(question.body if question else thread.title),
    )  # fmt: skip


# Opens an answer whose lead is only the nearest match (``ranking.close``).
NOT_CLOSE = "Nothing matched your question closely."


class Answer:
    """Collects sources and statements; a statement can only be added with its source."""

    def __init__(self, *, output_sent: bool = False) -> None:
        self.sources: list[Source] = []
        self.lines: list[str] = []
        # The learner sent what their cell prints (an output that matched an erratum's
        # corrected one would have been the verdict): no point asking them to compare.
        self.output_sent = output_sent
        self.check_offered = False
        # The lead is only the nearest match (``ranking.close``): said so where it is shown.
        self.nearest_only = False

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
    """The opening of a Markdown text as plain text (escape it before it joins an answer)."""
    flat = markdown_to_text(text)
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: stop + 1] if stop > limit // 3 else cut.rstrip() + "…"


def _describe_erratum(a: Answer, session: Session, c: Candidate, *, lead: bool) -> None:
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


def _describe_thread(a: Answer, session: Session, c: Candidate, *, lead: bool) -> None:
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
        if lead and a.nearest_only:
            label = f"{NOT_CLOSE} The nearest: {label.lower()}"
        a.say(f"{label} in “{title}” says: {body}", src)
        return
    tsrc = _source_for(session, c)
    title = escape_markdown(thread.title)
    if lead and a.nearest_only:
        a.say(
            f"{NOT_CLOSE} The nearest thread is “{title}”: check "
            "that it is about your problem before you follow it.",
            tsrc,
        )
    else:
        a.say(f"The thread “{title}” asks about this.", tsrc)
    answer = _accepted_post(session, thread) if lead or thread.accepted_post_id else None
    if answer is not None:
        assert answer.id is not None
        reply = Candidate(
            kind="post", item_id=answer.id, probability=c.probability, post=answer, thread=thread
        )
        psrc = _source_for(session, reply)
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


def compose(session: Session, decision: Decision, *, output_sent: bool = False) -> Answer:
    """The extractive answer for a decided verdict; its first source is the lead.
    ``output_sent``: the learner sent their cell's output (or pasted printed values)."""
    a = Answer(output_sent=output_sent)
    if decision.verdict == Verdict.no_match or not decision.cited:
        return a
    lead = decision.cited[0]
    e = lead.erratum
    src = _source_for(session, lead) if e is not None else None
    if decision.verdict == Verdict.output_matches_correction and src is not None:
        a.say(
            "**Your output matches the corrected expected output**: your code is most likely "
            "right and the notebook's expected output is wrong.",
            src,
        )
        if e is not None and e.status == S.reported:
            a.say("This report is unconfirmed: the course staff have not verified it yet.", src)
    elif decision.verdict == Verdict.rejected_report and lead.match is not None and src:
        a.say(
            "Your output matches what an earlier report claimed, but the course staff "
            "rejected that report: the notebook's expected output stands.",
            src,
        )
    elif decision.verdict == Verdict.output_matches_published and src is not None:
        a.say("**Your output matches the expected output printed in the notebook.**", src)
    a.nearest_only = decision.verdict == Verdict.answered_before and not ranking.close(lead)
    _describe(a, session, lead, lead=True)
    shown = [lead]
    top = lead.probability or 1.0
    for c in decision.cited[1:]:
        if len(a.sources) >= MAX_SOURCES:
            break
        # An erratum tied to the lead thread is cited however it ranked on the learner's words:
        # it is the staff's verdict on the problem the answer leads with. One tied to a later
        # thread is cited only on its own merit (it then follows its thread: verdicts.decide).
        if c.match is None and c.probability < SECONDARY_RELEVANCE * top and not tied(c, lead):
            continue
        _describe(a, session, c, lead=False, above=shown)
        shown.append(c)
    return a


def _describe(
    a: Answer, session: Session, c: Candidate, *, lead: bool, above: Sequence[Candidate] = ()
) -> None:
    if c.erratum is not None and POSSIBLY_RELATED in c.labels:
        _describe_possibly_related(a, session, c, reported_from=_report_thread(c, above))
    elif c.erratum is not None:
        _describe_erratum(a, session, c, lead=lead)
    else:
        _describe_thread(a, session, c, lead=lead)


def _report_thread(c: Candidate, above: Sequence[Candidate]) -> Thread | None:
    """The thread cited above erratum ``c`` that it was reported from or a moderator linked to
    it (a recorded link, ``assistant.threadlinks``), if any."""
    return next((t.thread for t in above if tied(c, t)), None)


def _describe_possibly_related(
    a: Answer, session: Session, c: Candidate, *, reported_from: Thread | None = None
) -> None:
    e = c.erratum
    assert e is not None
    where = f" in {code_span(e.location)}" if e.location else ""
    if c.features.get("fails_claimed"):
        # The learner's test fails; this erratum is about a printed value, which fails no test.
        why = (
            "It is about the expected output printed in the notebook, which makes no test fail: "
            "your failing test points to your own code."
        )
    elif reported_from is not None:
        # The thread cited above is this erratum's problem: "check your own code first" would
        # contradict it. Whether it is the learner's problem is still theirs to tell.
        title = escape_markdown(reported_from.title)
        why = (
            f"The course staff tied it to the thread “{title}” above: if that thread describes "
            "your problem, this erratum is its cause; if not, check your own code first."
        )
    else:
        why = "Nothing you sent shows that this is your problem, so check your own code first."
    src = _source_for(session, c)
    a.say(f"Possibly related{where}: “{escape_markdown(e.title)}”. {why}", src)
    # The words leave it open; the learner's output settles it. Offered once per answer, for a
    # printed value a failing test does not already rule out.
    if (
        e.corrected_output.strip()
        and not c.features.get("fails_claimed")
        and not a.output_sent
        and not a.check_offered
    ):
        a.check_offered = True
        a.say(
            "To tell: compare what your cell prints with the corrected expected output below. "
            "If they are equal, your code is right and this erratum is what you see: paste your "
            "output under “Compare outputs → Your output” and ask again to have it checked.",
            src,
        )
        a.block("The corrected expected output is", e.corrected_output[:1500], src)


def no_match_answer(request: AskRequest, scope: Scope) -> tuple[str, str]:
    url = _new_thread_url(request, scope)
    text = (
        "I found nothing in the errata or the forum that matches this well. "
        f"You can [post it as a new question]({url}) so that the course staff and other "
        "learners can help; your question and pasted output are filled in for you."
    )
    return text, url
