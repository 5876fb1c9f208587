"""Evaluation: ask vs a bm25s baseline vs a dense baseline, dev and test side by side.

Loads every file under ``bench/eval/data`` plus ``filler.py``'s generated threads into a fresh
temporary SQLite database through the project's importer, builds the index (real model), then
runs each question through ``ask`` and both baselines. A question counts as found at rank r when
the r-th distinct item returned is one of its ``expect`` ids (a reply counts for its thread).
Questions with no expected item measure the ``no_match`` verdict instead. See README.md.

The built database, index and baseline vectors are cached under var/eval-cache, keyed by the
data, the filler parameters, the model and the code that builds them.

    make eval        # or: .venv/bin/python bench/eval/run.py [--split dev] [--verbose]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from baselines import BM25, Dense, document_text, query_text  # noqa: E402
from dataset import Question, data_files, load_corpus, load_questions, problems  # noqa: E402
from filler import DEFAULT_COUNT, DEFAULT_SEED, generate  # noqa: E402
from product import Product, open_product  # noqa: E402
from uncertainty import RESAMPLES, bootstrap, paired, per_question, wilson  # noqa: E402
from wrapping import (  # noqa: E402
    code,
    grader,
    ipython7,
    library_frames,
    markdown,
    test_utils,
    thread,
    typos,
    wrap,
)
from wrapping import load as load_chatter  # noqa: E402

CACHE = ROOT / "var" / "eval-cache"
CACHE_KEEP = 3
SYSTEMS = ("ask", "bm25s", "dense")
# Verdicts that tell the learner the notebook (not their code) is wrong.
NOTEBOOK_WRONG = {"known_erratum", "output_matches_correction"}
SUBSETS: dict[str, Callable[[Question], bool]] = {
    "all": lambda q: True,
    "pasted": lambda q: q.style == "pasted",
    "described": lambda q: q.style == "described",
    "hard negatives": lambda q: q.hard_negative,
    "erratum-answered": lambda q: q.answer == "erratum",
}
# What the issue asks of the data (checked on dev + test together).
NEEDS = {"questions": 300, "courses": 6, "assignments": 25, "described": 0.40, "hard": 0.30}


# Caching the built database + index


def _digest(paths: Iterable[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        # Relative to the checkout, so that two clones share a key; a file given from
        # elsewhere (--links, --thread-chatter) by its own path.
        h.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_key(
    filler_count: int,
    seed: int,
    model: str,
    links: Path | None = None,
    thread_chatter: Path | None = None,
) -> str:
    """Everything the built database, index and baseline vectors depend on."""
    code = [HERE / n for n in ("filler.py", "baselines.py", "dataset.py", "product.py")]
    code += list((ROOT / "index").rglob("*.py")) + [ROOT / "app" / "importer.py"]
    # What each domain imports and hands the index (a change there changes the build).
    code += [ROOT / d / f for d in ("forum", "errata") for f in ("importer.py", "documents.py")]
    code += list((ROOT / "app" / "migrations").rglob("*.py"))
    extra = [links.resolve()] if links else []
    if thread_chatter:  # the threads as built: the phrases and the code that places them
        extra += [thread_chatter.resolve(), HERE / "wrapping.py"]
    return _digest(data_files() + code + extra, f"filler={filler_count}/{seed} model={model}")


def with_links(corpus: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """The corpus with ``source_thread`` set from ``path`` (erratum id, thread id per line) and
    the threads imported before the errata (the importer resolves the thread by then)."""
    pairs = dict(
        line.split("\t")[:2]
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    linked = [{**r, "source_thread": pairs[r["external_id"]]} if r.get("external_id") in pairs
              else r for r in corpus]  # fmt: skip
    return sorted(linked, key=lambda r: (r.get("type") != "thread", bool(r.get("duplicate_of"))))


def _prune_cache(keep: Path) -> None:
    entries = sorted(
        (p for p in CACHE.iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[CACHE_KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def prepare(
    product: Product,
    data_dir: Path,
    records: list[dict[str, Any]],
    key: str,
    rebuild: bool,
    reuse_latest: bool = False,
) -> np.ndarray:
    """Build (or restore from the cache) the database and index in ``data_dir``; return the
    dense baseline's document vectors, in ``records`` order."""
    entry = CACHE / key
    if reuse_latest and not (entry / "done").exists():
        done = sorted(CACHE.glob("*/done"), key=lambda p: p.stat().st_mtime, reverse=True)
        if done:
            entry = done[0].parent
            print(f"WARN --reuse-latest: using cached build {entry.name}, not {key}")
    t0 = time.perf_counter()
    if (entry / "done").exists() and not rebuild:
        shutil.copytree(entry / "data", data_dir, dirs_exist_ok=True)
        chunks = product.load()
        vectors = np.load(entry / "dense.npy")
        print(
            f"cached build {entry.name}: {chunks} chunks, loaded in {time.perf_counter() - t0:.1f}s"
        )
        return vectors
    created, rejected, chunks = product.build(records)
    print(
        f"imported {created} records ({len(rejected)} rejected), indexed {chunks} chunks "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    for line, reason in rejected[:20]:
        print(f"  WARN rejected record {line}: {reason}")
    t0 = time.perf_counter()
    vectors = product.encode([document_text(r) for r in records])
    print(f"dense baseline: encoded {len(records)} documents in {time.perf_counter() - t0:.1f}s")
    entry = CACHE / key
    shutil.rmtree(entry, ignore_errors=True)
    entry.mkdir(parents=True)
    shutil.copytree(data_dir, entry / "data")
    np.save(entry / "dense.npy", vectors)
    (entry / "done").write_text(key)
    _prune_cache(entry)
    return vectors


# Scoring


def rank_of(found: list[str], expect: list[str]) -> int | None:
    for i, ext in enumerate(found, start=1):
        if ext in expect:
            return i
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "R@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "R@3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "R@10": sum(1 for r in ranks if r is not None and r <= 10) / n,
        "MRR": sum(1.0 / r for r in ranks if r is not None) / n,
    }


