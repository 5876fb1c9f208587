"""X-Forwarded-For counts only from configured proxies (issue #11 items 3 and 4, ACCEPTANCE B4).

The live tests run the server as ``checkfirst serve`` runs it: a spoofed header sent straight to
it must not give the sender a fresh rate-limit counter, for sign-in or for asks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from core.security import forwarded_client
from core.settings import get_settings
from tests.conftest import ROOT, free_port
from tests.forum.conftest import World


class ServedApp:
    """``checkfirst serve`` in a subprocess, on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "server exited"
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture()
def served(test_env: dict[str, str], db: None) -> Iterator[ServedApp]:
    server = ServedApp({**test_env, "CHECKFIRST_RATE_ASK": "3/60"})
    yield server
    server.stop()


def test_spoofed_forwarded_for_does_not_dodge_the_login_limit(served: ServedApp) -> None:
    statuses = []
    for i in range(11):
        r = httpx.post(
            served.url + "/api/v1/auth/login",
            json={"username": f"nobody{i}", "password": "wrong"},
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
        )
        statuses.append(r.status_code)
    assert statuses == [401] * 10 + [429]
    assert int(r.headers["Retry-After"]) >= 1


def test_spoofed_forwarded_for_does_not_dodge_the_ask_limit(served: ServedApp) -> None:
    statuses = []
    for i in range(4):
        r = httpx.post(
            served.url + "/api/v1/ask",
            json={"question": "gru_cell shapes"},
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            timeout=60,
        )
        statuses.append(r.status_code)
    assert statuses == [200] * 3 + [429]


def test_forwarded_for_from_a_configured_proxy_names_the_client(
    app: Any, client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "trusted_proxies", "10.0.0.0/24")
    # Eleven learners behind the proxy each mistype once: nobody is held back.
    with TestClient(app, client=("10.0.0.2", 4000)) as proxied:
        for i in range(11):
            r = proxied.post(
                "/api/v1/auth/login",
                json={"username": f"nobody{i}", "password": "wrong"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            assert r.status_code == 401, (i, r.text)
    # A peer that is not a configured proxy gets one counter, whatever header it sends.
    statuses = []
    with TestClient(app, client=("192.0.2.50", 4000)) as direct:
        for i in range(11):
            r = direct.post(
                "/api/v1/auth/login",
                json={"username": f"other{i}", "password": "wrong"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 100}"},
            )
            statuses.append(r.status_code)
    assert statuses == [401] * 10 + [429]


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        # No proxy configured (the default): the header is ignored.
        ("127.0.0.1", ["203.0.113.9"], "127.0.0.1"),
        # A configured proxy: the right-most address it did not add itself.
        ("10.0.0.2", ["1.1.1.1, 203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["1.1.1.1", "203.0.113.9, 10.0.0.7"], "203.0.113.9"),
        ("10.0.0.2", ["[2001:db8::1]:4711"], "2001:db8::1"),
        ("10.0.0.2", ["not-an-ip"], "10.0.0.2"),
        ("10.0.0.2", [], "10.0.0.2"),
        # Not a configured proxy: its header is the client's own claim.
        ("192.0.2.1", ["203.0.113.9"], "192.0.2.1"),
    ],
)
def test_forwarded_client_takes_the_rightmost_untrusted_address(
    peer: str, header: list[str], expected: str
) -> None:
    from ipaddress import ip_network

    trusted = [] if peer == "127.0.0.1" else [ip_network("10.0.0.0/24")]
    assert forwarded_client(peer, header, trusted) == expected
