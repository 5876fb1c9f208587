"""Issue #11.6: the learner's token only goes to the URL set next to it, never over plain http.

A shared notebook (its metadata or a ``.checkfirst.json`` beside it) could set ``url`` while the
token came from the learner's environment, sending token and traceback to a stranger.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant import notebook as nb
from tests.notebook.conftest import StubAskServer, _handler

pytestmark = pytest.mark.nodb

TOKEN = "cfw_learners_own_secret"


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "CHECKFIRST_URL", "CHECKFIRST_TOKEN", "CHECKFIRST_COURSE", "CHECKFIRST_ASSIGNMENT",
        "CHECKFIRST_NOTEBOOK_VERSION", "CHECKFIRST_TIMEOUT", "JPY_SESSION_NAME",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _shared_notebook(folder: Path, monkeypatch: pytest.MonkeyPatch, checkfirst: dict) -> None:
    notebook = folder / "shared.ipynb"
    notebook.write_text(json.dumps({"metadata": {"checkfirst": checkfirst}, "cells": []}))
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))


def _lookup(capsys: pytest.CaptureFixture[str]) -> str:
    ext = nb.Checkfirst(SimpleNamespace(user_ns={}))
    ext.lookup({"question": "AssertionError: Wrong values in a_next"})
    return capsys.readouterr().out


def test_metadata_url_does_not_get_the_environment_token(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    stub_ask: StubAskServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHECKFIRST_URL", "https://checkfirst.example")
    monkeypatch.setenv("CHECKFIRST_TOKEN", TOKEN)
    _shared_notebook(clean_env, monkeypatch, {"url": stub_ask.url, "course": "dl"})

    out = _lookup(capsys)

    assert len(stub_ask.requests) == 1  # the question is still asked, anonymously
    assert stub_ask.requests[0]["auth"] is None
    assert TOKEN not in json.dumps(stub_ask.requests[0])
    assert "token (from the environment) was not sent" in out
    assert "the notebook's metadata" in out


def test_config_file_url_does_not_get_the_environment_token(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    stub_ask: StubAskServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHECKFIRST_TOKEN", TOKEN)
    (clean_env / ".checkfirst.json").write_text(json.dumps({"url": stub_ask.url}))

    out = _lookup(capsys)

    assert stub_ask.requests[0]["auth"] is None
    assert "was not sent" in out


def test_token_and_url_from_one_source_are_sent(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    stub_ask: StubAskServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHECKFIRST_URL", stub_ask.url)
    monkeypatch.setenv("CHECKFIRST_TOKEN", TOKEN)
    # The notebook may still say which course and version it is.
    _shared_notebook(clean_env, monkeypatch, {"course": "dl", "version": "3a"})

    out = _lookup(capsys)

    assert stub_ask.requests[0]["auth"] == f"Bearer {TOKEN}"
    assert stub_ask.requests[0]["body"]["course"] == "dl"
    assert "not sent" not in out


def test_magic_url_needs_the_magic_token(clean_env: Path, stub_ask: StubAskServer) -> None:
    ext = nb.Checkfirst(SimpleNamespace(user_ns={}))
    ext.configure(f"url={stub_ask.url} token={TOKEN}")
    ext.lookup({"question": "q"})
    assert stub_ask.requests[0]["auth"] == f"Bearer {TOKEN}"


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this picks the outgoing interface
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture()
def lan_stub() -> Iterator[StubAskServer]:
    """The stub ask server, reachable on this machine's non-loopback address over plain http."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    stub = StubAskServer()
    server = ThreadingHTTPServer((address, 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://{address}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


def test_plain_http_to_another_host_gets_no_token(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    lan_stub: StubAskServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHECKFIRST_URL", lan_stub.url)
    monkeypatch.setenv("CHECKFIRST_TOKEN", TOKEN)

    out = _lookup(capsys)

    assert len(lan_stub.requests) == 1
    assert lan_stub.requests[0]["auth"] is None
    assert "not sent over plain http://" in out


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("https://checkfirst.example", True),
        ("http://127.0.0.1:8000", True),
        ("http://127.3.4.5", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://checkfirst.example", False),
        ("http://192.168.1.10", False),
        ("http://localhost.evil.example", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
def test_token_over_http_only_to_loopback(url: str, sent: bool) -> None:
    config = nb.Config(url=url, token=TOKEN)
    token, why = nb.sendable_token(config)
    assert (token == TOKEN) is sent
    assert (why is None) is sent