def evaluate(
    questions: list[Question],
    product: Product,
    bm25: BM25,
    dense: Dense,
    errata_ids: set[str],
) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        try:
            verdict, ask_found, stated = product.ask(q.raw)
        except Exception as exc:  # a refused question is a miss, not the end of the run
            verdict, ask_found, stated = f"error: {type(exc).__name__}: {exc}"[:120], [], []
        text = query_text(q.raw)
        found = {"ask": ask_found, "bm25s": bm25.search(text), "dense": dense.search(text)}
        right_errata = [e for e in q.expect if e in errata_ids]
        lead = ask_found[0] if ask_found else None
        declared = verdict in NOTEBOOK_WRONG and lead in right_errata
        rows.append(
            {
                "id": q.id,
                "split": q.split,
                "style": q.style,
                "answer": q.answer,
                "hard_negative": q.hard_negative,
                "expect": q.expect,
                "verdict": verdict,
                "ranks": {s: rank_of(found[s], q.expect) for s in SYSTEMS},
                "found": {s: found[s][:5] for s in SYSTEMS},
                "notebook_wrong": verdict in NOTEBOOK_WRONG,
                # Any confirmed erratum shown as theirs, in the verdict or beside it (without
                # "possibly related"): a softer "the notebook is wrong".
                "erratum_stated": bool(stated),
                "erratum_declared": declared,
                "undeclared_because": (
                    undeclared_because(product, q.raw, right_errata)
                    if q.answer == "erratum" and not declared
                    else None
                ),
            }
        )
    return rows


# Why an erratum-answered question got no erratum verdict, by the first step that lost it.
UNDECLARED = {
    "ranked_out": "the right erratum not among the first `within` candidates",
    "ineligible": "there; a hard rule excludes it (status, version, symptom, failing test)",
    "below_threshold": "there and eligible, the declare model below its threshold",
}


def undeclared_because(product: Product, raw: dict[str, Any], right: list[str]) -> str:
    """Which step of ``assistant.declare`` an undeclared erratum question was lost at (an
    aggregate for error analysis: which step to work on, not which question)."""
    first = product.candidates(raw)[: product.declare_within]
    rows = [r for r in first if r["ext"] in right]
    if not rows:
        return "ranked_out"
    if not any(r.get("eligible") for r in rows):
        return "ineligible"
    return "below_threshold"


