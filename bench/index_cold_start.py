"""Cold start of a new replica from the database: every vector loaded, nothing encoded.

    .venv/bin/python bench/index_cold_start.py --docs 100000            # SQLite in a temp dir
    .venv/bin/python bench/index_cold_start.py --docs 100000 --postgresql
    .venv/bin/python bench/index_cold_start.py --docs 100000 --postgresql --no-analyze

Writes ``--docs`` threads (title + question) straight into a fresh database, stores one vector
per chunk in ``chunk_vector`` as if another process had embedded it (random unit vectors: only
the timing matters), then times ``index.indexer.rebuild`` (what a server with no saved index
does at start), checks the encoder ran zero times, and times saving and loading the file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--postgresql", action="store_true")
    ap.add_argument("--no-analyze", action="store_true",
                    help="PostgreSQL: leave the tables without planner statistics after seeding "
                         "(the test server runs with autovacuum off; a production one analyzes "
                         "freshly loaded tables within a minute)")  # fmt: skip
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="checkfirst-cold-"))
    os.environ.update({"CHECKFIRST_ENV": "test", "CHECKFIRST_DATA_DIR": str(tmp),
                       "CHECKFIRST_INDEX_ENABLED": "false"})  # fmt: skip
    drop = None
    if args.postgresql:
        from sqlalchemy import create_engine, text

        name = f"checkfirst_cold_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        os.environ["CHECKFIRST_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

        def drop() -> None:
            from core.db import reset_engine

            reset_engine()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        run(args.docs, tmp, analyze=args.postgresql and not args.no_analyze)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the saved index: ~200 MB at 100k
        if drop:
            drop()


def run(n: int, tmp: Path, analyze: bool = False) -> None:
    seed(n)
    if analyze:
        from sqlalchemy import text

        from core.db import get_engine

        with get_engine().connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        print("planner statistics collected (ANALYZE), as autovacuum would")
    measure(tmp)


def seed(n: int) -> None:
    """``n`` threads with one stored vector each, as if another process had embedded them."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from app.indexing import register_loaders
    from app.migrate import upgrade
    from core.clock import utcnow
    from core.db import get_engine
    from forum.models import Course, Post, Thread
    from index.embeddings import ChunkVector, chunk_version
    from index.encoder import get_encoder
    from index.indexer import load_documents
    from index.store import doc_chunks
    from users.models import User

    upgrade()
    register_loaders()
    encoder = get_encoder()
    engine = get_engine()
    print(f"database: {engine.dialect.name}; {n} threads; model {encoder.identity}")
    began = time.perf_counter()
    now = utcnow()
    with Session(engine) as session:
        session.add(User(id=1, username="bench"))
        session.add(Course(id=1, slug="dl", title="DL"))
        session.commit()
        for start in range(1, n + 1, 5000):
            ids = range(start, min(n, start + 4999) + 1)
            session.execute(insert(Thread), [
                {"id": i, "course_id": 1, "author_id": 1, "title": f"Question {i} on lstm_forward",
                 "created_at": now, "last_activity_at": now} for i in ids])  # fmt: skip
            session.execute(insert(Post), [
                {"id": i, "thread_id": i, "author_id": 1, "is_question": True, "created_at": now,
                 "body": f"My a_next differs in step {i}; the forget gate saturates."}
                for i in ids])  # fmt: skip
            docs, _ = load_documents(session, [("thread", i) for i in ids])
            rng = np.random.default_rng(start)
            rows = []
            for d in docs:
                for c, text in enumerate(doc_chunks(d)):
                    v = rng.standard_normal(encoder.dim).astype("<f4")
                    v /= np.linalg.norm(v)
                    rows.append({"model": encoder.identity, "doc_type": "thread",
                                 "doc_id": d.doc_id, "chunk": c, "version": chunk_version(text),
                                 "vector": v.tobytes(), "claimed_at": now})  # fmt: skip
            session.execute(insert(ChunkVector), rows)
            session.commit()
    print(f"written (threads, posts, stored vectors) in {time.perf_counter() - began:.1f} s")


def measure(tmp: Path) -> None:
    from sqlmodel import Session

    from core.db import get_engine
    from index.encoder import get_encoder
    from index.indexer import rebuild
    from index.store import IndexState

    encoder = get_encoder()
    engine = get_engine()
    before = encoder.encoded
    t0, c0 = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        state = rebuild(session, encoder, "flat")
    cold, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"cold start from the database: {len(state.docs)} documents, {state.chunk_count()} "
          f"chunks in {cold:.1f} s (CPU {cpu:.1f} s; {state.chunk_count() / cold:.0f} chunks/s); "
          f"encodings: {encoder.encoded - before}")  # fmt: skip
    path = tmp / "index.npz"
    t0 = time.perf_counter()
    state.save(path)
    saved = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    IndexState.load(path, encoder.identity, encoder.dim, "flat")
    print(f"save {saved:.2f} s; cold start from the saved file {time.perf_counter() - t0:.2f} s "
          f"(CPU {time.process_time() - c0:.2f} s); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
