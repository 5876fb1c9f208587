"""Chunk vectors stored in the database: each chunk is embedded once per model (invariant 1).

A replica that needs the vectors of some chunks first reads the stored ones (same model, same
chunk text). For the rest it *claims* the encoding with an insert-if-absent of a row whose
vector is still NULL; whoever inserted the row encodes and stores the vector, everyone else
waits for it. A claim left by a process that died is taken over after ``CLAIM_SECONDS``. A
rebuild or a cold start therefore loads vectors instead of encoding them.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, LargeBinary, and_, bindparam, delete, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Column, Field, Session, SQLModel, select

from core.clock import utcnow

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.encoder import ChunkEncoder

log = logging.getLogger(__name__)
# A claim older than this is from a process that died mid-encoding: another may take it over.
CLAIM_SECONDS = 120.0
POLL_SECONDS = 0.05
ChunkKey = tuple[str, int, int]  # (doc_type, doc_id, chunk number)
# Stored vectors by (chunk, chunk_version of its text).
StoredVectors = dict[tuple[ChunkKey, str], "NDArray[np.float32]"]


class ChunkVector(SQLModel, table=True):
    """One chunk's vector under one model; ``vector`` is NULL while its claimer encodes it."""

    __tablename__ = "chunk_vector"
    model: str = Field(primary_key=True, max_length=200)  # Encoder.identity, "model@backend"
    doc_type: str = Field(primary_key=True, max_length=20)
    doc_id: int = Field(primary_key=True)
    chunk: int = Field(primary_key=True)
    version: str = Field(primary_key=True, max_length=64)  # chunk_version(text)
    vector: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    claimed_at: datetime = Field(default_factory=utcnow)