def summarise(rows: list[dict[str, Any]], by_id: dict[str, Question]) -> dict[str, Any]:
    answerable = [r for r in rows if r["expect"]]
    subsets: dict[str, Any] = {}
    for name, keep in SUBSETS.items():
        chosen = [r for r in answerable if keep(by_id[r["id"]])]
        subsets[name] = {"n": len(chosen)}
        for s in SYSTEMS:
            subsets[name][s] = metrics([r["ranks"][s] for r in chosen])
    unanswerable = [r for r in rows if not r["expect"]]
    own = [r for r in rows if r["answer"] == "own_bug"]
    hard = [r for r in own if r["hard_negative"]]
    err = [r for r in rows if r["answer"] == "erratum"]

    def frac(k: int, n: int) -> dict[str, Any]:
        low_high = wilson(k, n)
        return {"k": k, "n": n, "rate": k / n if n else 0.0,
                "ci95": [low_high.low, low_high.high]}  # fmt: skip

    return {
        "subsets": subsets,
        "intervals": intervals(answerable, by_id),
        "no_match_accuracy": frac(
            sum(r["verdict"] == "no_match" for r in unanswerable), len(unanswerable)
        ),
        "answered_when_answerable": frac(
            sum(r["verdict"] != "no_match" for r in answerable), len(answerable)
        ),
        "false_alarms": frac(sum(r["notebook_wrong"] for r in own), len(own)),
        "false_alarms_hard_negatives": frac(sum(r["notebook_wrong"] for r in hard), len(hard)),
        "erratum_stated_own_bug": frac(sum(r["erratum_stated"] for r in own), len(own)),
        "erratum_recall": frac(sum(r["erratum_declared"] for r in err), len(err)),
        "undeclared": {k: sum(r["undeclared_because"] == k for r in err) for k in UNDECLARED},
        "ask_errors": frac(sum(r["verdict"].startswith("error:") for r in rows), len(rows)),
    }


def intervals(answerable: list[dict[str, Any]], by_id: dict[str, Question]) -> dict[str, Any]:
    """95% bootstrap intervals of ask's R@1 and MRR per subset, and of its lead over each
    baseline on the same questions (with how often a resample showed no lead)."""
    out: dict[str, Any] = {}
    for name in ("all", "pasted", "described"):
        chosen = [r for r in answerable if SUBSETS[name](by_id[r["id"]])]
        for metric in ("R@1", "MRR"):
            ask = per_question([r["ranks"]["ask"] for r in chosen], metric)
            entry: dict[str, Any] = {"ask": vars(bootstrap(ask))}
            for base in SYSTEMS[1:]:
                other = per_question([r["ranks"][base] for r in chosen], metric)
                diff = paired(ask, other)
                entry[f"ask-{base}"] = {**vars(diff.interval), "p_not_better": diff.p_not_better}
            out[f"{name} {metric}"] = entry
    return out


def counts(questions: list[Question], corpus: list[dict[str, Any]]) -> dict[str, Any]:
    records = {r.get("external_id"): r for r in corpus}
    courses: set[str] = set()
    assignments: set[tuple[str, str]] = set()
    for q in questions:
        places = [(q.raw.get("course"), q.raw.get("assignment"))]
        places += [
            (records[e].get("course"), records[e].get("assignment"))
            for e in q.expect
            if e in records
        ]
        for course, assignment in places:
            if course:
                courses.add(course)
                if assignment:
                    assignments.add((course, assignment))
        if not any(c for c, _ in places):
            courses.add(Path(q.file).stem)  # the file is named for its course
    n = len(questions) or 1
    return {
        "questions": len(questions),
        "answerable": sum(bool(q.expect) for q in questions),
        "courses": len(courses),
        "assignments": len(assignments),
        "described": sum(q.style == "described" for q in questions) / n,
        "hard": sum(q.hard_negative for q in questions) / n,
        "erratum": sum(q.answer == "erratum" for q in questions) / n,
        "own_bug": sum(q.answer == "own_bug" for q in questions) / n,
    }


