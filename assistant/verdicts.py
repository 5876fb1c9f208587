"""Verdicts from evidence, not from rank (invariant 5).

"The notebook is wrong" (``known_erratum``, ``output_matches_correction``) sends a learner away
from their own code, so it is said only on specific evidence:

- the learner's output equals an erratum's corrected output (``output_matches_correction``), or
- the erratum's location is one of the learner's functions/tests/names, the described symptom
  matches the erratum's (``symptom`` below, threshold ``declare_symptom`` fitted on dev), and the
  learner's notebook version is affected (not fixed in it, listed in ``affected_versions``).

An erratum ranked first without that evidence is shown beneath the best forum answer as
"possibly related" (a same-function erratum about a different problem is the usual case).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.matching import MatchKind
from assistant.ranking import QueryEvidence, Weights, confident, weights
from assistant.retrieval import Candidate
from assistant.schemas import Verdict
from errata.models import Erratum, ErratumStatus
from index.text import token_set

S = ErratumStatus
POSSIBLY_RELATED = "possibly related"
# Erratum statuses whose text says the notebook is (or was) wrong.
CONFIRMED = (S.verified, S.fixed, S.duplicate)


@dataclass
class Decision:
    verdict: Verdict
    # What the answer cites, best first; the lead speaks for the verdict.
    cited: list[Candidate] = field(default_factory=list)


def affects(e: Erratum, version: str) -> bool:
    """The learner's version is affected: unknown version, no list, or listed."""
    listed = [v.strip() for v in (e.affected_versions or "").split(",") if v.strip()]
    return not version or not listed or version in listed


def symptom(c: Candidate, q: QueryEvidence) -> float:
    """How much of what the learner says (error line and prose, not the names they share with
    the erratum's location) the erratum's title and description also say."""
    e = c.erratum
    assert e is not None
    said = (q.error | q.prose) - q.identifiers
    if not said:
        return 0.0
    location = token_set(e.location)
    erratum_words = token_set(f"{e.title}\n{e.description}") - location
    return len(said & erratum_words) / len(said)


def located(c: Candidate, q: QueryEvidence) -> bool:
    """The learner is where the erratum is: they name its function or test, use at least half
    of its location's words ("pooling backward" for ``pool_backward``), or named its
    assignment."""
    e = c.erratum
    assert e is not None
    if c.features.get("location_match") or c.features.get("same_assignment"):
        return True
    parts = {p for p in token_set(e.location) if "_" not in p and "." not in p}
    return bool(parts) and len(parts & q.words) >= 0.5 * len(parts)


def specific(c: Candidate, q: QueryEvidence, w: Weights) -> bool:
    """Location and symptom both match, and the learner's version is affected."""
    e = c.erratum
    if e is None or e.status not in CONFIRMED or c.fixed_for_learner:
        return False
    if not affects(e, q.version):
        return False
    return located(c, q) and symptom(c, q) >= w.declare_symptom


def decide(cands: list[Candidate], q: QueryEvidence, w: Weights | None = None) -> Decision:
    """The verdict and the candidates to cite, from ranked candidates."""
    w = w or weights()
    good = [c for c in cands if confident(c, w)]
    if not good:
        return Decision(Verdict.no_match)
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
    declared = next((c for c in good[: w.promote_within] if specific(c, q, w)), None)
    if declared is not None:
        return Decision(Verdict.known_erratum, _lead_first(declared, good))
    if e is None:
        return Decision(Verdict.answered_before, good)
    if lead.fixed_for_learner:
        return Decision(Verdict.fixed_in_your_version, good)
    if e.status == S.reported:
        return Decision(Verdict.unconfirmed_report, good)
    # Ranked first, but nothing specific says it is this learner's problem.
    lead.labels.append(POSSIBLY_RELATED)
    thread = next((c for c in good if c.erratum is None), None)
    if thread is not None:
        return Decision(Verdict.answered_before, _lead_first(thread, good))
    return Decision(Verdict.answered_before, good)


def _lead_first(lead: Candidate, good: list[Candidate]) -> list[Candidate]:
    return [lead, *(c for c in good if c is not lead)]
