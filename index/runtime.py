"""The process's index: loaded (or rebuilt) once, kept current by a background thread.

``get_runtime()`` is the accessor every caller uses. With ``settings.index_enabled`` the app's
lifespan calls ``start()`` (a daemon thread that loads the saved index, catches up from the
outbox and then polls it); without it, nothing runs in the background and each search first
applies pending events in the caller's thread, so tests and the CLI read their own writes.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path

from sqlmodel import Session

from core.settings import Settings, get_settings
from index.encoder import Encoder, get_encoder
from index.indexer import StaleIndex, Tailer, check_stamp, event_stamp, rebuild
from index.store import CorruptIndex, IndexState

log = logging.getLogger(__name__)
SAVE_EVERY_SECONDS = 30.0
THREAD_NAME = "checkfirst-indexer"


def _session() -> Session:
    from core.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


@functools.cache
def _warming_up() -> IndexState:
    return IndexState("", 1)


class RebuildInterrupted(Exception):
    """Shutdown during a rebuild: its checkpoint is kept and the next start resumes it."""


class Runtime:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._state: IndexState | None = None
        self._tailer = Tailer()
        # One applier at a time (the thread, a synchronous catch-up, a rebuild); searches only
        # take the state's read lock.
        self._apply_lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_seq = -1
        self._partial = False
        self.last_error: str | None = None

    @property
    def index_dir(self) -> Path:
        return self.settings.data_dir / "index"

    @property
    def path(self) -> Path:
        return self.index_dir / f"index-{self.settings.index_kind}.npz"

    @property
    def checkpoint(self) -> Path:
        return self.index_dir / f"rebuild-{self.settings.index_kind}.npz"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def encoder(self) -> Encoder:
        return get_encoder(self.settings.embedding_model, self.settings.embedding_backend)

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
        encoder = self.encoder()
        self._remove_leftovers()
        kind = self.settings.index_kind
        with _session() as session:
            try:
                state = IndexState.load(self.path, encoder.identity, encoder.dim, kind)
                check_stamp(session, state)
                self._tailer = Tailer()
                self._tailer.catch_up(session, state, encoder)
                log.info("index loaded: %d chunks at event %d", state.chunk_count(), state.seq)
                self._saved_seq = -1
                return state
            except FileNotFoundError:
                log.info("no saved index at %s; building it from the database", self.path)
            except (CorruptIndex, StaleIndex, OSError) as exc:
                # X3: a bad or stale file is a cache miss, never a failed start-up.
                log.warning("saved index unusable (%s); rebuilding from the database", exc)
            state = self._rebuild(session, encoder)
        return state

    def _remove_leftovers(self) -> None:
        # A save killed midway leaves its temp file behind (the real file is intact: X3).
        # Another worker may be saving right now: only files older than any save are litter.
        for tmp in self.index_dir.glob(".*.tmp"):
            try:
                if time.time() - tmp.stat().st_mtime > 600:
                    tmp.unlink(missing_ok=True)
            except OSError:
                pass

    def _rebuild(self, session: Session, encoder: Encoder) -> IndexState:
        try:
            state = rebuild(
                session, encoder, self.settings.index_kind, checkpoint=self.checkpoint,
                publish=self._publish, progress=self._stop_requested,
            )  # fmt: skip
        except BaseException:
            if self._partial:
                self._state = None  # drop the half-built index; the checkpoint keeps its work
            raise
        finally:
            self._partial = False
        self._tailer = Tailer()
        state.save(self.path)
        self.checkpoint.unlink(missing_ok=True)
        self._saved_seq = state.seq
        return state

    def _publish(self, state: IndexState) -> None:
        # Only a process with an indexer thread serves a filling index; elsewhere callers
        # (CLI, tests) wait for the whole rebuild through the apply lock.
        if self.running:
            self._partial = True  # never saved as the index: it would miss documents
            self._state = state

    def _stop_requested(self, done: int, total: int) -> None:
        if self._stop.is_set() and threading.current_thread().name == THREAD_NAME:
            raise RebuildInterrupted(f"index rebuild stopped at {done} of {total} documents")

    # Keeping current

    def sync(self) -> int:
        """Apply every pending outbox event now, in this thread; returns how many."""
        state = self.state()
        with self._apply_lock, _session() as session:
            try:
                return self._tailer.catch_up(session, state, self.encoder())
            except StaleIndex as exc:
                log.warning("%s; rebuilding", exc)
                self._state = self._rebuild(session, self.encoder())
                return 0

    def ready(self) -> IndexState:
        """The state to search: current as of now unless a background thread keeps it so.

        While the thread is still loading the model and the saved index, searches get an empty
        index (no results) rather than waiting; a rebuild is searchable while it fills.
        """
        if not self.running:
            self.sync()
            return self.state()
        return self._state or _warming_up()

    def save(self) -> None:
        with self._apply_lock:
            state = self._state
            if state is None or self._partial or state.seq == self._saved_seq:
                return
            with _session() as session:
                state.stamp = event_stamp(session, state.seq)
            state.save(self.path)
            self._saved_seq = state.seq

    def rebuild_now(self) -> IndexState:
        """Throw the in-memory index away and build it again from the database."""
        with self._apply_lock, _session() as session:
            self._state = self._rebuild(session, self.encoder())
            return self._state

    def reset(self) -> None:
        """Forget the in-memory index (tests; the next use loads or rebuilds it)."""
        with self._apply_lock:
            self._state = None
            self._tailer = Tailer()
            self._saved_seq = -1

    # The background thread

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, save: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if save:
            try:
                self.save()
            except Exception:
                log.exception("could not save the index on shutdown")

    def _run(self) -> None:
        last_save = time.monotonic()
        while not self._stop.is_set():
            try:
                self.sync()
                self.last_error = None
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
