"""Notebook and widget fixtures: a stand-in ask server for client tests, a second web origin."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

WIDGET_JS = Path(__file__).resolve().parents[2] / "templates" / "static" / "widget.js"

KNOWN_ERRATUM_ANSWER: dict[str, Any] = {
    "ask_id": 1,
    "answer": "This is a **known erratum** [1]: the expected `a_next` in the notebook is wrong.",
    "answer_html": "",
    "verdict": "known_erratum",
    "sources": [
        {
            "type": "erratum",
            "id": 7,
            "external_id": None,
            "title": "rnn_cell_forward: expected a_next values are wrong in v2",
            "url": "/errata/7",
            "status": "verified",
            "score": 0.91,
            "snippet": "The published a_next was computed with the old weights.",
            "labels": [],
            "fixed_in": "3",
        }
    ],
    "new_thread_url": None,
    "phrased_by_llm": False,
}


@dataclass
class StubAskServer:
    """A real HTTP server on loopback that answers POST /api/v1/ask with a canned reply."""

    reply: dict[str, Any] = field(default_factory=lambda: dict(KNOWN_ERRATUM_ANSWER))
    status: int = 200
    delay: float = 0.0
    # Seconds to trickle whitespace before the body: every read is quick, the whole is slow.
    trickle: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    # GET .../known-errata: the answer (404 when None) and the requests' If-None-Match headers.
    known: dict[str, Any] | None = None
    known_requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(stub: StubAskServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's spelling
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            stub.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("authorization")}
            )
            if stub.delay:
                time.sleep(stub.delay)
            payload = stub.reply if stub.status < 400 else {"detail": "Something broke."}
            data = json.dumps(payload).encode()
            try:
                self.send_response(stub.status)
                self.send_header("content-type", "application/json")
                steps = int(stub.trickle / 0.1)
                self.send_header("content-length", str(len(data) + steps))
                self.end_headers()
                for _ in range(steps):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_OPTIONS(self) -> None:  # noqa: N802 - a permissive preflight, for browser tests
            self.send_response(204)
            self.send_header("access-control-allow-origin", self.headers.get("origin") or "*")
            self.send_header("access-control-allow-methods", "POST")
            self.send_header("access-control-allow-headers", "authorization, content-type")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 - the widget script, or known errata
            if "/known-errata" in self.path:
                return self.known_errata()
            data = WIDGET_JS.read_bytes()
            self.send_response(200 if self.path == "/static/widget.js" else 404)
            self.send_header("content-type", "text/javascript")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def known_errata(self) -> None:
            stub.known_requests.append(
                {
                    "path": self.path,
                    "if_none_match": self.headers.get("if-none-match"),
                    "auth": self.headers.get("authorization"),
                }
            )
            if stub.delay:
                time.sleep(stub.delay)
            status, data = 404, json.dumps({"detail": "No such assignment."}).encode()
            if stub.known is not None:
                status, data = 200, json.dumps(stub.known).encode()
            tag = f'"{hash(data) & 0xFFFFFFFF:x}"'
            if stub.known is not None and self.headers.get("if-none-match") == tag:
                status, data = 304, b""
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("etag", tag)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout)

        def end_headers(self) -> None:
            if self.command == "POST":
                self.send_header("access-control-allow-origin", self.headers.get("origin") or "*")
            super().end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture()
def stub_ask() -> Iterator[StubAskServer]:
    stub = StubAskServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port is bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class StaticSite:
    """A static web site on its own origin (another port, spelled ``localhost``)."""

    def __init__(self, root: Path) -> None:
        root_dir = str(root)

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=root_dir, **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# The real thing: a server with the index enabled, over a database holding a verified erratum.

ERRATUM_TITLE = "rnn_cell_forward: expected a_next values are wrong in notebook version 2"


@pytest.fixture()
def known_erratum(session: Any, make_user: Any) -> dict[str, Any]:
    """Course ``dl``, assignment ``rnn``, a verified erratum on a_next, an unrelated thread."""
    return seed_known_erratum(
        session, instructor=make_user("instructor_nb", "moderator"), learner=make_user("learner_nb")
    )


def seed_known_erratum(session: Any, *, instructor: Any, learner: Any) -> dict[str, Any]:
    """The content the end-to-end tests and the screenshots use, made through the services."""
    from errata import service as errata_service
    from errata.models import ErratumStatus
    from errata.schemas import ErratumCreate
    from forum import service as forum_service
    from forum.models import Assignment, Course

    course = Course(slug="dl", title="Deep Learning")
    session.add(course)
    session.commit()
    assert course.id is not None
    assignment = Assignment(course_id=course.id, slug="rnn", title="Building an RNN")
    session.add(assignment)
    session.commit()
    erratum = errata_service.report(
        session=session,
        user=learner,
        data=ErratumCreate(
            course="dl",
            assignment="rnn",
            title=ERRATUM_TITLE,
            description=(
                "The test for rnn_cell_forward fails with `AssertionError: Wrong values in "
                "a_next` even for a correct implementation: the expected a_next printed in the "
                "notebook was computed with an older random seed."
            ),
            location="rnn_cell_forward",
            affected_versions="2",
            published_output="a_next[4] = [0.59584544 0.18141802 0.61311866 0.99808218]",
            corrected_output="a_next[4] = [-0.99999375  0.77911235 -0.99861469 -0.99833267]",
            workaround="Ignore the check; compare with the corrected values in this erratum.",
        ),
    )
    assert erratum.id is not None
    errata_service.transition(
        session=session,
        user=instructor,
        erratum_id=erratum.id,
        to_status=ErratumStatus.verified,
        reason="Confirmed: the seed changed.",
    )
    thread_title = "How do I install the course environment on Windows?"
    forum_service.create_thread(
        session=session,
        user=learner,
        course=course,
        assignment=assignment,
        title=thread_title,
        body="conda fails with a permissions error when creating the environment.",
    )
    return {"erratum_id": erratum.id, "thread_title": thread_title, "learner": learner}


def start_help_server(
    test_env: dict[str, str], data_dir: Path, extra: dict[str, str] | None = None
) -> Any:
    """A uvicorn subprocess with the index enabled, warmed up until the erratum is searchable."""
    import httpx

    from core.settings import get_settings
    from tests.conftest import LiveServer

    env = {
        "CHECKFIRST_INDEX_ENABLED": "true",
        # Its own index files; the database is the test run's.
        "CHECKFIRST_DATA_DIR": str(data_dir),
        "CHECKFIRST_DATABASE_URL": get_settings().sqlalchemy_url,
        **(extra or {}),
    }
    server = LiveServer(test_env, env).start()
    # The first ask loads the model and builds the index; wait for it here, not in the notebook.
    deadline = time.monotonic() + 240
    while True:
        try:
            r = httpx.post(
                server.url + "/api/v1/ask",
                json={"question": "AssertionError: Wrong values in a_next", "course": "dl"},
                timeout=120,
            )
            if r.status_code == 200 and any(
                s["title"] == ERRATUM_TITLE for s in r.json()["sources"]
            ):
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("the help server never found the erratum")
        time.sleep(1)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def host_page(api_url: str, token: str, title: str = "Assignment 3: Building an RNN") -> str:
    """A course page on another site that embeds the widget, with styles that would clash."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  body {{ font-family: Georgia, serif; margin: 40px; color: #222; background: #fffdf7; }}
  button {{ background: red !important; color: yellow; font-size: 30px; }}
  a {{ color: green; }}
  pre {{ background: #f3f0e6; padding: 12px; }}
</style></head>
<body>
  <h1>{title}</h1>
  <p>Implement <code>rnn_cell_forward</code>, then run the test cell below.</p>
  <pre>rnn_cell_forward_test(rnn_cell_forward)
AssertionError: Wrong values in a_next</pre>
  <script src="{api_url}/static/widget.js" data-course="dl" data-assignment="rnn"
          data-version="2" data-token="{token}" async></script>
</body></html>
"""


@pytest.fixture(scope="session")
def client_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The learner's wheel, built from notebook_client/ as `make dist` builds it."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("dist")
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(out), str(root / "notebook_client")],
        check=True,
        capture_output=True,
    )
    [wheel] = out.glob("checkfirst_notebook-*.whl")
    return wheel
