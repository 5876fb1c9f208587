"""Retrieval evaluation: recall@1/3/10 and MRR for lexical-only, dense-only, hybrid and ``ask``.

Imports ``bench/eval/corpus.jsonl`` into a fresh temporary SQLite database with the project's
importer (the same code as ``checkfirst import``), builds the index from it, then runs every
question in ``bench/eval/questions.jsonl``. A question counts as found at rank r when the r-th
distinct item returned resolves it (a reply counts for its thread; a duplicate report for
itself). Questions with no expected items measure the ``no_match`` verdict instead.

    make eval        # or: .venv/bin/python bench/eval/run.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def _setup_environment(data_dir: str) -> None:
    os.environ.update(
        {
            "CHECKFIRST_ENV": "test",
            "CHECKFIRST_DATA_DIR": data_dir,
            "CHECKFIRST_DATABASE_URL": "",
            "CHECKFIRST_INDEX_ENABLED": "false",
            "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
            "CHECKFIRST_LLM_BASE_URL": "",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )


def import_corpus(path: Path) -> Any:
    from core.importer import import_lines

    with open(path, encoding="utf-8") as fh:
        return import_lines(fh)  # the one import call (same code as `checkfirst import`)


def _external_ids(session: Any, items: list[tuple[str, int]]) -> list[str]:
    """Distinct external ids in rank order; a reply stands for its thread."""
    from errata.models import Erratum
    from forum.models import Post, Thread

    out: list[str] = []
    for kind, item_id in items:
        ext: str | None = None
        if kind == "erratum":
            row = session.get(Erratum, item_id)
            ext = row.external_id if row else None
        elif kind == "thread":
            row = session.get(Thread, item_id)
            ext = row.external_id if row else None
        elif kind == "post":
            post = session.get(Post, item_id)
            thread = session.get(Thread, post.thread_id) if post else None
            ext = thread.external_id if thread else None
        if ext and ext not in out:
            out.append(ext)
    return out


def _rank(found: list[str], expect: list[str]) -> int | None:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus.jsonl")
    parser.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
    parser.add_argument("--verbose", action="store_true", help="print each miss")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="checkfirst-eval-")
    _setup_environment(tmp)
    from sqlmodel import Session

    from assistant import service
    from assistant.parsing import parse
    from assistant.schemas import AskRequest
    from core.db import get_engine
    from core.indexing import register_loaders
    from core.migrate import upgrade
    from index.runtime import get_runtime

    upgrade()
    t0 = time.perf_counter()
    report = import_corpus(args.corpus)
    print(
        f"imported {args.corpus.name}: {report.created} created, {len(report.rejected)} "
        f"rejected in {time.perf_counter() - t0:.1f}s"
    )
    for line, reason in report.rejected:
        print(f"  line {line}: {reason}")
    register_loaders()
    t0 = time.perf_counter()
    state = get_runtime().rebuild_now()
    print(f"indexed {state.chunk_count()} chunks in {time.perf_counter() - t0:.1f}s")

    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    answerable = [q for q in questions if q["expect"]]
    unanswerable = [q for q in questions if not q["expect"]]
    ranks: dict[str, list[int | None]] = {m: [] for m in ("lexical", "dense", "hybrid", "ask")}
    no_match_right = 0
    answered_when_should = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        for q in questions:
            req = AskRequest(
                question=q["question"], course=q.get("course"), assignment=q.get("assignment"),
                notebook_version=q.get("notebook_version"), output=q.get("output"),
                expected=q.get("expected"),
            )  # fmt: skip
            scope = service._scope(session, req)
            parsed = parse(req.question, traceback=req.traceback, output=req.output)
            query = service.build_query(parsed, req, scope)
            for mode in ("lexical", "dense", "hybrid"):
                hits = service.search(session, query, mode=mode)
                found = _external_ids(session, [(h.doc_type, h.doc_id) for h in hits])
                if q["expect"]:
                    ranks[mode].append(_rank(found, q["expect"]))
            resp = service.ask(session, request=req, user=None, use_llm=False, log=False)
            found = _external_ids(session, [(s.type, s.id) for s in resp.sources])
            if q["expect"]:
                r = _rank(found, q["expect"])
                ranks["ask"].append(r)
                answered_when_should += resp.verdict != "no_match"
                if args.verbose and (r is None or r > 1):
                    print(f"  miss@1 [{resp.verdict}] {q['question'][:70]!r} -> {found[:3]} "
                          f"want {q['expect']}")  # fmt: skip
            else:
                no_match_right += resp.verdict == "no_match"
                if args.verbose and resp.verdict != "no_match":
                    print(f"  should be no_match: {q['question'][:70]!r} -> {found[:3]}")

    print(f"\n{len(answerable)} answerable questions, {len(unanswerable)} with no answer\n")
    print(f"{'mode':<9}{'R@1':>7}{'R@3':>7}{'R@10':>7}{'MRR':>7}")
    for mode, rs in ranks.items():
        m = metrics(rs)
        label = "ask" if mode == "ask" else mode
        print(f"{label:<9}{m['R@1']:>7.3f}{m['R@3']:>7.3f}{m['R@10']:>7.3f}{m['MRR']:>7.3f}")
    print(
        f"\nask verdicts: answered {answered_when_should}/{len(answerable)} answerable; "
        f"no_match {no_match_right}/{len(unanswerable)} unanswerable"
    )
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    finally:
        if (
            "CHECKFIRST_DATA_DIR" in os.environ
            and "checkfirst-eval-" in os.environ["CHECKFIRST_DATA_DIR"]
        ):
            import shutil

            shutil.rmtree(os.environ["CHECKFIRST_DATA_DIR"], ignore_errors=True)