def chunk_version(text: str) -> str:
    """The content version of a chunk: the digest of exactly the text that is embedded."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Want:
    key: ChunkKey
    version: str
    text: str


class SharedVectors:
    """Vectors for chunks: stored ones loaded, missing ones encoded by exactly one process."""

    def __init__(self, engine: Engine, encoder: ChunkEncoder) -> None:
        self.engine = engine
        self.encoder = encoder
        self.model = encoder.identity
        self._offered: StoredVectors = {}

    def stored(self, docs: Sequence[tuple[str, int]]) -> StoredVectors:
        """Every stored vector (each chunk, each version) of these documents, without knowing
        their texts: a rebuild reads them ahead, beside the documents themselves, and
        ``offer``s them to ``vectors``, which takes the versions of the current texts."""
        by_type: dict[str, set[int]] = {}
        for doc_type, doc_id in docs:
            by_type.setdefault(doc_type, set()).add(doc_id)
        return self._read(by_type, None)

    def offer(self, stored: StoredVectors) -> None:
        """Vectors ``vectors`` uses before asking the database (replaces the last offer)."""
        self._offered = stored

    def vectors(self, keys: Sequence[ChunkKey], texts: Sequence[str]) -> NDArray[np.float32]:
        """An (n, dim) array: the vector of each ``texts[i]`` as chunk ``keys[i]``."""
        pairs = [(k, chunk_version(t)) for k, t in zip(keys, texts, strict=True)]
        offered = self._offered
        found: dict[tuple[ChunkKey, str], NDArray[np.float32]] = {
            pair: offered[pair] for pair in pairs if pair in offered
        }
        # A rebuild finds them all offered: no _Want per chunk then.
        pending = [_Want(k, v, t) for (k, v), t in zip(pairs, texts, strict=True)
                   if (k, v) not in found]  # fmt: skip
        deadline = time.monotonic() + CLAIM_SECONDS * 2
        while pending:
            found.update(self._load(pending))
            pending = [w for w in pending if (w.key, w.version) not in found]
            if not pending:
                break
            mine = self._claim(pending)
            if mine:
                found.update(self._encode_and_store(mine))
                pending = [w for w in pending if (w.key, w.version) not in found]
            elif time.monotonic() > deadline:  # cannot happen unless the database misbehaves
                raise RuntimeError(f"waited too long for {len(pending)} chunk vectors")
            else:
                time.sleep(POLL_SECONDS)  # another process is encoding them
        out = np.zeros((len(pairs), self.encoder.dim), np.float32)
        if pairs:
            np.stack([found[pair] for pair in pairs], out=out, casting="same_kind")
        return out

    def _load(self, wants: list[_Want]) -> StoredVectors:
        by_type: dict[str, set[int]] = {}
        for w in wants:
            by_type.setdefault(w.key[0], set()).add(w.key[1])
        return self._read(by_type, {(w.key, w.version) for w in wants})

    def _read(
        self, by_type: dict[str, set[int]], wanted: set[tuple[ChunkKey, str]] | None
    ) -> StoredVectors:
        """Stored vectors of documents ``by_type``: those ``wanted``, or all (None)."""
        out: dict[tuple[ChunkKey, str], NDArray[np.float32]] = {}
        table = ChunkVector.__table__  # type: ignore[attr-defined]
        size = 4 * self.encoder.dim
        with self.engine.connect() as conn:  # plain rows, not ORM objects: a cold start reads 100k
            for doc_type, ids in by_type.items():
                rows = conn.execute(
                    select(table.c.doc_id, table.c.chunk, table.c.version, table.c.vector).where(
                        table.c.model == self.model,
                        table.c.doc_type == doc_type,
                        _doc_ids(table.c.doc_id, ids),
                        table.c.vector.is_not(None),
                    )
                ).all()  # one fetch: iterating the result fetched row by row (1 s at 100k)
                pairs = []
                blobs = []
                for doc_id, chunk, version, vector in rows:
                    pair = ((doc_type, doc_id, chunk), version)
                    if (wanted is None or pair in wanted) and len(vector) == size:
                        pairs.append(pair)
                        blobs.append(vector)
                # One buffer, one conversion: per-row frombuffer calls cost more than the read.
                matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(-1, self.encoder.dim)
                out.update(zip(pairs, matrix.astype(np.float32), strict=True))
        return out

    def _claim(self, wants: list[_Want]) -> list[_Want]:
        """Insert claim rows; returns the chunks this process now has to encode."""
        # Every process inserts in key order, so two overlapping claims cannot deadlock.
        wants = sorted(wants, key=_pk)
        now = utcnow()
        rows = [
            {"model": self.model, "doc_type": w.key[0], "doc_id": w.key[1], "chunk": w.key[2],
             "version": w.version, "vector": None, "claimed_at": now}
            for w in wants
        ]  # fmt: skip
        table = ChunkVector.__table__  # type: ignore[attr-defined]
        pk = (table.c.doc_type, table.c.doc_id, table.c.chunk, table.c.version)
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        stale = now - timedelta(seconds=CLAIM_SECONDS)
        with Session(self.engine) as session:
            inserted = session.execute(
                insert(table).values(rows).on_conflict_do_nothing().returning(*pk)
            ).all()
            taken: Sequence[Any] = []
            won = {tuple(r) for r in inserted}
            rest = [w for w in wants if _pk(w) not in won]
            if rest:  # claims left by a process that died: take them over (one winner per row)
                taken = session.execute(
                    update(table)
                    .where(
                        table.c.model == self.model,
                        table.c.vector.is_(None),
                        table.c.claimed_at < stale,
                        or_(*(and_(*(c == v for c, v in zip(pk, _pk(w), strict=True)))
                              for w in rest)),
                    )
                    .values(claimed_at=now)
                    .returning(*pk)
                ).all()  # fmt: skip
            session.commit()
        claimed = {tuple(r) for r in [*inserted, *taken]}
        return [w for w in wants if _pk(w) in claimed]

    def _encode_and_store(
        self, wants: list[_Want]
    ) -> dict[tuple[ChunkKey, str], NDArray[np.float32]]:
        vectors = self.encoder.encode([w.text for w in wants])
        table = ChunkVector.__table__  # type: ignore[attr-defined]
        c = table.c
        same_chunk = (
            (c.model == self.model) & (c.doc_type == bindparam("k_type"))
            & (c.doc_id == bindparam("k_id")) & (c.chunk == bindparam("k_chunk"))
        )  # fmt: skip
        keys = [
            {"k_type": w.key[0], "k_id": w.key[1], "k_chunk": w.key[2], "k_version": w.version}
            for w in wants
        ]
        # One statement each, run for every chunk (executemany): a statement built per chunk
        # held the indexing thread's GIL and the SQLite write lock for a few hundred
        # microseconds a chunk, which the queries of a serving process waited on.
        with Session(self.engine) as session:
            session.execute(
                update(table)
                .where(same_chunk, c.version == bindparam("k_version"))
                .values(vector=bindparam("k_vector")),
                [{**k, "k_vector": np.asarray(v, dtype="<f4").tobytes()}
                 for k, v in zip(keys, vectors, strict=True)],
            )  # fmt: skip
            session.commit()
        # Older versions of these chunks are never needed again (loaders read the current
        # text). Deleted in a transaction of their own, holding no other row, so that two
        # replicas storing two versions of one chunk cannot deadlock.
        with Session(self.engine) as session:
            session.execute(
                delete(table).where(
                    same_chunk, c.version != bindparam("k_version"), c.vector.is_not(None)
                ),
                keys,
            )
            session.commit()
        return {(w.key, w.version): v for w, v in zip(wants, vectors, strict=True)}


def _doc_ids(column: Any, ids: set[int]) -> Any:
    """``column`` among ``ids``: a range when they are dense (a rebuild's batch of consecutive
    documents), else an IN list. The range is always an index range scan on the key; PostgreSQL
    planned the 512-id IN list of a cold start as a scan of the model's every row per batch
    when its statistics were missing (361 ms instead of 0.9 ms a batch at 100k chunks). Rows
    of documents in the range but not asked for are dropped by the caller."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return column.between(low, high)
    return column.in_(sorted(ids))


