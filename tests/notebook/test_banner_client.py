"""The known-errata lookup and banner on their own, against a stand-in server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import checkfirst_notebook as nb
import pytest
from checkfirst_notebook import transport

from tests.notebook.conftest import StubAskServer

pytestmark = pytest.mark.nodb

KNOWN: dict[str, Any] = {
    "course": "dl",
    "assignment": "rnn",
    "version": "2",
    "current_version": "3",
    "data": [
        {
            "id": 7,
            "title": "rnn_cell_forward: expected a_next is wrong",
            "location": "rnn_cell_forward",
            "kind": "wrong_expected_output",
            "status": "verified",
            "workaround": "Ignore the check.",
            "url": "/errata/7",
            "fixed_in": None,
            "fixed_in_your_version": False,
        }
    ],
    "count": 1,
}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    transport._KNOWN_CACHE.clear()


def _config(url: str, **kw: Any) -> nb.Config:
    return nb.Config(url=url, course="dl", assignment="rnn", notebook_version="2", **kw)


def test_known_errata_asks_again_with_if_none_match_and_uses_the_cache_on_304(
    stub_ask: StubAskServer,
) -> None:
    stub_ask.known = KNOWN
    first = nb.known_errata(_config(stub_ask.url))
    second = nb.known_errata(_config(stub_ask.url))
    assert first == second == KNOWN
    [a, b] = stub_ask.known_requests
    assert a["path"] == "/api/v1/courses/dl/assignments/rnn/known-errata?version=2"
    assert a["if_none_match"] is None
    assert b["if_none_match"] and b["if_none_match"].startswith('"')


def test_known_errata_lookup_is_bounded_by_the_short_timeout(stub_ask: StubAskServer) -> None:
    stub_ask.known, stub_ask.delay = KNOWN, 3.0
    with pytest.raises(nb.LookupFailed) as failed:
        nb.known_errata(_config(stub_ask.url, timeout=30))
    assert failed.value.reason == "no answer within 1.5 s"


def test_known_errata_sends_no_token(stub_ask: StubAskServer) -> None:
    stub_ask.known = KNOWN
    config = _config(stub_ask.url, token="cfw_secret")
    config.url_source = config.token_source = "the environment"
    nb.known_errata(config)
    assert stub_ask.known_requests[0]["auth"] is None


def test_path_segments_are_quoted() -> None:
    config = nb.Config(
        url="https://h.example/", course="d/l", assignment="a?b", notebook_version="3 a"
    )
    assert nb.known_errata_url(config) == (
        "https://h.example/api/v1/courses/d%2Fl/assignments/a%3Fb/known-errata?version=3%20a"
    )


def test_banner_escapes_text_and_makes_only_http_links() -> None:
    hostile = dict(KNOWN["data"][0])
    hostile.update(
        title="<img src=x onerror=alert(1)>",
        location="</code><b>x</b>",
        workaround="<script>alert(2)</script>",
        url="javascript:alert(3)",
    )
    html = nb.render_banner({"data": [hostile]}, "http://127.0.0.1:1", "rnn v2")
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html and "href" not in html


def test_checkfirst_errata_without_context_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CHECKFIRST_COURSE", "CHECKFIRST_ASSIGNMENT", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHECKFIRST_URL", "http://127.0.0.1:1")
    monkeypatch.chdir(tmp_path)
    ext = nb.Checkfirst(SimpleNamespace(user_ns={}))
    ext.show_known_errata(on_demand=False)
    assert capsys.readouterr().out == ""
    ext.show_known_errata(on_demand=True)
    assert capsys.readouterr().out.startswith("Checkfirst: set the course and assignment first")
