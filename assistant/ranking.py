"""Second stage: order the ~50 retrieved candidates by a small linear model over evidence.

Every ranking weight lives in ``assistant/ranking_weights.json``, fitted by cross-validation on
the *dev* questions only (``bench/eval/fit_ranking.py``; never on test). A candidate's score is
``sum(weight[f] * feature[f])``; the answer cites candidates in score order. Whether anything
matches at all is judged on the *match* part of the score only (``match_score``: every feature
but the ``PRIORS``, which say what kind of document a candidate is, not that it is about this
question): the best candidate's match score below ``no_match_below`` means "nothing matches
well" (no_match). A cake recipe question must not be answered because the course's best
thread has an accepted answer.

The features, all computed from what retrieval already holds (no model call per candidate):

- ``dense_rrf``, ``lexical_rrf``: ``K / (K + rank)`` (``index.fusion.K``) of the candidate's
  best dense and lexical rank over all its documents (a thread's best reply counts); 0 if unranked.
- ``fused_rrf``: the same for its position in the index's fused list (status boosts included).
- ``dense_score``: cosine of the query and the candidate's nearest chunk (0 if not found).
- ``title_coverage``: share of the title's words the question uses.
- ``error_overlap``: share of the error line's words (exception, message, assertion) in the text.
- ``error_exact``: the exception message or an assertion appears verbatim in the text.
- ``identifier_overlap``: share of the question's identifiers (functions, tests, variables) in the
  text; ``no_identifiers``: the question names none (then the prose carries the evidence).
- ``location_match``: an erratum's location, or a code name in a thread's title, is one of the
  question's identifiers.
- ``prose_overlap``: share of the learner's own words (not code, not numbers) in the text.
- ``value_overlap``: share of the learner's precise numbers (their wrong value, their output;
  ``terms.number_key``) the candidate prints too, IDF-weighted over the candidates.
- ``linked_overlap``: share of the identifiers the course's content links to the learner's words
  (``assistant.links``) that appear in the text: "first-layer weight gradient" -> ``dW1``.
- ``bm25_text``, ``bm25_head``, ``bm25_error``, ``bm25_prose``, ``bm25_prose_head``,
  ``bm25_linked`` (``assistant.fields``): BM25 with document frequencies over this question's
  candidates, as a share of the most the question's terms could score: all the question's words
  over the whole candidate and over its head (title and question post, or an erratum's title
  and description), the error line's words and the learner's prose words over the whole
  candidate, the prose over the head, the linked identifiers over the whole candidate.
- ``boilerplate_replies``: share of a thread's replies found word for word under at least two
  other candidates, or under several threads of the course (``assistant.links``: "restart the
  kernel", "same here", "check the pinned FAQ"): they explain nothing; ``specific_answer``: an
  accepted or endorsed reply that is not such a reply (a boilerplate reply marked accepted
  answers nothing).
- ``same_assignment``: the learner named an assignment and the candidate belongs to it;
  ``assignment_named``: how much of the candidate's assignment title the learner's words say
  (IDF over the candidates' titles), for the questions that come without an assignment.
- ``erratum``, ``staff_reviewed`` (verified/fixed), ``rejected``, ``unconfirmed`` (reported).
- ``accepted``, ``endorsed``: the thread has an accepted / endorsed answer.
- ``fixed_for_learner``: an erratum fixed in a version the learner already has.
- ``passes_claimed``: an erratum, and the learner says their tests pass ("the unit test passes
  but my output differs from the printed one": the classic wrong expected output);
  ``fails_claimed``: an erratum about a wrong printed output (and not, by its own words, about
  a failing test), and the learner's test fails (``assistant.claims``).
- ``output_corrected``, ``output_published``: the learner's output equals the erratum's corrected
  / published output (``assistant.matching``); ``expected_published``: their expected output
  equals the published one.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection, Container
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.claims import Outcome, claimed_outcome
from assistant.declare import Model, load_model, stems
from assistant.fields import Field
from assistant.matching import MatchKind
from assistant.parsing import Parsed
from assistant.retrieval import Candidate, Scope, assignment_id
from assistant.terms import Terms, number_keys, reply_key, terms
from errata.models import Erratum, ErratumKind, ErratumStatus
from errata.versions import at_or_after
from index.fusion import K as RRF_K
from index.lexical import idf
from index.text import token_set

S = ErratumStatus
WEIGHTS_FILE = Path(__file__).with_name("ranking_weights.json")
FEATURES = (
    "dense_rrf", "lexical_rrf", "fused_rrf", "dense_score", "title_coverage", "error_overlap",
    "error_exact", "identifier_overlap", "no_identifiers", "location_match", "prose_overlap",
    "linked_overlap", "same_assignment", "erratum", "staff_reviewed", "rejected", "unconfirmed",
    "accepted", "endorsed", "fixed_for_learner", "output_corrected", "output_published",
    "expected_published", "bm25_text", "bm25_head", "bm25_error", "bm25_prose",
    "bm25_prose_head", "bm25_linked", "specific_answer", "boilerplate_replies", "value_overlap",
    "assignment_named", "passes_claimed", "fails_claimed",
)  # fmt: skip
# Features about the candidate alone (its kind, status, answers) or the learner's scope: they
# order candidates but are no evidence that any of them is about the question.
PRIORS = frozenset(
    {
        "no_identifiers", "same_assignment", "assignment_named", "erratum", "staff_reviewed",
        "rejected", "unconfirmed", "accepted", "endorsed", "fixed_for_learner",
        "specific_answer", "boilerplate_replies", "passes_claimed", "fails_claimed",
    }
)  # fmt: skip


# Features whose weight is never negative: more evidence that a candidate is about the question
# (every match feature), or a sounder answer (accepted, endorsed by staff, a specific accepted
# reply, staff-reviewed, the learner's own assignment), never lowers its score. Fitted with that
# constraint (``bench/eval/fit_ranking.py``), checked when the weights are read. Without it the
# fit learned quirks of the eval's data: an endorsed reply counted *against* a thread because
# the eval's filler endorses replies more often than its real threads do.
MONOTONE = frozenset(
    {n for n in FEATURES if n not in PRIORS}
    | {
        "accepted",
        "endorsed",
        "specific_answer",
        "staff_reviewed",
        "same_assignment",
        "assignment_named",
        "passes_claimed",
    }
)


@dataclass(frozen=True)
class Weights:
    weights: dict[str, float]
    no_match_below: float
    # A lead whose match score is below this is the nearest thing found, not a close match: the
    # no-match threshold as fitted on the dev questions as written (chatty questions pull
    # ``no_match_below`` lower). None: every answered match reads as close.
    close_above: float | None = None
    # Declaring "the notebook is wrong" without an output match (assistant.declare).
    declare: Model = field(default_factory=Model)
    notes: dict[str, object] = field(default_factory=dict)

    def score(self, features: dict[str, float]) -> float:
        get = self.weights.get
        return sum([get(name, 0.0) * value for name, value in features.items()])

    def match_score(self, features: dict[str, float]) -> float:
        """The score without the ``PRIORS``: how well the candidate matches the question."""
        get = self.weights.get
        return sum(
            [get(name, 0.0) * value for name, value in features.items() if name not in PRIORS]
        )


@lru_cache(maxsize=1)
def weights() -> Weights:
    """The fitted weights, read once per process (start-up)."""
    return load_weights(WEIGHTS_FILE)


def load_weights(path: Path) -> Weights:
    data = json.loads(path.read_text())
    unknown = set(data["weights"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"{path.name}: unknown features {sorted(unknown)}")
    negative = sorted(n for n in MONOTONE if float(data["weights"].get(n, 0.0)) < 0)
    if negative:
        raise ValueError(
            f"{path.name}: negative weights for {negative}, which may only raise a score; "
            "refit with bench/eval/fit_ranking.py"
        )
    return Weights(
        weights={k: float(v) for k, v in data["weights"].items()},
        no_match_below=float(data["no_match_below"]),
        close_above=float(data["close_above"]) if data.get("close_above") is not None else None,
        declare=load_model(data.get("declare")),
        notes=data.get("notes", {}),
    )


@dataclass
class QueryEvidence:
    """What the question offers to compare candidates with (computed once per ask)."""

    identifiers: set[str]
    error: set[str]
    error_strings: list[str]
    prose: set[str]
    words: set[str]
    linked: set[str]
    version: str
    assignment_id: int | None
    # Reply texts repeated under many threads of the course (``assistant.links``), as
    # ``terms.words_key`` (``reply_key`` is its cached form): the keys compare equal.
    boilerplate: frozenset[str] = frozenset()
    # The precise numbers the learner printed or quotes (``terms.number_key``).
    numbers: frozenset[str] = frozenset()
    # What the learner says their tests do (``assistant.claims``).
    test_outcome: Outcome = Outcome.unknown

    @classmethod
    def of(
        cls,
        parsed: Parsed,
        scope: Scope,
        version: str | None,
        linked: set[str] | None = None,
        *,
        boilerplate: frozenset[str] = frozenset(),
    ) -> QueryEvidence:
        idents = {i.lower() for i in (*parsed.functions, *parsed.tests, *parsed.identifiers)}
        error_text = " ".join(
            x for x in (parsed.exception_type, parsed.exception_message, *parsed.assertions) if x
        )
        strings = [
            _flat(s) for s in (parsed.exception_message, *parsed.assertions) if s and len(s) >= 8
        ]
        said = token_set(parsed.prose)
        prose = {w for w in said - idents if not w.replace(".", "").isdigit() and len(w) > 1}
        printed = token_set("\n".join(v.text for v in parsed.values))
        return cls(
            identifiers=idents,
            error=token_set(error_text),
            error_strings=strings,
            prose=prose,
            words=prose | token_set(error_text) | idents,
            linked=(linked or set()) - idents,
            version=(version or "").strip(),
            assignment_id=scope.assignment.id if scope.assignment else None,
            boilerplate=boilerplate,
            numbers=number_keys(said | printed | token_set(error_text)),
            test_outcome=parsed.test_outcome,
        )


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def _share(part: Collection[str], whole: Container[str]) -> float:
    return sum(1 for t in part if t in whole) / len(part) if part else 0.0


def _rrf(rank: int | None) -> float:
    return RRF_K / (RRF_K + rank) if rank is not None else 0.0


def features(
    c: Candidate, q: QueryEvidence, text_tokens: Container[str] | None = None
) -> dict[str, float]:
    """The candidate's own features (``text_tokens``: its text's tokens, if already known)."""
    if text_tokens is None:
        text_tokens = terms(c.text).counts
    title_tokens = terms(c.title).counts.keys()
    e = c.erratum
    flat = _flat(c.text) if q.error_strings else ""
    if e is not None:
        location = {t.lower() for t in token_set(e.location)} if e.location else set()
        located = bool(location & q.identifiers)
    else:
        located = bool(
            any(t in q.identifiers for t in title_tokens) and any("_" in t for t in title_tokens)
        )
    fixed = bool(e is not None and q.version and e.fixed_in and at_or_after(q.version, e.fixed_in))
    c.fixed_for_learner = fixed
    c.learner_version = q.version or None
    status = e.status if e is not None else None
    return {
        "dense_rrf": _rrf(c.dense_rank),
        "lexical_rrf": _rrf(c.lexical_rank),
        "fused_rrf": _rrf(c.hit_rank),
        "dense_score": max(0.0, c.dense_score or 0.0),
        "title_coverage": _share(title_tokens, q.words),
        "error_overlap": _share(q.error, text_tokens),
        "error_exact": float(any(s in flat for s in q.error_strings)),
        "identifier_overlap": _share(q.identifiers, text_tokens),
        "no_identifiers": float(not q.identifiers),
        "location_match": float(located),
        "prose_overlap": _share(q.prose, text_tokens),
        "linked_overlap": _share(q.linked, text_tokens),
        "same_assignment": float(
            q.assignment_id is not None and assignment_id(c) == q.assignment_id
        ),
        "erratum": float(e is not None),
        "staff_reviewed": float(status in (S.verified, S.fixed)),
        "rejected": float(status == S.rejected),
        "unconfirmed": float(status == S.reported),
        "accepted": float(c.accepted),
        "endorsed": float(c.endorsed),
        "fixed_for_learner": float(fixed),
        "output_corrected": float(c.match == MatchKind.corrected),
        "output_published": float(c.match == MatchKind.published),
        "expected_published": float(c.expected_matches_published),
        "passes_claimed": float(e is not None and q.test_outcome == Outcome.passes),
        "fails_claimed": float(contradicts(e, q.test_outcome)),
    }


def contradicts(e: Erratum | None, claim: Outcome) -> bool:
    """The learner's test fails, and the erratum says only the printed expected output is wrong
    (which fails no test): filed as a wrong expected output, and its own words do not say a test
    fails (an erratum whose printed values *and* test values are off is often filed so)."""
    return (
        e is not None
        and claim == Outcome.fails
        and e.kind == ErratumKind.wrong_expected_output
        and claimed_outcome(f"{e.title}\n{e.description}") != Outcome.fails
    )


def shared_replies(cands: list[Candidate]) -> Counter[str]:
    """How many candidates carry each reply text: a reply found word for word under several
    threads ("restart the kernel", "same here") explains none of them."""
    seen: Counter[str] = Counter()
    for c in cands:
        seen.update({reply_key(body) for body, _ in c.replies})
    return seen


def reply_features(
    c: Candidate, shared: Counter[str], common: frozenset[str] = frozenset()
) -> dict[str, float]:
    if not c.replies:
        return {"specific_answer": 0.0, "boilerplate_replies": 0.0}
    keys = [reply_key(body) for body, _ in c.replies]
    boiler = [shared[k] > 2 or k in common for k in keys]
    return {
        "specific_answer": float(
            any(marked and not b for (_, marked), b in zip(c.replies, boiler, strict=True))
        ),
        "boilerplate_replies": sum(boiler) / len(boiler),
    }


def field_features(
    cands: list[Candidate], q: QueryEvidence, text_terms: list[Terms] | None = None
) -> list[dict[str, float]]:
    """The BM25 and reply features of every candidate (they depend on the other candidates)."""
    shared = shared_replies(cands)
    text = Field([c.text for c in cands], text_terms)
    head = Field([c.head for c in cands])
    columns = {
        "bm25_text": text.scores(q.words),
        "bm25_head": head.scores(q.words),
        "bm25_error": text.scores(q.error),
        "bm25_prose": text.scores(q.prose),
        "bm25_prose_head": head.scores(q.prose),
        "bm25_linked": text.scores(q.linked),
    }
    columns["value_overlap"] = value_overlap(text, q.numbers)
    columns["assignment_named"] = assignment_named([c.place for c in cands], q.words)
    out = [{name: col[i] for name, col in columns.items()} for i in range(len(cands))]
    for c, f in zip(cands, out, strict=True):
        f.update(reply_features(c, shared, q.boilerplate))
    return out


def assignment_named(places: list[str], words: set[str]) -> list[float]:
    """How much of each candidate's assignment title the learner's words name ("step by step
    deep net" for "Building your Deep Neural Network: Step by Step"), each title word weighed
    by its IDF over the candidates' titles: the words every candidate's assignment shares weigh
    little. Word endings are ignored ("networks", "network")."""
    said = stems(words)
    # Most candidates share a handful of assignments: each title's words are stemmed once.
    stemmed = {p: stems(token_set(p)) for p in set(places)}
    titles = [stemmed[p] for p in places]
    df = Counter(w for t in titles for w in t)
    weight = {w: idf(len(titles), k) for w, k in df.items()}
    out = []
    for t in titles:
        total = sum(weight[w] for w in t)
        out.append(sum(weight[w] for w in t & said) / total if total > 0 else 0.0)
    return out


def value_overlap(text: Field, numbers: frozenset[str]) -> list[float]:
    """Share of the learner's precise numbers each candidate prints too, each weighed by its
    IDF over the candidates: the expected value every thread about a test quotes weighs
    little, the wrong value only another learner with the same bug got weighs most."""
    if not numbers:
        return [0.0] * len(text.numbers)
    weight = {n: text.number_idf(n) for n in numbers}
    total = sum(weight.values()) or 1.0
    return [sum(weight[n] for n in numbers & have) / total for have in text.numbers]


def rank(cands: list[Candidate], q: QueryEvidence, w: Weights | None = None) -> list[Candidate]:
    """Score every candidate and return them best first (ties: the index's order)."""
    w = w or weights()
    texts = [terms(c.text) for c in cands]  # tokenised once for both (and cached)
    for c, t, extra in zip(cands, texts, field_features(cands, q, texts), strict=True):
        c.features = features(c, q, t.counts) | extra
        c.score = round(w.score(c.features), 6)
        c.match_score = round(w.match_score(c.features), 6)
    # A rule, not a weight: an erratum already fixed in the learner's version is shown below
    # the errata that still apply to them, however well its words match.
    applies = [c.score for c in cands if c.erratum is not None and not c.fixed_for_learner]
    for c in cands:
        if c.fixed_for_learner and applies:
            c.score = min(c.score, max(applies) - 1e-3)
    # The model is fitted listwise: a candidate's share of the softmax over this question's
    # candidates is its probability of being the answer.
    top = max((c.score for c in cands), default=0.0)
    total = sum(math.exp(c.score - top) for c in cands) or 1.0
    for c in cands:
        c.probability = math.exp(c.score - top) / total
    return sorted(cands, key=lambda c: (-c.score, c.hit_rank or 10**6))


def _output_matched(c: Candidate) -> bool:
    """The learner's output equals the candidate's corrected or published one: decisive
    whatever the words' match score."""
    return c.match is not None or c.expected_matches_published


def close(c: Candidate, w: Weights | None = None) -> bool:
    """A close match, not merely the nearest one: an output match, or a match score at or above
    ``close_above``."""
    w = w or weights()
    if _output_matched(c) or w.close_above is None:
        return True
    return c.match_score >= w.close_above


def confident(c: Candidate, w: Weights | None = None) -> bool:
    """Good enough to answer with: an output match, or a match score above the fitted
    threshold."""
    w = w or weights()
    return _output_matched(c) or c.match_score >= w.no_match_below
