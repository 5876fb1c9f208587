"""Indexing stays out of the queries' way (invariant 7).

On a server with two cores, an import of thousands of posts made asks 14x slower: the indexer
encoded the new chunks on every core, in the process that also encodes the queries, and its
Python work (loading, chunking, tokenising, applying) held the GIL the request threads need.

- ``BackgroundEncoder`` encodes indexing batches in a child process at low CPU priority
  (``nice`` 10) on one thread: the kernel gives the cores to the query path first, the GIL of
  the serving process is never held by it, and the model it loads is the same one (same
  identity, same vectors: each chunk is still encoded once, ``index.embeddings``). The child
  exits after a minute without work and is started again on the next batch.
- ``Foreground`` counts queries in flight; the indexer calls ``step_aside()`` between small
  slices of work and waits (a bounded time) until none is running, so a query never queues
  behind a batch, and indexing still advances under continuous query load.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)
NICE = 10
IDLE_SECONDS = 60.0
START_SECONDS = 120.0


def _child(conn: Connection, model_name: str, backend: str, cache_dir: str | None) -> None:
    """The encoding process: low priority, one thread, one batch at a time until idle."""
    os.nice(NICE)
    os.environ["OMP_NUM_THREADS"] = "1"  # read by cpu_threads() (ONNX) and by torch
    from index.encoder import Encoder

    if backend == "torch":
        import torch

        torch.set_num_threads(1)
    encoder = Encoder(model_name, backend, Path(cache_dir) if cache_dir else None)
    conn.send(("ready", os.getpid(), encoder.dim))
    try:
        while conn.poll(IDLE_SECONDS):
            texts = conn.recv()
            try:
                answer: tuple[Any, ...] = ("ok", encoder.encode(texts))
            except Exception as exc:  # report it: the indexer retries the batch
                answer = ("error", repr(exc))
            conn.send(answer)
        conn.send(("idle", None, None))
    except (EOFError, OSError):  # the server is gone (or stopping): nothing to answer
        return


class BackgroundEncoder:
    """``encode`` like an ``Encoder`` with the same identity, run in a niced child process."""

    def __init__(self, model_name: str, backend: str, identity: str, dim: int,
                 cache_dir: Path | None = None) -> None:  # fmt: skip
        self.model_name = model_name
        self.backend = backend
        self.identity = identity
        self.dim = dim
        self.cache_dir = cache_dir
        # Chunk texts encoded for this process (the embed-once count, as ``Encoder.encoded``).
        self.encoded = 0
        self.pid: int | None = None
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Connection | None = None

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    conn.send(list(texts))
                    answer = conn.recv()
                except (EOFError, OSError, BrokenPipeError):
                    answer = ("idle", None, None)
                if answer[0] == "ok":
                    self.encoded += len(texts)
                    return np.ascontiguousarray(answer[1], dtype=np.float32)
                if answer[0] == "error":
                    raise RuntimeError(f"background encoding failed: {answer[1]}")
                # It went idle (or died) just as the batch was sent: start it again, once.
                self._close()
                if attempt == 2:
                    raise RuntimeError("the background encoder exited twice in a row")
        raise AssertionError("unreachable")

    def _connection(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        self._close()
        # spawn, not fork: the server has threads (and ONNX Runtime's pool) that fork would copy
        # in whatever state they are.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        cache = str(self.cache_dir) if self.cache_dir else None
        proc = context.Process(
            target=_child, args=(child, self.model_name, self.backend, cache),
            name="checkfirst-encoder", daemon=True,
        )  # fmt: skip
        proc.start()
        child.close()
        if not parent.poll(START_SECONDS):
            proc.kill()
            raise RuntimeError("the background encoder did not start")
        status, pid, dim = parent.recv()
        if status != "ready" or dim != self.dim:
            proc.kill()
            raise RuntimeError(f"the background encoder loaded another model (dim {dim})")
        self._proc, self._conn, self.pid = proc, parent, pid
        log.info("background encoder started (pid %d, nice %d, one thread)", pid, NICE)
        return parent

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=5)
        self._proc = self._conn = None
        self.pid = None

    def close(self) -> None:
        with self._lock:
            self._close()


class Foreground:
    """Queries in flight in this process; background work steps aside for them."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._active = 0

    @property
    def active(self) -> int:
        return self._active

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if not self._active:
                    self._cond.notify_all()

    def step_aside(self, max_wait: float = 0.2) -> bool:
        """Wait until no query is running, at most ``max_wait`` seconds (so that indexing
        still advances under continuous load); returns whether any was waited for."""
        with self._cond:
            if not self._active:
                return False
            self._cond.wait_for(lambda: not self._active, timeout=max_wait)
            return True


foreground = Foreground()