# Printing


def print_counts(by_split: dict[str, dict[str, Any]], total: dict[str, Any]) -> None:
    cols = [*by_split, "total"]
    table = {**by_split, "total": total}
    print(f"\n{'data':<22}" + "".join(f"{c:>10}" for c in cols))
    for key, label, pct in (
        ("questions", "questions", False),
        ("answerable", "  with an answer", False),
        ("courses", "courses", False),
        ("assignments", "assignments", False),
        ("described", "% described", True),
        ("hard", "% hard negatives", True),
        ("erratum", "% erratum-answered", True),
        ("own_bug", "% own bug", True),
    ):
        cells = [f"{table[c][key] * 100:>9.0f}%" if pct else f"{table[c][key]:>10}" for c in cols]
        print(f"{label:<22}" + "".join(cells))
    for key, label in (
        ("questions", "questions"),
        ("courses", "courses"),
        ("assignments", "assignments"),
        ("described", "described share"),
        ("hard", "hard-negative share"),
    ):
        if total[key] < NEEDS[key]:
            need = NEEDS[key]
            shown = f"{need:.0%}" if isinstance(need, float) else str(need)
            have = f"{total[key]:.0%}" if isinstance(need, float) else str(total[key])
            print(f"WARN data: {label} {have} < {shown} required by issue #13")


def print_table(summary: dict[str, dict[str, Any]]) -> None:
    splits = list(summary)
    head = f"{'subset':<18}{'system':<8}"
    for s in splits:
        head += f" │ {s + ' n':>7}{'R@1':>7}{'R@3':>7}{'R@10':>7}{'MRR':>7}"
    print("\n" + head)
    print("─" * len(head))
    for name in SUBSETS:
        for i, system in enumerate(SYSTEMS):
            line = f"{name if i == 0 else '':<18}{system:<8}"
            for s in splits:
                sub = summary[s]["subsets"][name]
                m = sub[system]
                n = str(sub["n"]) if i == 0 else ""
                line += (
                    f" │ {n:>7}{m['R@1']:>7.3f}{m['R@3']:>7.3f}{m['R@10']:>7.3f}{m['MRR']:>7.3f}"
                )
            print(line)
    print()
    for key, label in (
        ("no_match_accuracy", "no_match accuracy (ask)"),
        ("answered_when_answerable", "answered when answerable"),
        ("false_alarms", "FALSE ALARMS (own bug told 'notebook wrong')"),
        ("false_alarms_hard_negatives", "  of them on hard negatives"),
        ("erratum_stated_own_bug", "  own bug shown any erratum as theirs (cited)"),
        ("erratum_recall", "ERRATUM RECALL (right erratum declared)"),
        ("ask_errors", "ask refused the question (error)"),
    ):
        line = f"{label:<46}"
        for s in splits:
            f = summary[s][key]
            low, high = f["ci95"]
            line += (f" │ {s} {f['k']:>3}/{f['n']:<3} {f['rate'] * 100:5.1f}%"
                     f" [{low * 100:4.1f}, {high * 100:5.1f}]")  # fmt: skip
        print(line)
    print("  [95% Wilson interval of each rate, %]")
    print("\nerratum questions not declared, by the step that lost them:")
    for key, label in UNDECLARED.items():
        line = f"  {label:<72}"
        for s in splits:
            line += f" │ {s} {summary[s]['undeclared'][key]:>3}"
        print(line)


def print_intervals(summary: dict[str, dict[str, Any]]) -> None:
    """ask's R@1 and MRR with 95% intervals, and its lead over each baseline (paired)."""
    splits = list(summary)
    print(f"\n95% intervals (bootstrap over questions, {RESAMPLES} resamples; p: share of "
          "resamples where ask did not lead)")  # fmt: skip
    head = f"{'':<24}" + "".join(f" │ {s:<34}" for s in splits)
    print(head)
    print("─" * len(head))
    for row in summary[splits[0]]["intervals"]:
        for system in ("ask", *(f"ask-{b}" for b in SYSTEMS[1:])):
            line = f"{row if system == 'ask' else '':<14}{system:<10}"
            for s in splits:
                iv = summary[s]["intervals"][row][system]
                cell = f"{iv['value']:+.3f} [{iv['low']:+.3f}, {iv['high']:+.3f}]"
                if system == "ask":
                    cell = f"{iv['value']:.3f} [{iv['low']:.3f}, {iv['high']:.3f}]"
                else:
                    cell += f" p={iv['p_not_better']:.3f}"
                line += f" │ {cell:<34}"
            print(line)


