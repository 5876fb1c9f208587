"""Keeps an ``IndexState`` in step with the database: tail the outbox, rebuild, check drift.

A document's loader is the truth: an upsert or delete event only says "look again"; a document
the loader does not return is removed (deleted, hidden, gone). That makes applying an event twice
harmless, which ``Tailer`` relies on: on PostgreSQL it reads again every event whose transaction
might still have been in flight, rather than ever skipping one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, func
from sqlmodel import Session, col, select

from index.documents import Document, loaders
from index.embeddings import SharedVectors, StoredVectors
from index.encoder import ChunkEncoder
from index.events import IndexEvent
from index.store import CorruptIndex, DocKey, IndexState, content_version, key_of

log = logging.getLogger(__name__)
EVENT_BATCH = 256
# Documents loaded, embedded and applied at a time by the tailer; between two slices it steps
# aside for queries in flight (``Tailer.pause``, invariant 7).
DOC_BATCH = 32
# A rebuild loads documents (and, mostly, stored vectors) in larger batches: fewer queries.
REBUILD_BATCH = 512
# A rebuild saves a resumable checkpoint after at least CHECKPOINT_DOCS documents and
# CHECKPOINT_SECONDS, and spends at most about a tenth of its time saving: each save writes the
# whole partial index, so a fixed every-512-documents save made a 100k rebuild quadratic.
CHECKPOINT_DOCS = 512
CHECKPOINT_SECONDS = 30.0
CHECKPOINT_WAIT_PER_SAVE_SECOND = 9.0  # after a save taking t seconds, work 9t before the next


class StaleIndex(Exception):
    """The index reflects events the database does not have (restored or recreated database)."""


def max_seq(session: Session) -> int:
    return int(session.exec(select(func.max(IndexEvent.seq))).one() or 0)


def event_stamp(session: Session, seq: int) -> str:
    """When event ``seq`` was written: saved with the index so that a file made against another
    (recreated or restored) database is recognised as stale even if that one has more events."""
    event = session.get(IndexEvent, seq) if seq else None
    return event.created_at.isoformat() if event is not None else ""


def check_stamp(session: Session, state: IndexState) -> None:
    if state.seq and state.stamp != event_stamp(session, state.seq):
        raise StaleIndex(f"index event {state.seq} is not the one the saved index reflects")


def searchable_keys(session: Session) -> set[DocKey]:
    """Every (type, id) the registered loaders say should be searchable."""
    keys: set[DocKey] = set()
    for doc_type, (_, lister) in loaders().items():
        keys.update((doc_type, i) for i in lister(session))
    return keys


def load_documents(session: Session, keys: Iterable[DocKey]) -> tuple[list[Document], list[DocKey]]:
    """The current documents for ``keys``, and the keys that are no longer searchable."""
    by_type: dict[str, list[int]] = {}
    for doc_type, doc_id in keys:
        by_type.setdefault(doc_type, []).append(doc_id)
    registered = loaders()
    docs: list[Document] = []
    gone: list[DocKey] = []
    for doc_type, ids in by_type.items():
        ids = sorted(set(ids))
        if doc_type not in registered:
            gone.extend((doc_type, i) for i in ids)
            continue
        found = registered[doc_type][0](session, ids)
        docs.extend(found)
        present = {d.doc_id for d in found}
        gone.extend((doc_type, i) for i in ids if i not in present)
    return docs, gone


PauseFn = Callable[[], object]


def shared_vectors(session: Session, encoder: ChunkEncoder) -> SharedVectors:
    """Vectors through the database: each chunk encoded once per model by one process."""
    return SharedVectors(session.get_bind().engine, encoder)


def refresh(
    session: Session, state: IndexState, encoder: ChunkEncoder, keys: Iterable[DocKey],
    pause: PauseFn | None = None,
) -> None:  # fmt: skip
    """Reload ``keys`` (and documents hanging off them, e.g. a thread's replies) into ``state``;
    ``pause`` is called between slices (the background thread steps aside for queries there)."""
    keys = list(dict.fromkeys(keys))
    with state.lock.read():
        keys += [k for k in state.children_of(keys) if k not in keys]
    shared = shared_vectors(session, encoder)
    for start in range(0, len(keys), DOC_BATCH):
        if pause is not None:
            pause()
        docs, gone = load_documents(session, keys[start : start + DOC_BATCH])
        state.apply(state.prepare(docs, encoder, shared), gone, pause=pause)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def pg_snapshot(session: Session) -> str:
    """PostgreSQL's current snapshot as "xmin:xmax:xip,...": which transactions are in flight."""
    return str(session.exec(select(func.pg_current_snapshot().cast(String))).one())


@dataclass(frozen=True)
class _Snapshot:
    xmin: int
    xmax: int
    xip: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> _Snapshot:
        xmin, xmax, xip = text.split(":")
        return cls(int(xmin), int(xmax), tuple(int(x) for x in xip.split(",") if x))


@dataclass
class Tailer:
    """Applies outbox events the index has not seen yet, exactly (invariant 2, X5).

    SQLite has one writer at a time, so events commit in ``seq`` order and ``state.seq`` is an
    exact position. PostgreSQL commits out of order (seq 10 may commit after seq 11), so there the
    position is the snapshot the last read was taken in (``state.snapshot``): every event whose
    transaction was in flight then (in its xip list, or starting at or after its xmax) is read
    again until it is seen committed. No timeout ever gives up on a transaction.
    """

    # Called between slices of work: the server's background thread steps aside for queries.
    pause: PauseFn | None = None

    def step(self, session: Session, state: IndexState, encoder: ChunkEncoder) -> int:
        """Apply the new events; returns how many were applied."""
        if is_postgres(session) and state.snapshot:
            return self._step_snapshot(session, state, encoder)
        events = session.exec(
            select(IndexEvent)
            .where(col(IndexEvent.seq) > state.seq)
            .order_by(col(IndexEvent.seq))
            .limit(EVENT_BATCH)
        ).all()
        if not events:
            if max_seq(session) < state.seq:
                raise StaleIndex(f"index is at event {state.seq}, the database at an earlier one")
            if is_postgres(session):  # a state from before snapshots: switch to them now
                snapshot = pg_snapshot(session)
                with state.lock.write():
                    state.snapshot = snapshot
            return 0
        refresh(session, state, encoder, [(e.doc_type, e.doc_id) for e in events], self.pause)
        with state.lock.write():
            state.seq = max(state.seq, *(e.seq or 0 for e in events))
        return len(events)

    def _step_snapshot(self, session: Session, state: IndexState, encoder: ChunkEncoder) -> int:
        prev = _Snapshot.parse(state.snapshot)
        # One repeatable-read transaction: the events read are exactly those its snapshot shows.
        engine = session.get_bind().engine
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with conn, conn.begin():
            now = str(conn.execute(select(func.pg_current_snapshot().cast(String))).scalar_one())
            txid = col(IndexEvent.txid)
            rows = conn.execute(
                select(IndexEvent.seq, IndexEvent.doc_type, IndexEvent.doc_id)
                .where((txid >= prev.xmax) | txid.in_(prev.xip))
                .order_by(col(IndexEvent.seq))
            ).all()
            top = int(conn.execute(select(func.max(IndexEvent.seq))).scalar_one() or 0)
        if top < state.seq:
            raise StaleIndex(f"index is at event {state.seq}, the database at an earlier one")
        if _Snapshot.parse(now).xmax < prev.xmin:  # 64-bit ids never go back in one cluster
            raise StaleIndex("the index was made against another PostgreSQL cluster")
        for start in range(0, len(rows), EVENT_BATCH):
            batch = rows[start : start + EVENT_BATCH]
            refresh(session, state, encoder, [(r.doc_type, r.doc_id) for r in batch], self.pause)
        with state.lock.write():
            state.snapshot = now
            state.seq = max([state.seq, *(r.seq for r in rows)])
        return len(rows)

    def catch_up(self, session: Session, state: IndexState, encoder: ChunkEncoder) -> int:
        """Apply every pending event (for start-up, the CLI and callers without a thread)."""
        total = 0
        while True:
            applied = self.step(session, state, encoder)
            total += applied
            if not applied:
                return total


ProgressFn = Callable[[int, int], None]
_Batch = tuple[list[DocKey], list[Document], list[DocKey], StoredVectors]


def _read_ahead(session: Session, todo: list[DocKey], shared: SharedVectors) -> Iterator[_Batch]:
    """``todo`` in batches of REBUILD_BATCH: each batch's documents, the keys no longer
    searchable and the batch's stored vectors, read one batch ahead on a second connection, so
    the database works (and psycopg waits, without the GIL) while this thread builds the last
    batch. A cold start from PostgreSQL was mostly waiting on these reads."""
    engine = session.get_bind().engine

    def read(keys: list[DocKey]) -> tuple[list[Document], list[DocKey]]:
        with Session(engine) as own:
            return load_documents(own, keys)

    Reads = tuple[list[DocKey], Future[tuple[list[Document], list[DocKey]]], Future[StoredVectors]]
    # Documents and vectors on two connections at once: neither query needs the other.
    with ThreadPoolExecutor(2, thread_name_prefix="index-read-ahead") as pool:

        def submit(start: int) -> Reads | None:
            if start >= len(todo):
                return None
            keys = todo[start : start + REBUILD_BATCH]
            return keys, pool.submit(read, keys), pool.submit(shared.stored, keys)

        ahead = submit(0)
        try:
            for start in range(0, len(todo), REBUILD_BATCH):
                assert ahead is not None
                keys, docs, stored = ahead
                ahead = submit(start + REBUILD_BATCH)
                yield keys, *docs.result(), stored.result()
        finally:
            for future in ahead[1:] if ahead is not None else ():
                future.cancel()


def rebuild(
    session: Session,
    encoder: ChunkEncoder,
    kind: str,
    *,
    checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
) -> IndexState:
    """A fresh index from the database: every searchable document, then the events since.

    With ``checkpoint``, progress is saved there every few hundred documents and a later call
    resumes from it (the partial index knows which documents it holds and which event it
    started at), so an interrupted rebuild does not start over. The index is returned only
    when complete: a half-built one is never searched (it would answer "no match" wrongly).
    """
    state: IndexState | None = None
    if checkpoint is not None and checkpoint.exists():
        try:
            state = IndexState.load(checkpoint, encoder.identity, encoder.dim, kind)
            check_stamp(session, state)
            log.info("resuming index rebuild: %d documents already done", len(state.docs))
        except (CorruptIndex, StaleIndex, OSError) as exc:
            state = None
            log.warning("ignoring unusable rebuild checkpoint: %s", exc)
    if state is None or max_seq(session) < state.seq:
        state = IndexState(encoder.identity, encoder.dim, kind)
        # The position is taken before any document is read: whatever commits later (even with
        # a lower seq, on PostgreSQL) is applied by the catch-up at the end.
        if is_postgres(session):
            state.snapshot = pg_snapshot(session)
        state.seq = max_seq(session)
    todo = sorted(searchable_keys(session) - state.doc_keys())
    shared = shared_vectors(session, encoder)  # stored vectors are loaded, not encoded again
    total = len(todo) + len(state.docs)
    done = len(state.docs)
    if progress:
        progress(done, total)
    since_checkpoint = 0
    next_checkpoint = time.monotonic() + CHECKPOINT_SECONDS
    try:
        for batch, docs, gone, stored in _read_ahead(session, todo, shared):
            shared.offer(stored)
            # Nothing searches a rebuild until it is done: compact once at the end.
            state.apply(state.prepare(docs, encoder, shared, lexical=False), gone, compact=False)
            done += len(batch)
            since_checkpoint += len(batch)
            due = since_checkpoint >= CHECKPOINT_DOCS and time.monotonic() >= next_checkpoint
            if checkpoint is not None and due:
                began = time.monotonic()
                state.stamp = event_stamp(session, state.seq)
                state.save(checkpoint)
                since_checkpoint = 0
                cost = time.monotonic() - began
                next_checkpoint = time.monotonic() + max(
                    CHECKPOINT_SECONDS, CHECKPOINT_WAIT_PER_SAVE_SECOND * cost
                )
            if progress:
                progress(done, total)  # may raise to stop (Ctrl-C, server shutdown)
    except BaseException:
        if checkpoint is not None and since_checkpoint:
            state.stamp = event_stamp(session, state.seq)
            state.save(checkpoint)  # the next rebuild resumes from here
        raise
    Tailer().catch_up(session, state, encoder)
    state.compact()
    state.stamp = event_stamp(session, state.seq)
    return state


@dataclass(frozen=True)
class Drift:
    missing: list[DocKey]  # searchable in the database, absent from the index
    extra: list[DocKey]  # in the index, not searchable in the database
    stale: list[DocKey]  # in both, but the index holds another version (a missed edit)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra and not self.stale

    def keys(self) -> list[DocKey]:
        return [*self.missing, *self.extra, *self.stale]


def check(session: Session, state: IndexState) -> Drift:
    """Compare the index with the searchable rows by id and content version (invariant 2)."""
    expected = searchable_keys(session)
    with state.lock.read():
        versions = state.docs.versions()  # read from the digest column, no entry per document
    stale: list[DocKey] = []
    both = sorted(expected & versions.keys())
    for start in range(0, len(both), EVENT_BATCH):
        docs, _ = load_documents(session, both[start : start + EVENT_BATCH])
        stale.extend(key_of(d) for d in docs if versions[key_of(d)] != content_version(d))
    return Drift(
        missing=sorted(expected - versions.keys()),
        extra=sorted(versions.keys() - expected),
        stale=sorted(stale),
    )


def repair(session: Session, state: IndexState, encoder: ChunkEncoder, drift: Drift) -> None:
    """Reload every drifted document from the database (only changed chunks are encoded)."""
    refresh(session, state, encoder, drift.keys())
