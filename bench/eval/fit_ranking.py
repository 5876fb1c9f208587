"""Fit the assistant's re-ranker and thresholds on the DEV questions only, by cross-validation.

    .venv/bin/python bench/eval/fit_ranking.py            # prints CV figures, writes the weights
    .venv/bin/python bench/eval/fit_ranking.py --dry-run  # prints only

1. Every dev question runs through the product's retrieval (``assistant.service.candidates``):
   its ~50 candidates with the features of ``assistant/ranking.py``.
2. A linear scorer is fitted listwise (softmax cross-entropy: the expected items should take
   the probability mass of each question's candidates) with an L2 penalty, by plain gradient
   descent in numpy, the weights of ``assistant.ranking.MONOTONE`` kept at or above zero. The
   penalty is chosen by cross-validation on MRR, one course held out at a time
   (``cv.by_course``): the product is judged on a course forum it has never seen.
3. ``no_match_below`` is chosen on the out-of-fold *match* scores (each dev question scored by
   the model that did not see it, without the prior features, as ``ranking.confident`` uses
   them): the answer/no-match threshold that gets most dev questions right, counting each dev
   question as written and as wrapped in each dev chatter file (``THRESHOLD_CHATTER``): real
   posts come wrapped in greetings and asides, which lower a match score, and a threshold fitted
   on clean questions alone refused answerable chatty ones (docs/benchmarks.md, session 22).
   The threshold on the questions as written alone becomes ``close_above``: an answer whose
   lead scores below it says it is only the nearest match (``ranking.close``).
4. The declare model (``assistant/declare.py``): logistic regression over the evidence of the
   eligible errata among the first 3 of each out-of-fold ranking, penalty by the same CV; its
   ``within`` and threshold chosen on the out-of-fold probabilities for the most erratum recall
   with dev false alarms at or below ``MAX_FALSE_ALARMS``.
5. The final weights (fitted on all dev) go to ``assistant/ranking_weights.json``.

Test questions are never loaded into the fit.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from cv import by_course  # noqa: E402
from dataset import Question, load_corpus, load_questions  # noqa: E402
from filler import DEFAULT_COUNT, DEFAULT_SEED, generate  # noqa: E402
from product import open_product  # noqa: E402
from run import cache_key, prepare  # noqa: E402
from wrapping import load as load_chatter  # noqa: E402
from wrapping import wrap  # noqa: E402

WEIGHTS = ROOT / "assistant" / "ranking_weights.json"
PENALTIES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
# The declare model's grid brackets its CV optimum (it used to start at 0.1, which CV chose).
DECLARE_PENALTIES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MAX_FALSE_ALARMS = 0.02  # on dev: leaves room under the 3% target on unseen questions
# The dev chatter files (never data/chatter/heldout.json, which measures how this generalises).
THRESHOLD_CHATTER = tuple(HERE / "data" / "chatter" / f for f in ("dev.json", "dev2.json"))


def _features() -> tuple[str, ...]:
    sys.path.insert(0, str(ROOT))
    from assistant.ranking import FEATURES

    return FEATURES


class Item:
    """One question's candidates as a matrix, with which rows are right."""

    def __init__(self, q: Question, cands: list[dict[str, Any]], names: tuple[str, ...]):
        self.q = q
        self.cands = cands
        self.x = np.array([[c["features"].get(n, 0.0) for n in names] for c in cands], float)
        self.x = self.x.reshape(len(cands), len(names))
        self.y = np.array([c["ext"] in q.expect for c in cands], float)


def monotone_mask(names: tuple[str, ...]) -> np.ndarray:
    """True for the features whose weight may not be negative (``assistant.ranking.MONOTONE``)."""
    from assistant.ranking import MONOTONE

    return np.array([n in MONOTONE for n in names])


def fit(items: list[Item], dim: int, penalty: float, steps: int = 600) -> np.ndarray:
    """Listwise softmax regression with Adam, projected so that the ``MONOTONE`` features'
    weights stay at or above zero; questions without a right candidate are skipped."""
    usable = [it for it in items if it.y.any()]
    nonneg = monotone_mask(_features())
    assert len(nonneg) == dim
    w = np.zeros(dim)
    m, v = np.zeros(dim), np.zeros(dim)
    lr, b1, b2 = 0.05, 0.9, 0.999
    for t in range(1, steps + 1):
        grad = penalty * w
        for it in usable:
            s = it.x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = it.y / it.y.sum()
            grad += it.x.T @ (p - target) / len(usable)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
        w[nonneg] = np.maximum(w[nonneg], 0.0)
    return w


def first_right(it: Item, scores: np.ndarray) -> int | None:
    order = np.argsort(-scores, kind="stable")
    for r, i in enumerate(order, start=1):
        if it.y[i]:
            return r
    return None


