"""Whether to tell a learner "the notebook is wrong here" for one erratum: a small logistic model.

Hard rules come first and no weight can overrule them: only a confirmed erratum (verified, fixed
later, or a duplicate resolved to one), never one already fixed in the learner's version, never
one whose ``affected_versions`` leave the learner's version out, never one whose title and
description share no word with what the learner says (``symptom`` 0: the learner is at the
erratum's function, and nothing says theirs is the erratum's problem), and never one about a
wrong printed output to a learner whose test fails (``ranking.contradicts``: a printed value
fails no test, so the failing test points to their code). Among the errata that
pass, the one ranked within the first ``within`` candidates with the highest probability is
declared when that probability reaches ``threshold``. Weights, bias, threshold and ``within``
are in ``assistant/ranking_weights.json`` (``"declare"``), fitted by
``bench/eval/fit_ranking.py`` by grouped cross-validation on the dev questions only, the
threshold chosen so that dev false alarms stay at or below 2% (room under the 3% target on
unseen questions).

The learner's notebook version is a hard rule only (the erratum must affect it), never evidence:
the notebook widget sends its version with every ask, so "the erratum names the learner's
version as affected" says nothing about which problem they have. Learned as a weight it took up
how the eval's questions were written (a version given mostly where an erratum needed one), and
with every learner on version 1 it pushed dev false alarms to 3.5% (``bench/eval/run.py
--default-version 1``).

The evidence (``FEATURES``), none of it a hand-set threshold:

- ``symptom``: share of the learner's own words (error line and prose, not shared code names)
  that the erratum's title and description also use.
- ``said``: the same share over all the erratum's text (its outputs and workaround too).
- ``prose_overlap``, ``dense_score``, ``dense_rrf``, ``lexical_rrf``, ``title_coverage``: how
  close the question is to the erratum by words and by meaning (``assistant.ranking``).
- ``located``: the learner names the erratum's function/test, most of its location's words, or
  its assignment; ``location_match``: a parsed name equals the location.
- ``same_assignment``: the learner's assignment is the erratum's.
- ``lead``: ranked first; ``share``: its share of the re-ranker's probability mass.
- ``echo``: how much of the erratum's description a thread ranked above it also says. The thread
  that reported an erratum often outranks it (it is worded like a learner); a learner's own bug
  outranks a same-function erratum with a thread about a *different* problem.
- ``carried``: the share of the re-ranker's probability mass of the thread ranked above the
  erratum, times how much of the erratum that thread says (``echo``): a near-duplicate of the
  erratum that matches the question is evidence for the erratum, not against it.
- ``linked``: how strongly a thread ranked above the erratum is linked to it
  (``assistant.threadlinks``: 1.0 when the erratum was reported from it or a moderator linked
  them, else inferred from the two problem statements); ``inherited``: that link times the
  thread's share of the re-ranker's probability mass. The thread that reported an erratum and
  the erratum are one problem: the thread's match to the question is the erratum's.
- ``output_published`` / ``expected_published``: the learner's output / expected output equals
  the erratum's published one (their code reproduces the notebook's printed values).
- ``test_passes``: the learner says their tests pass (``assistant.claims``): code that passes
  its test while its output differs from the printed one is the erratum's story, not a bug's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.claims import Outcome
from assistant.threadlinks import Linker
from errata.models import Erratum, ErratumStatus
from errata.versions import affects
from index.text import token_set

if TYPE_CHECKING:  # ranking loads this module's Model with its weights
    from assistant.ranking import QueryEvidence
    from assistant.retrieval import Candidate

S = ErratumStatus
# Erratum statuses whose text says the notebook is (or was) wrong.
CONFIRMED = (S.verified, S.fixed, S.duplicate)
FEATURES = (
    "symptom", "said", "prose_overlap", "dense_score", "dense_rrf", "lexical_rrf", "title_coverage",
    "located", "location_match", "same_assignment", "lead", "share", "echo", "carried",
    "output_published", "expected_published", "linked", "inherited",
    "test_passes",
)  # fmt: skip


@dataclass(frozen=True)
class Model:
    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 1.0  # no weights fitted: never declare on words alone
    within: int = 2

    def probability(self, x: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(n, 0.0) * v for n, v in x.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def load_model(data: dict[str, object] | None) -> Model:
    if not data:
        return Model()
    raw = dict(data)
    weights = {str(k): float(v) for k, v in dict(raw.get("weights", {})).items()}  # type: ignore[call-overload]
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"declare: unknown features {sorted(unknown)}")
    return Model(
        weights=weights,
        bias=float(raw.get("bias", 0.0)),  # type: ignore[arg-type]
        threshold=float(raw.get("threshold", 1.0)),  # type: ignore[arg-type]
        within=int(raw.get("within", 2)),  # type: ignore[call-overload]
    )


def eligible(c: Candidate, q: QueryEvidence) -> bool:
    """The hard rules: confirmed, not fixed in the learner's version, the version affected, the
    learner's own words describe it, and their failing test does not rule it out."""
    e = c.erratum
    if e is None or e.status not in CONFIRMED or c.fixed_for_learner:
        return False
    if c.features.get("fails_claimed"):
        return False
    return affects(e.affected_versions, q.version) and symptom(c, q) > 0


_SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A word without its inflection ("touching", "touches" -> "touch"; "boxes" -> "box"), so
    a learner's wording meets the erratum's. Code names and numbers are kept whole."""
    if not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def stems(words: set[str]) -> set[str]:
    return {stem(w) for w in words}


def _described(e: Erratum) -> set[str]:
    """The erratum's own words about the problem (not its location's names), as stems."""
    return stems(token_set(f"{e.title}\n{e.description}") - token_set(e.location))


def symptom(c: Candidate, q: QueryEvidence) -> float:
    """How much of what the learner says (error line and prose, not the names they share with
    the erratum's location) the erratum's title and description also say."""
    assert c.erratum is not None
    said = stems((q.error | q.prose) - q.identifiers)
    if not said:
        return 0.0
    return len(said & _described(c.erratum)) / len(said)


def said(c: Candidate, q: QueryEvidence) -> float:
    """Share of the learner's own words (error line and prose, not code names) anywhere in the
    erratum's text. A bare traceback has no prose; its error line still speaks."""
    words = stems((q.error | q.prose) - q.identifiers)
    if not words:
        return 0.0
    return len(words & stems(token_set(c.text))) / len(words)


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


def echo(c: Candidate, thread: Candidate) -> float:
    """Share of the erratum's description that ``thread``'s text also says."""
    assert c.erratum is not None
    words = {w for w in _described(c.erratum) if len(w) > 2}
    if not words:
        return 0.0
    return len(words & stems(token_set(thread.text))) / len(words)


def base(c: Candidate, q: QueryEvidence) -> dict[str, float]:
    """The features that do not depend on where the re-ranker put the candidate."""
    f = c.features
    return {
        "symptom": symptom(c, q),
        "said": said(c, q),
        # A bare traceback has no prose: its error line is what the learner says.
        "prose_overlap": f.get("prose_overlap", 0.0) if q.prose else said(c, q),
        "dense_score": f.get("dense_score", 0.0),
        "dense_rrf": f.get("dense_rrf", 0.0),
        "lexical_rrf": f.get("lexical_rrf", 0.0),
        "title_coverage": f.get("title_coverage", 0.0),
        "located": float(located(c, q)),
        "location_match": f.get("location_match", 0.0),
        "same_assignment": f.get("same_assignment", 0.0),
        "output_published": f.get("output_published", 0.0),
        "expected_published": f.get("expected_published", 0.0),
        "test_passes": float(q.test_outcome == Outcome.passes),
    }


def vector(
    base_features: dict[str, float],
    *,
    position: int,
    share: float,
    echoed: float,
    carried: float = 0.0,
    linked: float = 0.0,
    inherited: float = 0.0,
) -> dict[str, float]:
    """All features, given the candidate's place in the ranking (0 = lead)."""
    return {
        **base_features,
        "lead": float(position == 0),
        "share": share,
        "echo": echoed,
        "carried": carried,
        "linked": linked,
        "inherited": inherited,
    }


def above(c: Candidate, threads: list[Candidate], linker: Linker) -> dict[str, float]:
    """The rank-dependent evidence ``threads`` (the threads ranked above ``c``) give ``c``."""
    rows = [(echo(c, t), linker.strength(c, t), t.probability) for t in threads]
    return {
        "echoed": max((e for e, _, _ in rows), default=0.0),
        "carried": max((e * p for e, _, p in rows), default=0.0),
        "linked": max((k for _, k, _ in rows), default=0.0),
        "inherited": max((k * p for _, k, p in rows), default=0.0),
    }


def choose(ranked: list[Candidate], q: QueryEvidence, model: Model) -> Candidate | None:
    """The erratum to declare among the first ``model.within`` candidates, if any."""
    best: tuple[float, Candidate] | None = None
    linker: Linker | None = None  # IDF over every candidate's head: built only when needed
    for position, c in enumerate(ranked[: model.within]):
        if not eligible(c, q):
            continue
        linker = linker or Linker(ranked)
        threads = [t for t in ranked[:position] if t.erratum is None]
        x = vector(base(c, q), position=position, share=c.probability, **above(c, threads, linker))
        p = model.probability(x)
        if p >= model.threshold and (best is None or p > best[0]):
            best = (p, c)
    return best[1] if best else None
