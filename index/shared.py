"""One index per server, shared by its workers (invariant 3).

The workers of one server (``uvicorn --workers N`` over one data dir) elect a leader with an
exclusive ``flock`` on ``<data_dir>/index/leader.lock``. The leader runs the replica as a single
process would (loads or rebuilds it, tails the outbox, saves it) and answers the other workers'
searches over a Unix socket; the followers load neither the index nor the model. Each follower
keeps a standby thread blocked on the same lock: the kernel drops a lock with its process, so
when a leader dies (even by ``kill -9``) exactly one follower takes over, loads the saved file
and catches up, and until then searches answer 503 with Retry-After, never "no match".

Why a socket rather than memory-mapped files read by every worker: every follower would have
to apply the outbox tail itself, a second path to keep exact (the documents and the lexical
vocabulary are arrays and byte buffers now, ``index.columns``, so they could be mapped, but the
delta and the FAISS index would still be per process).
A hop over a Unix socket costs well under a millisecond next to encoding the query.

Wire format: 4-byte big-endian length, then a JSON object; one request, one answer, in turn on
a connection kept per thread. The socket lives in the data dir (mode 0600), or under the temp
dir named by a digest of the data dir when that path would be too long for a Unix socket.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import socket
import socketserver
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import ServiceUnavailable
from index.types import Hit, Query, Viewer

log = logging.getLogger(__name__)
_HEADER = struct.Struct(">I")
MAX_MESSAGE = 64 << 20
RETRY_AFTER_SECONDS = 2
# A search answered by the leader waits at most this long (it encodes the query).
TIMEOUT_SECONDS = 30.0


def socket_path(index_dir: Path) -> Path:
    path = index_dir / "leader.sock"
    if len(str(path)) < 100:  # sun_path holds 108 bytes
        return path
    digest = hashlib.sha256(str(index_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"checkfirst-{digest}.sock"


class LeaderLock:
    """The exclusive lock whose holder is this server's index process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


def _send(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv(sock: socket.socket) -> Any:
    head = _read_exactly(sock, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise ConnectionError(f"message of {size} bytes refused")
    body = _read_exactly(sock, size)
    if body is None:
        raise ConnectionError("connection closed mid-message")
    return json.loads(body)


def _read_exactly(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            if buf:
                raise ConnectionError("connection closed mid-message")
            return None
        buf += part
    return bytes(buf)


def query_to_json(query: Query) -> dict[str, Any]:
    """The query as JSON for the leader, its viewer included (who may see private documents)."""
    data = dataclasses.asdict(query)
    if query.viewer is not None:
        staff = query.viewer.staff_course_ids
        data["viewer"] = {
            "user_id": query.viewer.user_id,
            "staff_course_ids": None if staff is None else sorted(staff),
        }
    return data


def query_from_json(data: dict[str, Any]) -> Query:
    raw = data.get("viewer")
    viewer = None
    if raw is not None:
        staff = raw.get("staff_course_ids")
        viewer = Viewer(
            user_id=raw.get("user_id"),
            staff_course_ids=None if staff is None else frozenset(int(c) for c in staff),
        )
    return Query(
        text=str(data["text"]), terms=tuple(data.get("terms", ())),
        course_id=data.get("course_id"), assignment_id=data.get("assignment_id"),
        doc_types=tuple(data.get("doc_types", ())), statuses=tuple(data.get("statuses", ())),
        limit=int(data.get("limit", 10)), viewer=viewer,
        snippets=bool(data.get("snippets", True)),
    )  # fmt: skip


Handler = Callable[[dict[str, Any]], dict[str, Any]]


class LeaderServer:
    """The leader's side: answers requests with ``handle`` in one thread per connection."""

    def __init__(self, path: Path, handle: Handler) -> None:
        self.path = path
        path.unlink(missing_ok=True)  # left by a leader that died; we hold the lock now

        class _Conn(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                while True:
                    try:
                        request = _recv(sock)
                    except (OSError, ValueError):
                        return
                    if request is None:
                        return
                    try:
                        answer = handle(request)
                    except ServiceUnavailable as exc:
                        answer = {"unavailable": exc.message}
                    except Exception as exc:  # the follower raises it as its own 500
                        log.exception("shared index request failed")
                        answer = {"error": f"{type(exc).__name__}: {exc}"}
                    try:
                        _send(sock, answer)
                    except OSError:
                        return

        class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        old_umask = os.umask(0o077)  # only this user may connect
        try:
            self._server = _Server(str(path), _Conn)
        finally:
            os.umask(old_umask)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="checkfirst-index-socket", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


class LeaderClient:
    """A follower's side: one connection per thread, reopened after a failure."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """The leader's answer; ``ServiceUnavailable`` while there is no leader to ask."""
        for attempt in (1, 2):  # a kept connection may have died with an earlier leader
            sock = getattr(self._local, "sock", None)
            try:
                if sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(TIMEOUT_SECONDS)
                    sock.connect(str(self.path))
                    self._local.sock = sock
                _send(sock, request)
                answer = _recv(sock)
                if answer is None:
                    raise ConnectionError("the index process closed the connection")
                break
            except (OSError, ValueError) as exc:
                self._drop()
                if attempt == 2:
                    raise ServiceUnavailable(
                        "Search is starting up (this server's index process is starting or "
                        f"restarting: {exc}); try again in a few seconds.",
                        retry_after=RETRY_AFTER_SECONDS,
                    ) from None
        if "unavailable" in answer:
            raise ServiceUnavailable(str(answer["unavailable"]), retry_after=RETRY_AFTER_SECONDS)
        if "error" in answer:
            raise RuntimeError(f"the index process failed: {answer['error']}")
        return dict(answer)

    def _drop(self) -> None:
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            sock.close()

    def search(self, query: Query, mode: str) -> list[Hit]:
        answer = self.call({"op": "search", "query": query_to_json(query), "mode": mode})
        return [Hit(**h) for h in answer["hits"]]
