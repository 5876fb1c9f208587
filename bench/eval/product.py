"""The eval's only door into the product: every project import is in ``open_product``.

When modules move, this one function is what to fix; the rest of the harness sees plain
callables over JSON-shaped records and external ids.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Product:
    # The embedding model the index and the dense baseline use (part of the cache key).
    model: str
    # Import records, build the index from scratch; returns (created, rejected lines, chunks).
    build: Callable[[list[dict[str, Any]]], tuple[int, list[tuple[int, str]], int]]
    # Open the index saved in the data dir (from the cache); returns its chunk count.
    load: Callable[[], int]
    # One question -> (verdict, distinct external ids of the cited sources in rank order, the
    # confirmed errata the answer presents as the learner's problem: cited without a "possibly
    # related" or "fixed in your version" label).
    ask: Callable[[dict[str, Any]], tuple[str, list[str], list[str]]]
    # The project's encoder: texts -> (n, dim) unit vectors.
    encode: Callable[[list[str]], np.ndarray]
    # One question -> the re-ranker's candidates (fitting): [{ext, features}], errata also with
    # status, eligible (assistant.declare's hard rules), declare (its rank-free features),
    # echo ({thread ext: how much of the erratum that thread says}) and link ({thread ext: the
    # strength of the thread-erratum link, assistant.threadlinks}).
    candidates: Callable[[dict[str, Any]], list[dict[str, Any]]]
    # How far down the ranking the declare model looks for an erratum (its ``within``).
    declare_within: int


def open_product(data_dir: Path) -> Product:
    """Point the project at ``data_dir`` (SQLite + index files) and return its entry points."""
    os.environ.update(
        {
            "CHECKFIRST_ENV": "test",
            "CHECKFIRST_DATA_DIR": str(data_dir),
            "CHECKFIRST_DATABASE_URL": "",
            "CHECKFIRST_INDEX_ENABLED": "false",
            "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
            "CHECKFIRST_LLM_BASE_URL": "",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sqlmodel import Session

    from app.importer import import_lines
    from app.indexing import register_loaders
    from app.migrate import upgrade
    from assistant import declare, service
    from assistant.intake import validate
    from assistant.ranking import weights
    from assistant.schemas import AskRequest
    from assistant.threadlinks import Linker
    from core.db import get_engine
    from core.settings import get_settings
    from errata.models import Erratum
    from forum.models import Post, Thread
    from index.encoder import Encoder, get_encoder
    from index.runtime import get_runtime

    settings = get_settings()
    session: Session | None = None
    confirmed_statuses = {str(s.value) for s in declare.CONFIRMED}

    def _session() -> Session:
        nonlocal session
        if session is None:
            session = Session(get_engine(), expire_on_commit=False)
        return session

    def build(records: list[dict[str, Any]]) -> tuple[int, list[tuple[int, str]], int]:
        upgrade()
        report = import_lines(json.dumps(r, ensure_ascii=False) for r in records)
        register_loaders()
        state = get_runtime().rebuild_now()
        return report.created, list(report.rejected), state.chunk_count()

    def load() -> int:
        register_loaders()
        return get_runtime().state().chunk_count()

    def external_id(kind: str, item_id: int) -> str | None:
        s = _session()
        if kind == "erratum":
            erratum = s.get(Erratum, item_id)
            return erratum.external_id if erratum else None
        if kind == "post":  # a reply stands for its thread
            post = s.get(Post, item_id)
            item_id = post.thread_id if post else -1
        thread = s.get(Thread, item_id)
        return thread.external_id if thread else None

    def _request(q: dict[str, Any]) -> AskRequest:
        return AskRequest(
            question=q["question"], course=q.get("course"), assignment=q.get("assignment"),
            notebook_version=q.get("notebook_version"), traceback=q.get("traceback"),
            output=q.get("output"), expected=q.get("expected"),
        )  # fmt: skip

    def candidates(q: dict[str, Any]) -> list[dict[str, Any]]:
        request = validate(_request(q))
        cands, evidence, _parsed, _scope = service.candidates(_session(), request)
        out = []
        threads = [(external_id("thread", t.item_id), t) for t in cands if t.erratum is None]
        linker = Linker(cands)
        for c in cands:
            kind = "erratum" if c.erratum is not None else "thread"
            row: dict[str, Any] = {"ext": external_id(kind, c.item_id), "features": c.features}
            if c.erratum is not None:
                row["status"] = str(c.erratum.status)
                row["eligible"] = declare.eligible(c, evidence)
                if row["eligible"]:
                    row["declare"] = declare.base(c, evidence)
                    row["echo"] = {ext: declare.echo(c, t) for ext, t in threads}
                    row["link"] = {ext: linker.strength(c, t) for ext, t in threads}
            out.append(row)
        return out

    def ask(q: dict[str, Any]) -> tuple[str, list[str], list[str]]:
        request = _request(q)
        resp = service.ask(_session(), request=request, user=None, use_llm=False, log=False)
        found: list[str] = []
        stated: list[str] = []
        for source in resp.sources:
            ext = external_id(str(source.type), source.id)
            if ext and ext not in found:
                found.append(ext)
            if (
                ext
                and source.type == "erratum"
                and source.status in confirmed_statuses
                and not {"possibly related", "fixed in your version"} & set(source.labels)
            ):
                stated.append(ext)
        return str(resp.verdict), found, stated

    def encode(texts: list[str]) -> np.ndarray:
        return get_encoder().encode(texts)

    identity = Encoder.identity_of(settings.embedding_model, settings.embedding_backend)
    return Product(
        model=identity, build=build, load=load, ask=ask, encode=encode, candidates=candidates,
        declare_within=weights().declare.within,
    )  # fmt: skip