def _pk(w: _Want) -> tuple[str, int, int, str]:
    return (w.key[0], w.key[1], w.key[2], w.version)


@dataclass(frozen=True)
class Garbage:
    """What ``collect_garbage`` deleted."""

    other_models: int  # vectors of models no server uses any more
    gone_documents: int  # vectors of documents no longer searchable (deleted, hidden)
    gone_chunks: int  # vectors of chunks past a document's end (its text got shorter)


def collect_garbage(
    engine: Engine, keep_models: Sequence[str], chunk_counts: Callable[[], ChunkCounts]
) -> Garbage:
    """Delete stored vectors nothing will load again: other models than ``keep_models``, and
    chunks of documents that ``chunk_counts()`` ((doc_type, doc_id) -> chunk count of every
    searchable document) does not list, or lists as shorter. Older versions of a chunk are
    already deleted when its new vector is stored.

    The stored documents are read first and ``chunk_counts()`` after: a document created in
    between has its vectors stored after that first read, so they are never taken for garbage.
    """
    table = ChunkVector.__table__  # type: ignore[attr-defined]
    stored = stored_documents(engine, keep_models)
    chunks = chunk_counts()
    with Session(engine) as session:
        models = session.execute(delete(table).where(table.c.model.not_in(list(keep_models))))
        session.commit()
    gone_docs: dict[str, list[int]] = {}
    shrunk: list[tuple[str, int, int]] = []
    for doc_type, doc_id, top in stored:
        n = chunks.get((doc_type, doc_id))
        if n is None:
            gone_docs.setdefault(doc_type, []).append(doc_id)
        elif top >= n:
            shrunk.append((doc_type, doc_id, n))
    deleted_docs = deleted_chunks = 0
    with Session(engine) as session:
        for doc_type, ids in gone_docs.items():
            for start in range(0, len(ids), 500):
                result = session.execute(
                    delete(table).where(
                        table.c.doc_type == doc_type, table.c.doc_id.in_(ids[start : start + 500])
                    )
                )
                deleted_docs += _rowcount(result)
        for doc_type, doc_id, n in shrunk:
            result = session.execute(
                delete(table).where(
                    table.c.doc_type == doc_type, table.c.doc_id == doc_id, table.c.chunk >= n
                )
            )
            deleted_chunks += _rowcount(result)
        session.commit()
    return Garbage(_rowcount(models), deleted_docs, deleted_chunks)


ChunkCounts = dict[tuple[str, int], int]


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def stored_documents(engine: Engine, models: Sequence[str]) -> list[tuple[str, int, int]]:
    """(doc_type, doc_id, highest chunk number) of every document with stored vectors."""
    table = ChunkVector.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.doc_type, table.c.doc_id, func.max(table.c.chunk))
            .where(table.c.model.in_(list(models)))
            .group_by(table.c.doc_type, table.c.doc_id)
        ).all()
    return [(str(t), int(i), int(c)) for t, i, c in rows]