def mrr(items: list[Item], scores: list[np.ndarray]) -> tuple[float, float]:
    ranks = [first_right(it, s) for it, s in zip(items, scores, strict=True) if it.q.expect]
    n = len(ranks) or 1
    return (
        sum(1 for r in ranks if r == 1) / n,
        sum(1.0 / r for r in ranks if r is not None) / n,
    )


Folds = list[tuple[np.ndarray, set[str]]]


def fold_weights(items: list[Item], dim: int, penalty: float) -> Folds:
    """One course held out at a time: the weights fitted without it, and its question ids."""
    by_id = {it.q.id: it for it in items}
    return [
        (fit([by_id[q.id] for q in train], dim, penalty), {q.id for q in held})
        for train, held in by_course([it.q for it in items])
    ]


def held_out_scores(
    items: list[Item], folds: Folds, mask: np.ndarray | None = None
) -> list[np.ndarray]:
    """Each question scored by the fold's model that did not see it (``items`` may be a
    chatter-wrapped copy of the questions the folds were fitted on); with ``mask``, only the
    masked features' part of the score (``match_mask``: the match score)."""
    out = []
    for it in items:
        w = next(w for w, held in folds if it.q.id in held)
        out.append(it.x @ (w if mask is None else w * mask))
    return out


def out_of_fold(items: list[Item], dim: int, penalty: float) -> list[np.ndarray]:
    """Each question scored by the model fitted without its fold."""
    return held_out_scores(items, fold_weights(items, dim, penalty))


def match_mask(names: tuple[str, ...]) -> np.ndarray:
    """1 for the features that are match evidence (``assistant.ranking.PRIORS`` excluded)."""
    from assistant.ranking import PRIORS

    return np.array([0.0 if n in PRIORS else 1.0 for n in names])


def no_match_threshold(items: list[Item], scores: list[np.ndarray]) -> float:
    """The top match-score threshold that gets most questions right: answerable answered, the rest
    refused (an output match is always answered, as in ``ranking.confident``)."""
    tops = [float(s.max()) if len(s) else -1e9 for s in scores]
    best, best_t = -1, 0.0
    for t in sorted(set(tops)):
        ok = sum((top >= t) == bool(it.q.expect) for it, top in zip(items, tops, strict=True))
        if ok > best:
            best, best_t = ok, t
    return best_t - 1e-6


def _declare_names() -> tuple[str, ...]:
    from assistant.declare import FEATURES

    return FEATURES


def _softmax(s: np.ndarray) -> np.ndarray:
    p = np.exp(s - s.max())
    return p / p.sum()


def declare_rows(it: Item, scores: np.ndarray, within: int) -> list[tuple[int, dict[str, float]]]:
    """``(candidate index, declare features)`` of the eligible errata among the first
    ``within`` of this ranking, as ``assistant.declare.choose`` sees them."""
    from assistant.declare import vector

    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    share = _softmax(scores) if len(scores) else scores
    out = []
    for position, i in enumerate(order[:within]):
        c = it.cands[i]
        if not c.get("eligible"):
            continue
        above = [
            (
                c["echo"].get(it.cands[j]["ext"], 0.0),
                c.get("link", {}).get(it.cands[j]["ext"], 0.0),
                float(share[j]),
            )
            for j in order[:position]
            if "status" not in it.cands[j]
        ]
        x = vector(
            c["declare"],
            position=position,
            share=float(share[i]),
            echoed=max((e for e, _, _ in above), default=0.0),
            carried=max((e * p for e, _, p in above), default=0.0),
            linked=max((k for _, k, _ in above), default=0.0),
            inherited=max((k * p for _, k, p in above), default=0.0),
        )
        out.append((i, x))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float, steps: int = 50) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method; the last column is the bias
    (not penalised)."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], penalty)
    reg[-1] = 1e-6
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _matrix(rows: list[dict[str, float]], names: tuple[str, ...]) -> np.ndarray:
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], float).reshape(len(rows), -1)
    return np.hstack([x, np.ones((len(rows), 1))])