def print_misses(rows: list[dict[str, Any]], by_id: dict[str, Question]) -> None:
    for r in rows:
        q = by_id[r["id"]]
        why = []
        rank = r["ranks"]["ask"]
        if r["expect"] and rank != 1:
            why.append(f"rank {rank}")
        if not r["expect"] and r["verdict"] != "no_match":
            why.append("should be no_match")
        if r["answer"] == "own_bug" and r["notebook_wrong"]:
            why.append("FALSE ALARM")
        if r["answer"] == "erratum" and not r["erratum_declared"]:
            why.append("erratum not declared")
        if why:
            print(
                f"  {r['split']} {r['id']} [{', '.join(why)}] verdict={r['verdict']} "
                f"{q.raw['question'][:70]!r} -> {r['found']['ask'][:3]} want {r['expect']}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Tune on dev only. Test figures are the ones to report; looking at test misses "
        "to change code or weights is forbidden (it turns test into dev).",
    )
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--filler", type=int, default=DEFAULT_COUNT, help="filler threads")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="filler seed")
    parser.add_argument("--json", type=Path, help="write machine-readable results here")
    parser.add_argument("--verbose", action="store_true", help="print each dev miss")
    parser.add_argument(
        "--show-test-misses",
        action="store_true",
        help="with --verbose/--json, also show test misses: for auditing the data only, "
        "never for tuning",
    )
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached build")
    parser.add_argument(
        "--reuse-latest",
        action="store_true",
        help="while tuning assistant/: reuse the newest cached build even if index/ code "
        "changed since (never for reported figures)",
    )
    parser.add_argument(
        "--links",
        type=Path,
        help="erratum -> report thread pairs (data/source_threads.tsv): the 'with links' run; "
        "without it the corpus carries no recorded link",
    )
    parser.add_argument(
        "--chatter",
        type=Path,
        help="wrap every question in forum chatter from this file (data/chatter/heldout.json: "
        "the robustness run; see wrapping.py)",
    )
    parser.add_argument(
        "--thread-chatter",
        type=Path,
        help="wrap every thread's question post (course and filler) in forum chatter from this "
        "file, as real threads open and close (rebuilds the index; see wrapping.thread)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="write every question as a Markdown post: pasted ones in a code fence, code names "
        "in backticks (see wrapping.py)",
    )
    parser.add_argument(
        "--typos",
        action="store_true",
        help="swap two letters in one long word of four of every question (see wrapping.py)",
    )
    parser.add_argument(
        "--library-frames",
        action="store_true",
        help="put numpy or TensorFlow frames above the final error of every pasted traceback "
        "(see wrapping.py)",
    )
    parser.add_argument(
        "--grader",
        action="store_true",
        help="replace every pasted traceback with the autograder's report of the same failure "
        "(Coursera's 'Code Cell UNQ_C2: Unexpected error (...)'; see wrapping.py)",
    )
    parser.add_argument(
        "--test-utils",
        action="store_true",
        help="report every failing assertion as the courses' test_utils.multiple_test prints it "
        "('Error: Wrong output for variable in position 0.', ' 1  Tests failed', 'AssertionError: "
        "Not all tests were passed for f. Check your equations and avoid using global variables "
        "inside the function.'; see wrapping.py)",
    )
    parser.add_argument(
        "--ipython7",
        action="store_true",
        help="write every IPython 8 traceback as IPython 7 printed it ('<ipython-input-12-…> in "
        "<module>', '~/work/x.py in f(a)'; see wrapping.py)",
    )
    parser.add_argument(
        "--code",
        action="store_true",
        help="paste the skeleton of the function a question names below it (signature, "
        "docstring, template markers; half fenced, half not; see wrapping.py)",
    )
    parser.add_argument(
        "--default-version",
        metavar="V",
        help="give every question that names no notebook version this one, as the notebook "
        "widget sends its version with every ask (a course in its first run: V=1)",
    )
    args = parser.parse_args()

    t_start = time.perf_counter()
    corpus = load_corpus()
    questions = load_questions()
    for problem in (issues := problems(questions, corpus))[:30]:
        print(f"WARN {problem}")
    if len(issues) > 30:
        print(f"WARN ... and {len(issues) - 30} more data problems")
    if args.typos:  # after the data checks too
        questions = [Question(typos(q.raw), q.file) for q in questions]
    if args.default_version:
        version = args.default_version
        questions = [
            Question(
                {**q.raw, "notebook_version": q.raw.get("notebook_version") or version}, q.file
            )
            for q in questions
        ]
    if args.test_utils:
        questions = [Question(test_utils(q.raw), q.file) for q in questions]
    if args.grader:
        questions = [Question(grader(q.raw), q.file) for q in questions]
    if args.ipython7:
        questions = [Question(ipython7(q.raw), q.file) for q in questions]
    if args.library_frames:
        questions = [Question(library_frames(q.raw), q.file) for q in questions]
    if args.markdown:
        questions = [Question(markdown(q.raw), q.file) for q in questions]
    if args.code:  # after --markdown: the function is pasted below the post
        questions = [Question(code(q.raw), q.file) for q in questions]
    if args.chatter:  # after the data checks: they judge the questions as written
        phrases = load_chatter(args.chatter)
        questions = [Question(wrap(q.raw, phrases), q.file) for q in questions]
    filler = generate(corpus, args.filler, args.seed)
    if args.links:
        corpus = with_links(corpus, args.links)
    records = corpus + filler
    if args.thread_chatter:
        thread_phrases = load_chatter(args.thread_chatter)
        records = [thread(r, thread_phrases) for r in records]
    print(f"{len(corpus)} corpus records, {len(filler)} filler threads, {len(questions)} questions")

    data_dir = Path(tempfile.mkdtemp(prefix="checkfirst-eval-"))
    try:
        product = open_product(data_dir)
        key = cache_key(args.filler, args.seed, product.model, args.links, args.thread_chatter)
        vectors = prepare(product, data_dir, records, key, args.rebuild, args.reuse_latest)
        ids = [str(r["external_id"]) for r in records]
        bm25 = BM25(ids, [document_text(r) for r in records])
        dense = Dense(ids, vectors, product.encode)
        errata_ids = {str(r["external_id"]) for r in corpus if r.get("type") == "erratum"}
        splits = ["dev", "test"] if args.split == "both" else [args.split]
        chosen = [q for q in questions if q.split in splits]
        t0 = time.perf_counter()
        rows = evaluate(chosen, product, bm25, dense, errata_ids)
        print(f"ran {len(rows)} questions x 3 systems in {time.perf_counter() - t0:.1f}s")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    by_id = {q.id: q for q in questions}
    summary = {s: summarise([r for r in rows if r["split"] == s], by_id) for s in splits}
    split_counts = {s: counts([q for q in questions if q.split == s], corpus) for s in splits}
    total = counts(questions, corpus)
    print_counts(split_counts, total)
    print_table(summary)
    print_intervals(summary)
    errors = sorted({r["verdict"] for r in rows if r["verdict"].startswith("error:")})
    for error in errors:  # shown for test too: a refusal is about the input, not a tuning hint
        print(f"WARN ask {error}")
    if args.verbose:
        print("\nask misses (rank > 1, wrong no_match, false alarms, errata not declared):")
        shown = [r for r in rows if r["split"] == "dev" or args.show_test_misses]
        print_misses(shown, by_id)
    if args.json:
        visible = [r for r in rows if r["split"] == "dev" or args.show_test_misses]
        args.json.write_text(
            json.dumps(
                {
                    "filler": args.filler,
                    "seed": args.seed,
                    "model": product.model,
                    "counts": {**split_counts, "total": total},
                    "summary": summary,
                    "questions": visible,
                },
                indent=2,
            )
        )
    print(f"\ntotal {time.perf_counter() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
