"""Verdicts from evidence, not from rank (invariant 5).

"The notebook is wrong" (``known_erratum``, ``output_matches_correction``) sends a learner away
from their own code, so it is said only on specific evidence:

- the learner's output equals an erratum's corrected output (``output_matches_correction``), or
- a confirmed erratum that affects the learner's version (hard rules) among the first few
  ranked, whose evidence (symptom words, meaning, location, assignment, rank, the thread that
  reported it) convinces the logistic model of ``assistant.declare``, fitted on dev.

An erratum ranked first without that evidence is shown beneath the best forum answer as
"possibly related" (a same-function erratum about a different problem is the usual case).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant import declare
from assistant.matching import MatchKind
from assistant.ranking import QueryEvidence, Weights, confident, weights
from assistant.retrieval import Candidate
from assistant.schemas import Verdict
from errata.models import ErratumStatus

S = ErratumStatus
POSSIBLY_RELATED = "possibly related"
# A further source is cited when its re-ranker probability (softmax share) is at least this
# share of the lead's: an answer padded with loosely related items reads as if they applied.
SECONDARY_RELEVANCE = 0.2


@dataclass
class Decision:
    verdict: Verdict
    # What the answer cites, best first; the lead speaks for the verdict.
    cited: list[Candidate] = field(default_factory=list)


# The verdicts whose lead erratum the evidence names as the learner's problem.
_ON_EVIDENCE = (
    Verdict.known_erratum, Verdict.output_matches_correction, Verdict.output_matches_published,
)  # fmt: skip


def decide(cands: list[Candidate], q: QueryEvidence, w: Weights | None = None) -> Decision:
    """The verdict and the candidates to cite, from ranked candidates."""
    decision = _decide(cands, q, w or weights())
    decision.cited = _tied_after_their_threads(decision.cited)
    # Only the erratum the verdict names is the learner's problem. Every other confirmed
    # erratum cited reads as possibly related: shown as "Verified erratum" with its workaround
    # ("ignore the printed value") it would say "the notebook is wrong" on no evidence. One
    # fixed in the learner's version says so itself; rejected and unconfirmed ones are framed
    # by their status, unless the learner's failing test rules them out (``ranking.contradicts``:
    # an erratum about a printed output is not the problem of a learner whose test fails).
    named = decision.cited[0] if decision.verdict in _ON_EVIDENCE and decision.cited else None
    for i, c in enumerate(decision.cited):
        e = c.erratum
        if c is named or e is None:
            continue
        unsupported = e.status in declare.CONFIRMED and not c.fixed_for_learner
        ruled_out = i > 0 and bool(c.features.get("fails_claimed"))
        if (unsupported or ruled_out) and POSSIBLY_RELATED not in c.labels:
            c.labels.append(POSSIBLY_RELATED)
    return decision


def _decide(cands: list[Candidate], q: QueryEvidence, w: Weights) -> Decision:
    # Anything to answer with is judged on match evidence; once something matches, the
    # candidates are cited in the re-ranker's order (compose keeps the probable ones).
    if not any(confident(c, w) for c in cands):
        return Decision(Verdict.no_match)
    good = cands
    corrected = next(
        (
            c
            for c in good
            if c.match == MatchKind.corrected
            and c.erratum is not None
            and c.erratum.status != S.rejected
        ),
        None,
    )
    if corrected is not None:  # decisive wherever retrieval ranked it
        return Decision(Verdict.output_matches_correction, _lead_first(corrected, good))
    lead = good[0]
    e = lead.erratum
    if e is not None and e.status == S.rejected:
        return Decision(Verdict.rejected_report, good)
    if e is not None and lead.match == MatchKind.published:
        return Decision(Verdict.output_matches_published, good)
    # A confirmed erratum with specific evidence among the first few leads the answer: it is
    # the staff's word on exactly this problem (the forum thread that reported it follows).
    declared = declare.choose(good, q, w.declare)
    if declared is not None:
        return Decision(Verdict.known_erratum, _lead_first(declared, good))
    if e is None:
        return Decision(Verdict.answered_before, good)
    if lead.fixed_for_learner:
        return Decision(Verdict.fixed_in_your_version, good)
    if e.status == S.reported:
        return Decision(Verdict.unconfirmed_report, good)
    # Ranked first, but nothing specific says it is this learner's problem: the best forum
    # answer leads, if it is one; a thread the answer would not even cite beside the erratum
    # (an unrelated one that happens to rank next) does not.
    lead.labels.append(POSSIBLY_RELATED)
    thread = next((c for c in good if c.erratum is None), None)
    if thread is not None and (
        confident(thread, w) or thread.probability >= SECONDARY_RELEVANCE * lead.probability
    ):
        return Decision(Verdict.answered_before, _lead_first(thread, good))
    return Decision(Verdict.answered_before, good)


def tied(erratum: Candidate, thread: Candidate) -> bool:
    """The course staff tied this confirmed erratum to this thread: it was reported from it or
    a moderator linked them (a recorded link, ``assistant.threadlinks``)."""
    e = erratum.erratum
    return (
        e is not None
        and e.status in declare.CONFIRMED
        and thread.erratum is None
        and thread.thread is not None
        and thread.thread.id in erratum.linked_threads
    )


def _tied_after_their_threads(cited: list[Candidate]) -> list[Candidate]:
    """Each confirmed erratum tied to a cited thread follows that thread, wherever it ranked: the
    staff's verdict on the thread's problem belongs beside it, not several sources down. (Tied
    to the lead thread, compose cites it even below ``SECONDARY_RELEVANCE``.) An erratum cited
    before its thread keeps its place."""
    linked = [c for c in cited if c.linked_threads]
    if not linked:
        return cited
    out: list[Candidate] = []
    placed: set[int] = set()
    for c in cited:
        if id(c) in placed:
            continue
        out.append(c)
        placed.add(id(c))
        for e in linked:
            if id(e) not in placed and tied(e, c):
                out.append(e)
                placed.add(id(e))
    return out


def _lead_first(lead: Candidate, good: list[Candidate]) -> list[Candidate]:
    return [lead, *(c for c in good if c is not lead)]
