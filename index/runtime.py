"""The process's index: loaded (or rebuilt) once, kept current by a background thread.

``get_runtime()`` is the accessor every caller uses. With ``settings.index_enabled`` the app's
lifespan calls ``start()`` (a daemon thread that loads the saved index, catches up from the
outbox and then polls it); without it, nothing runs in the background and each search first
applies pending events in the caller's thread, so tests and the CLI read their own writes.

Until the thread has loaded (or rebuilt) the index and caught up, searches raise
``ServiceUnavailable`` (503 with Retry-After) and ``/readyz`` says why: a warming replica never
answers "no match" (invariant 2, X6).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

from core.errors import ServiceUnavailable
from core.settings import Settings, get_settings
from index.background import BackgroundEncoder, foreground
from index.encoder import ChunkEncoder, Encoder, get_encoder
from index.indexer import StaleIndex, Tailer, check_stamp, event_stamp, rebuild
from index.shared import LeaderClient, LeaderLock, LeaderServer, query_from_json, socket_path
from index.store import CorruptIndex, IndexState
from index.types import Hit, Query

log = logging.getLogger(__name__)
SAVE_EVERY_SECONDS = 30.0
THREAD_NAME = "checkfirst-indexer"
SWITCH_INTERVAL_SECONDS = 0.001


def _session() -> Session:
    from core.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


RETRY_AFTER_SECONDS = 5


class RebuildInterrupted(Exception):
    """Shutdown during a rebuild: its checkpoint is kept and the next start resumes it."""


class Runtime:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._state: IndexState | None = None
        self._background: BackgroundEncoder | None = None
        self._tailer = self._new_tailer()
        # One applier at a time (the thread, a synchronous catch-up, a rebuild); searches only
        # take the state's read lock.
        self._apply_lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_seq = -1
        # What the background thread is doing until the index is ready: not_ready_reason().
        self._phase = "starting"
        self._ready = False
        self.last_error: str | None = None
        # One index per server (``index.shared``): "leader" runs it, a "follower" asks the
        # leader over a socket; "local" (no background thread) serves itself.
        self.role = "local"
        self._lock: LeaderLock | None = None
        self._server: LeaderServer | None = None
        self._client: LeaderClient | None = None
        self._standby: threading.Thread | None = None
        self._encoded_written = -1
        # A change of model (X2 of #14): the previous model's index keeps serving, with that
        # model encoding the queries, while the new one is built in the background.
        self._previous_encoder: Encoder | None = None
        self._switch_interval: float | None = None  # the process's own, while the thread runs

    @property
    def index_dir(self) -> Path:
        return self.settings.data_dir / "index"

    @property
    def kind(self) -> str:
        """The vector index's layout: "flat" or "hnsw", "-sq8" when quantised."""
        quantization = self.settings.index_quantization
        return self.settings.index_kind + ("" if quantization == "none" else f"-{quantization}")

    @property
    def path(self) -> Path:
        return self.index_dir / f"index-{self.kind}.npz"

    @property
    def checkpoint(self) -> Path:
        return self.index_dir / f"rebuild-{self.kind}.npz"

    @property
    def running(self) -> bool:
        if self.role == "follower":
            return True
        return self._thread is not None and self._thread.is_alive()

    @property
    def remote(self) -> LeaderClient | None:
        """The leader to ask, when this process is a follower (``index.shared``)."""
        return self._client if self.role == "follower" else None

    def search(self, query: Query, mode: str = "hybrid") -> list[Hit]:
        """Search this server's index: here, or through the leader when a follower."""
        from index.search import search_state

        client = self.remote
        if client is not None:
            return client.search(query, mode)
        with foreground.serving():  # the indexer steps aside meanwhile (index.background)
            state = self.ready()
            encoder = self._previous_encoder or self.encoder()
            if state.encoder_name != encoder.identity:  # switched meanwhile: the new model
                encoder = self.encoder()
            return search_state(state, encoder, query, mode=mode)  # type: ignore[arg-type]

    def first_chunk(self, doc_type: str, doc_id: int) -> tuple[str, int | None]:
        """An indexed document's first chunk and course ("", None when it is not indexed)."""
        client = self.remote
        if client is not None:
            answer = client.call({"op": "first_chunk", "doc_type": doc_type, "doc_id": doc_id})
            return str(answer["text"]), answer["course_id"]
        state = self.ready()
        with state.lock.read():
            entry = state.docs.get((doc_type, doc_id))
            # A private document (issue #17) has no related list: it would tell what it is about.
            if entry is None or not entry.chunks or entry.doc.metadata.get("private"):
                return "", None
            return entry.chunks[0], entry.doc.course_id

    def encoded(self) -> int:
        """Chunks this process encoded, itself or through its background encoder."""
        from index.encoder import loaded_encoder

        encoder = loaded_encoder()
        background = self._background.encoded if self._background is not None else 0
        return (encoder.encoded if encoder is not None else 0) + background

    def status(self) -> dict[str, Any]:
        """What /readyz shows: readiness, who serves the index and what it encoded."""
        client = self.remote
        if client is not None:
            try:
                return {**client.call({"op": "status"}), "pid": os.getpid(), "role": self.role}
            except ServiceUnavailable as exc:
                return {"reason": exc.message, "pid": os.getpid(), "role": self.role}
        state = self._state
        return {"reason": self.not_ready_reason(), "pid": os.getpid(), "role": self.role,
                "leader_pid": os.getpid(), "encoded": self.encoded(),
                "model": state.encoder_name if state is not None else None,
                "switching_to": self.encoder_identity() if self.switching else None}  # fmt: skip

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """A follower's request, answered by the leader (``index.shared.LeaderServer``)."""
        op = request.get("op")
        if op == "search":
            hits = self.search(query_from_json(request["query"]), str(request["mode"]))
            return {"hits": [dataclasses.asdict(h) for h in hits]}
        if op == "first_chunk":
            text, course_id = self.first_chunk(str(request["doc_type"]), int(request["doc_id"]))
            return {"text": text, "course_id": course_id}
        if op == "status":
            status = self.status()
            return {k: status[k] for k in ("reason", "leader_pid", "encoded", "model",
                                           "switching_to")}  # fmt: skip
        raise ValueError(f"unknown request {op!r}")

    def encoder(self) -> Encoder:
        return get_encoder(self.settings.embedding_model, self.settings.embedding_backend)

    def encoder_identity(self) -> str:
        return Encoder.identity_of(self.settings.embedding_model, self.settings.embedding_backend)

    @property
    def switching(self) -> bool:
        """Whether the previous model's index serves while the configured model's is built."""
        return self._previous_encoder is not None

    def indexing_encoder(self) -> ChunkEncoder:
        """What encodes new chunks: with a background thread (a server), the same model in a
        niced one-thread child process, so queries keep the cores and the GIL (invariant 7);
        otherwise (tests, the CLI, and a warming server, which answers no query yet) this
        process's encoder on every core."""
        encoder = self.encoder()
        if not (self.settings.index_background_encoder and self.running and self._ready):
            return encoder
        background = self._background
        if background is None or background.identity != encoder.identity:
            if background is not None:
                background.close()
            background = self._background = BackgroundEncoder(
                encoder.model_name, encoder.backend, encoder.identity, encoder.dim,
                self.settings.model_cache_dir,
            )  # fmt: skip
        return background

    def _new_tailer(self) -> Tailer:
        # The server's thread steps aside for queries between slices; a caller's own catch-up
        # (no thread) must not wait for the query it is part of.
        return Tailer(pause=self._step_aside)

    def _step_aside(self) -> None:
        if threading.current_thread().name == THREAD_NAME:
            if self._stop.is_set():
                # Shutting down: leave the rest of the backlog to the next start (applying an
                # event again is harmless, and the position only moves once a batch is done),
                # rather than hold the server's exit for the whole catch-up.
                raise RebuildInterrupted("index catch-up stopped for shutdown")
            foreground.step_aside()

    # Opening

    def state(self) -> IndexState:
        """The loaded index, opening it on first use (load and catch up, or rebuild)."""
        state = self._state
        if state is not None:
            return state
        with self._apply_lock:
            if self._state is None:
                self._state = self._open()
            return self._state

    def _open(self) -> IndexState:
        self._phase = "loading the search model"
        encoder = self.encoder()
        self._remove_leftovers()
        kind = self.kind
        with _session() as session:
            try:
                self._phase = "loading the saved index"
                state = IndexState.load(self.path, encoder.identity, encoder.dim, kind)
                check_stamp(session, state)
                self._phase = "catching up with changes made while it was stopped"
                self._tailer = self._new_tailer()
                self._tailer.catch_up(session, state, self.indexing_encoder())
                log.info("index loaded: %d chunks at event %d", state.chunk_count(), state.seq)
                self._saved_seq = -1
                return state
            except FileNotFoundError:
                log.info("no saved index at %s; building it from the database", self.path)
            except CorruptIndex as exc:
                previous = self._open_previous(session)
                if previous is not None:
                    return previous
                log.warning("saved index unusable (%s); rebuilding from the database", exc)
            except (StaleIndex, OSError) as exc:
                # X3: a bad or stale file is a cache miss, never a failed start-up.
                log.warning("saved index unusable (%s); rebuilding from the database", exc)
            state = self._rebuild(session)
        return state

    def _open_previous(self, session: Session) -> IndexState | None:
        """The saved index when it is sound but made with another model: a server (with its
        background thread) serves it, encoding queries with that model, while the thread
        builds the configured model's index (``_switch_model``). None: rebuild behind 503."""
        if not (self.running and self.settings.index_background_encoder):
            return None
        try:
            with np.load(self.path, allow_pickle=False) as z:
                header = json.loads(z["header"].tobytes())
            identity, dim = str(header["model"]), int(header["dim"])
            if identity == self.encoder_identity():
                return None  # the model is right: the file is damaged
            name, _, backend = identity.partition("@")
            self._phase = f"loading the previous model ({identity}) to serve while switching"
            old = Encoder(name, backend or "torch", self.settings.model_cache_dir)
            state = IndexState.load(self.path, identity, dim, self.kind)
            check_stamp(session, state)
            self._tailer = self._new_tailer()
            self._tailer.catch_up(session, state, old)
        except Exception as exc:  # the previous model or its file is not usable: rebuild
            log.warning("cannot serve the previous model's index meanwhile (%s)", exc)
            return None
        log.info("serving the %s index while the %s one is built", identity,
                 self.encoder_identity())  # fmt: skip
        self._previous_encoder = old
        self._saved_seq = state.seq  # never saved over the file under the previous model
        return state

    def _switch_model(self) -> None:
        """Build the configured model's index in the background (each chunk encoded once per
        model, at low priority), keeping the previous one current meanwhile; then swap."""
        with _session() as session:
            new = rebuild(
                session, self.indexing_encoder(), self.kind, checkpoint=self.checkpoint,
                progress=self._keep_previous_current,
            )  # fmt: skip
        with self._apply_lock:
            with _session() as session:
                Tailer().catch_up(session, new, self.indexing_encoder())
                new.stamp = event_stamp(session, new.seq)
            new.save(self.path)  # first: a restart from here on loads the new model's index
            self.checkpoint.unlink(missing_ok=True)
            self._saved_seq = new.seq
            self._state = new
            self._tailer = self._new_tailer()
            self._previous_encoder = None
        log.info("switched the search index to %s", new.encoder_name)

    def _keep_previous_current(self, done: int, total: int) -> None:
        # Between slices of the new model's build: the serving index applies new events.
        if self._stop.is_set():
            raise RebuildInterrupted(f"model switch stopped at {done} of {total} documents")
        self.sync()

    def _remove_leftovers(self) -> None:
        # A save killed midway leaves its temp file behind (the real file is intact: X3).
        # Another worker may be saving right now: only files older than any save are litter.
        for tmp in self.index_dir.glob(".*.tmp"):
            try:
                if time.time() - tmp.stat().st_mtime > 600:
                    tmp.unlink(missing_ok=True)
            except OSError:
                pass

    def _rebuild(self, session: Session) -> IndexState:
        self._phase = "rebuilding the index from the database"
        state = rebuild(
            session, self.indexing_encoder(), self.kind, checkpoint=self.checkpoint,
            progress=self._progress,
        )  # fmt: skip
        self._tailer = self._new_tailer()
        state.save(self.path)
        self.checkpoint.unlink(missing_ok=True)
        self._saved_seq = state.seq
        return state

    def _progress(self, done: int, total: int) -> None:
        self._phase = f"rebuilding the index from the database ({done} of {total} documents)"
        if self._stop.is_set() and threading.current_thread().name == THREAD_NAME:
            raise RebuildInterrupted(f"index rebuild stopped at {done} of {total} documents")

    # Keeping current

    def sync(self) -> int:
        """Apply every pending outbox event now, in this thread; returns how many."""
        state = self.state()
        with self._apply_lock, _session() as session:
            try:
                encoder = self._previous_encoder or self.indexing_encoder()
                return self._tailer.catch_up(session, state, encoder)
            except StaleIndex as exc:
                log.warning("%s; rebuilding", exc)
                self._ready = False  # it holds another database's documents: never search it
                self._state = None
                self._state = self._rebuild(session)
                return 0

    def not_ready_reason(self) -> str:
        """Why searches cannot be answered yet ("" once the index is loaded and caught up)."""
        if not self.running:
            return "" if self._state is not None else "the search index is not running"
        if self._ready and self._state is not None:
            return ""
        return self._phase + (f" (retrying after: {self.last_error})" if self.last_error else "")

    def ready(self) -> IndexState:
        """The state to search: current as of now unless a background thread keeps it so.

        While the thread is still loading, rebuilding or catching up, raises
        ``ServiceUnavailable``: an empty or partial index would answer "no match" wrongly.
        """
        if not self.running:
            self.sync()
            return self.state()
        state = self._state
        if state is None or not self._ready:
            raise ServiceUnavailable(
                f"Search is starting up ({self._phase}); try again in a few seconds.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        return state

    def save(self) -> None:
        with self._apply_lock:
            state = self._state
            if state is None or state.seq == self._saved_seq or self.switching:
                return
            with _session() as session:
                state.stamp = event_stamp(session, state.seq)
            state.save(self.path)
            self._saved_seq = state.seq

    def rebuild_now(self) -> IndexState:
        """Throw the in-memory index away and build it again from the database."""
        with self._apply_lock, _session() as session:
            self._state = self._rebuild(session)
            return self._state

    def reset(self) -> None:
        """Forget the in-memory index (tests; the next use loads or rebuilds it)."""
        with self._apply_lock:
            self._state = None
            self._ready = False
            self._tailer = self._new_tailer()
            self._saved_seq = -1
            self._previous_encoder = None

    # The background thread

    def start(self) -> None:
        """Run the index in this process, or, when another worker of this server already
        does (``settings.index_shared``), follow it and stand by to take over."""
        if self.running:
            return
        self._stop.clear()
        if not self.settings.index_shared:
            self._start_thread()
            return
        self._lock = LeaderLock(self.index_dir / "leader.lock")
        if self._lock.acquire(blocking=False):
            self._lead()
            return
        self._client = LeaderClient(socket_path(self.index_dir))
        self.role = "follower"
        self._standby = threading.Thread(target=self._stand_by, name="checkfirst-index-standby",
                                         daemon=True)  # fmt: skip
        self._standby.start()

    def _start_thread(self) -> None:
        # A request thread coming back from I/O waits for the GIL up to the switch interval
        # (5 ms by default) while the indexing thread runs Python; an ask does that dozens of
        # times, which added up to a good part of its latency during an import.
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL_SECONDS))
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def _lead(self) -> None:
        self._server = LeaderServer(socket_path(self.index_dir), self._handle)
        self._start_thread()
        self.role = "leader"

    def _stand_by(self) -> None:
        # The kernel drops a dead leader's lock; polling (not a blocking flock) keeps stop() quick.
        assert self._lock is not None
        while not self._stop.wait(0.25):
            if self._lock.acquire(blocking=False):
                if self._stop.is_set():
                    self._lock.release()
                    return
                log.info("the index leader is gone; this worker (%d) takes over", os.getpid())
                self._lead()
                return

    def stop(self, save: bool = True) -> None:
        self._stop.set()
        if self._standby is not None:
            self._standby.join(timeout=5)
            self._standby = None
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._background is not None:
            self._background.close()
            self._background = None
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        if save and self.role != "follower":
            try:
                self.save()
            except Exception:
                log.exception("could not save the index on shutdown")
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self._client = None
        self.role = "local"

    def _write_encoded(self) -> None:
        # Each process that encodes leaves its count in the data dir: workers behind one port
        # cannot be addressed one by one, and the scale-out test sums them (X4).
        count = self.encoded()
        if count == self._encoded_written:
            return
        path = self.index_dir / f"encoded.{os.getpid()}"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(str(count))
        os.replace(tmp, path)
        self._encoded_written = count

    def _run(self) -> None:
        last_save = time.monotonic()
        while not self._stop.is_set():
            try:
                self.sync()
                self._write_encoded()
                self._ready = True  # loaded (or rebuilt) and caught up at least once
                self._phase = "ready"
                self.last_error = None
                if self.switching:
                    self._switch_model()
                if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                    self.save()
                    last_save = time.monotonic()
            except RebuildInterrupted as exc:
                log.info("%s; it resumes on the next start", exc)
                return
            except Exception as exc:  # keep tailing: a database blip must not stop indexing
                self.last_error = str(exc)
                log.exception("indexer step failed; retrying")
                self._stop.wait(2.0)
            self._stop.wait(self.settings.index_poll_seconds)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide runtime (created on first use from the current settings)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime()
        return _runtime


def set_runtime(runtime: Runtime | None) -> Runtime | None:
    """Replace the process-wide runtime (tests, benchmarks); returns the previous one."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, runtime
        return previous