def _outcome(it: Item, scores: np.ndarray, declared: int | None, names: tuple[str, ...]) -> str:
    """What ``assistant.verdicts.decide`` would say: 'right' (the expected erratum declared),
    'wrong' (another erratum declared) or 'none'."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    corrected = names.index("output_corrected")
    published = names.index("output_published")
    pick = next(
        (
            i
            for i in order
            if it.x[i, corrected] and it.cands[i].get("status", "rejected") != "rejected"
        ),
        None,
    )
    if pick is None and order:
        lead = it.cands[order[0]]
        if lead.get("status") == "rejected" or ("status" in lead and it.x[order[0], published]):
            return "none"
        pick = declared
    if pick is None:
        return "none"
    return "right" if it.cands[pick]["ext"] in it.q.expect else "wrong"


def fit_declare(items: list[Item], scores: list[np.ndarray], names: tuple[str, ...]):
    """The declare model: features of the eligible errata among the first 3 of each dev
    question's out-of-fold ranking; label = it is the erratum that answers the question. The
    penalty by course-held-out CV log-loss; then ``within`` and the threshold on the out-of-fold
    probabilities: the most erratum recall with dev false alarms <= MAX_FALSE_ALARMS."""
    dnames = _declare_names()
    by_id = {it.q.id: (it, s) for it, s in zip(items, scores, strict=True)}

    def samples(chosen: list[Item], within: int):
        rows, ys, where = [], [], []
        for it in chosen:
            for i, x in declare_rows(it, by_id[it.q.id][1], within):
                rows.append(x)
                ys.append(float(it.q.answer == "erratum" and it.cands[i]["ext"] in it.q.expect))
                where.append((it.q.id, i))
        return _matrix(rows, dnames), np.array(ys), where

    best = None
    for penalty in DECLARE_PENALTIES:
        oof: dict[tuple[str, int], float] = {}
        loss = 0.0
        for train, held in by_course([it.q for it in items]):
            xt, yt, _ = samples([by_id[q.id][0] for q in train], 3)
            w = fit_logistic(xt, yt, penalty)
            xh, yh, wh = samples([by_id[q.id][0] for q in held], 3)
            p = 1.0 / (1.0 + np.exp(-np.clip(xh @ w, -50, 50)))
            loss -= float(np.sum(yh * np.log(p + 1e-9) + (1 - yh) * np.log(1 - p + 1e-9)))
            oof.update(zip(wh, p.tolist(), strict=True))
        print(f"  declare L2 {penalty:<4} CV log-loss {loss:.2f}")
        if best is None or loss < best[1]:
            best = (penalty, loss, oof)
    assert best is not None
    penalty, _, oof = best
    n_own = sum(1 for it in items if it.q.answer == "own_bug") or 1
    n_err = sum(1 for it in items if it.q.answer == "erratum") or 1
    table = []
    # within 2 or 3: the erratum is looked for behind the thread that reported it and one more
    # (a second report, a near-duplicate). On 60 dev errata the choice between them was noise;
    # on 108, fitted on the 212 older dev questions and scored on the 75 newer ones, within 3
    # declared 44/48 erratum questions against 41/48 at the same false alarms (2/27). Ties go
    # to 2 (listed first).
    for within in (2, 3):
        for t in [round(0.05 * i, 2) for i in range(1, 20)]:
            fa = rec = 0
            for it in items:
                s = by_id[it.q.id][1]
                cands = [(oof[(it.q.id, i)], i) for i, _ in declare_rows(it, s, within)]
                top = max(cands, default=None)
                declared = top[1] if top is not None and top[0] >= t else None
                out = _outcome(it, s, declared, names)
                fa += it.q.answer == "own_bug" and out != "none"
                rec += it.q.answer == "erratum" and out == "right"
            table.append((within, t, fa / n_own, rec / n_err))
    ok = [row for row in table if row[2] <= MAX_FALSE_ALARMS] or [table[-1]]
    within, threshold, fa, rec = max(ok, key=lambda row: (row[3], -row[2], row[1]))
    x, y, _ = samples(items, 3)
    w = fit_logistic(x, y, penalty)
    model = {
        "weights": {n: round(float(v), 4) for n, v in zip(dnames, w[:-1], strict=True)},
        "bias": round(float(w[-1]), 4),
        "threshold": threshold,
        "within": within,
    }
    return model, penalty, fa, rec, table


def write_threshold(threshold: float, close_above: float, penalty: float) -> int:
    """``--threshold-only``: the new ``no_match_below`` and ``close_above`` into the weights
    file, nothing else."""
    data = json.loads(WEIGHTS.read_text())
    data["no_match_below"] = round(threshold, 4)
    data["close_above"] = round(close_above, 4)
    data["notes"]["no_match_below"] = (
        f"chosen alone (fit_ranking.py --threshold-only, L2 {penalty}) on the dev questions as "
        "written and wrapped in the dev chatter files; the weights are the notes' fit"
    )
    WEIGHTS.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote no_match_below and close_above to {WEIGHTS.relative_to(ROOT)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--reuse-latest", action="store_true")
    parser.add_argument(
        "--candidates",
        type=Path,
        help="pickle of the dev candidates (as written and in each dev chatter file): read if "
        "present, else written",
    )
    parser.add_argument(
        "--chatter",
        type=Path,
        help="wrap the dev questions in forum chatter from this file (data/chatter/dev.json): "
        "how the fit holds up on them (never the held-out file)",
    )
    parser.add_argument(
        "--threshold-only",
        action="store_true",
        help="re-choose no_match_below and close_above for the weights already in "
        "ranking_weights.json and write only them (the weights and the declare model stay as "
        "fitted)",
    )
    args = parser.parse_args()
    names = _features()
    corpus = load_corpus()
    dev = [q for q in load_questions() if q.split == "dev"]
    if args.chatter:
        phrases = load_chatter(args.chatter)
        dev = [Question(wrap(q.raw, phrases), q.file) for q in dev]
    records = corpus + generate(corpus, DEFAULT_COUNT, DEFAULT_SEED)
    wrapped_rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    if args.candidates and args.candidates.exists():
        rows, wrapped_rows = pickle.loads(args.candidates.read_bytes())
        sys.path.insert(0, str(ROOT))
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="checkfirst-fit-"))
        try:
            product = open_product(data_dir)
            key = cache_key(DEFAULT_COUNT, DEFAULT_SEED, product.model)
            prepare(product, data_dir, records, key, False, args.reuse_latest)
            rows = {q.id: product.candidates(q.raw) for q in dev}
            for path in THRESHOLD_CHATTER:
                phrases = load_chatter(path)
                wrapped_rows[path.stem] = {
                    q.id: product.candidates(wrap(q.raw, phrases)) for q in dev
                }
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        if args.candidates:
            args.candidates.write_bytes(pickle.dumps((rows, wrapped_rows)))
    items = [Item(q, rows[q.id], names) for q in dev]
    variants = [items] + [
        [Item(q, wrapped[q.id], names) for q in dev] for wrapped in wrapped_rows.values()
    ]
    reach = sum(1 for it in items if it.q.expect and it.y.any())
    print(f"{len(items)} dev questions; right item among candidates for {reach}")
    best: tuple[float, float, float] | None = None
    if args.threshold_only:  # the match scores of the weights in the file: their fit's penalty
        penalty = float(json.loads(WEIGHTS.read_text())["notes"]["l2"])
    else:
        for penalty in PENALTIES:
            r1, m = mrr(items, out_of_fold(items, len(names), penalty))
            print(f"  L2 {penalty:<6} CV R@1 {r1:.3f} MRR {m:.3f}")
            if best is None or m > best[2]:
                best = (penalty, r1, m)
        assert best is not None
        penalty = best[0]
    folds = fold_weights(items, len(names), penalty)
    # Each variant of the dev questions (as written, then wrapped in each dev chatter file)
    # scored by the fold models fitted on the questions as written.
    match = [held_out_scores(variant, folds, match_mask(names)) for variant in variants]
    threshold = no_match_threshold(
        [it for variant in variants for it in variant], [s for scores in match for s in scores]
    )
    plain = no_match_threshold(items, match[0])
    print(
        f"no_match_below {threshold:.3f} on dev as written and in {len(variants) - 1} chatter "
        f"files ({plain:.3f} on dev as written alone)"
    )
    if args.threshold_only:
        return write_threshold(threshold, plain, penalty)
    oof = held_out_scores(items, folds)
    declare_model, declare_l2, fa, rec, table = fit_declare(items, oof, names)
    for row in table:
        if row[1] in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            print(
                f"  within {row[0]} p >= {row[1]:.2f}: false alarms {row[2]:.3f} "
                f"erratum recall {row[3]:.3f}"
            )
    assert best is not None  # the penalty search ran (not --threshold-only)
    w = fit(items, len(names), penalty)
    print(
        f"chosen L2 {penalty}, no_match_below {threshold:.3f}, declare L2 {declare_l2}, "
        f"threshold {declare_model['threshold']}, within {declare_model['within']} "
        f"(dev CV false alarms {fa:.3f}, erratum recall {rec:.3f})"
    )
    for n, value in sorted(declare_model["weights"].items(), key=lambda p: -abs(p[1])):
        print(f"  declare {n:<18} {value:+.3f}")
    for n, value in sorted(zip(names, w, strict=True), key=lambda p: -abs(p[1])):
        print(f"  {n:<20} {value:+.3f}")
    if args.dry_run:
        return 0
    WEIGHTS.write_text(
        json.dumps(
            {
                "weights": {n: round(float(v), 4) for n, v in zip(names, w, strict=True)},
                "no_match_below": round(threshold, 4),
                "close_above": round(plain, 4),
                "declare": declare_model,
                "notes": {
                    "fitted": "bench/eval/fit_ranking.py on the dev split only",
                    "cv": "one course held out at a time (bench/eval/cv.py by_course)",
                    "l2": penalty,
                    "cv_dev_r1": round(best[1], 3),
                    "cv_dev_mrr": round(best[2], 3),
                    "declare_l2": declare_l2,
                    "cv_dev_false_alarms": round(fa, 3),
                    "cv_dev_erratum_recall": round(rec, 3),
                    "no_match_below": "dev as written and wrapped in the dev chatter files",
                },
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {WEIGHTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
