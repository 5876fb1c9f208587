"""The notebook client on its own: configuration, asking over HTTP, and the panel it renders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant import notebook as nb
from tests.notebook.conftest import StubAskServer, closed_port_url

pytestmark = pytest.mark.nodb


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "CHECKFIRST_URL",
        "CHECKFIRST_TOKEN",
        "CHECKFIRST_COURSE",
        "CHECKFIRST_ASSIGNMENT",
        "CHECKFIRST_NOTEBOOK_VERSION",
        "CHECKFIRST_TIMEOUT",
        "JPY_SESSION_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_client_imports_no_server_or_torch_modules() -> None:
    import subprocess

    code = (
        "import sys, assistant.notebook\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'core', 'users', 'app', 'index', 'forum', 'errata',"
        " 'sentence_transformers', 'fastapi')]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_config_reads_env_then_file_then_notebook_metadata(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECKFIRST_URL", "http://help.example")
    monkeypatch.setenv("CHECKFIRST_COURSE", "env-course")
    monkeypatch.setenv("CHECKFIRST_ASSIGNMENT", "env-assignment")
    monkeypatch.setenv("CHECKFIRST_TIMEOUT", "3.5")
    (clean_env / ".checkfirst.json").write_text(json.dumps({"course": "file-course"}))
    notebook = clean_env / "rnn.ipynb"
    notebook.write_text(
        json.dumps({"metadata": {"checkfirst": {"assignment": "rnn", "version": "3a"}}})
    )
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))

    config = nb.load_config()

    assert config.url == "http://help.example"
    assert config.course == "file-course"
    assert config.assignment == "rnn"
    assert config.notebook_version == "3a"
    assert config.timeout == 3.5


def test_config_ignores_broken_config_file(clean_env: Path) -> None:
    (clean_env / ".checkfirst.json").write_text("{not json")
    assert nb.load_config().course == ""


def test_ask_sends_question_context_and_token(stub_ask: StubAskServer) -> None:
    config = nb.Config(url=stub_ask.url, token="cfw_secret", course="dl", notebook_version="3a")
    result = nb.ask(config, {"question": "AssertionError: Wrong values in a_next", "output": ""})
    assert result["verdict"] == "known_erratum"
    sent = stub_ask.requests[0]
    assert sent["path"] == "/api/v1/ask"
    assert sent["auth"] == "Bearer cfw_secret"
    assert sent["body"] == {
        "question": "AssertionError: Wrong values in a_next",
        "course": "dl",
        "notebook_version": "3a",
    }


def test_ask_trims_huge_traceback_to_its_end(stub_ask: StubAskServer) -> None:
    traceback = "x" * 50_000 + "AssertionError: Wrong values in a_next"
    nb.ask(nb.Config(url=stub_ask.url), {"question": "q", "traceback": traceback})
    sent = stub_ask.requests[0]["body"]["traceback"]
    assert len(sent) == nb.MAX_FIELD_CHARS
    assert sent.endswith("Wrong values in a_next")


def test_ask_server_down_raises_lookup_failed() -> None:
    with pytest.raises(nb.LookupFailed):
        nb.ask(nb.Config(url=closed_port_url(), timeout=1), {"question": "q"})


def test_ask_slow_server_times_out(stub_ask: StubAskServer) -> None:
    stub_ask.delay = 1.5
    with pytest.raises(nb.LookupFailed, match="no answer within"):
        nb.ask(nb.Config(url=stub_ask.url, timeout=0.3), {"question": "q"})


def test_ask_trickling_server_is_cut_off_as_a_whole(stub_ask: StubAskServer) -> None:
    stub_ask.trickle = 3.0
    with pytest.raises(nb.LookupFailed, match="no answer within 0.5 s"):
        nb.ask(nb.Config(url=stub_ask.url, timeout=0.5), {"question": "q"})


def test_ask_server_error_reports_status_and_detail(stub_ask: StubAskServer) -> None:
    stub_ask.status = 503
    with pytest.raises(nb.LookupFailed, match="HTTP 503: Something broke"):
        nb.ask(nb.Config(url=stub_ask.url), {"question": "q"})


def test_ask_without_url_says_what_to_set() -> None:
    with pytest.raises(nb.LookupFailed, match="CHECKFIRST_URL"):
        nb.ask(nb.Config(), {"question": "q"})


def test_panel_escapes_server_text_and_drops_unsafe_links() -> None:
    result = {
        "verdict": "known_erratum<script>",
        "answer": "<img src=x onerror=alert(1)> see [1]",
        "sources": [
            {
                "type": "erratum",
                "title": "<script>alert(1)</script>",
                "url": "javascript:alert(1)",
                "status": 'verified" onmouseover="x',
                "snippet": "<b>bold</b>",
            },
            {"type": "thread", "title": "ok", "url": "/threads/3", "status": "answered"},
        ],
    }
    panel = nb.render_panel(result, "http://help.example")
    assert "<script" not in panel
    assert "<img" not in panel
    assert "<b>" not in panel
    assert "javascript:" not in panel
    assert 'onmouseover="' not in panel
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    assert 'href="http://help.example/threads/3"' in panel


def test_panel_shows_verdict_title_badge_snippet_and_absolute_link() -> None:
    from tests.notebook.conftest import KNOWN_ERRATUM_ANSWER

    panel = nb.render_panel(KNOWN_ERRATUM_ANSWER, "http://127.0.0.1:8000/")
    assert "Known erratum" in panel
    assert "rnn_cell_forward: expected a_next values are wrong in v2" in panel
    assert ">verified</span>" in panel
    assert "The published a_next was computed with the old weights." in panel
    assert 'href="http://127.0.0.1:8000/errata/7"' in panel
    text = nb.render_text(KNOWN_ERRATUM_ANSWER, "http://127.0.0.1:8000")
    assert "[verified] rnn_cell_forward" in text
    assert "http://127.0.0.1:8000/errata/7" in text


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/errata/1", "http://h.example/errata/1"),
        ("https://other.example/x", "https://other.example/x"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("//evil.example/x", "http://evil.example/x"),
        ("", None),
        (None, None),
    ],
)
def test_safe_link_allows_only_http_urls(href: object, expected: str | None) -> None:
    assert nb.safe_link(href, "http://h.example") == expected


@pytest.mark.parametrize(
    ("output", "failed"),
    [
        ("Wrong values in a_next\n", True),
        ("Error: Wrong output for variable 0.\n", True),
        ("2 Tests passed\n1 Tests failed\n", True),
        ("All tests passed.\n0 tests failed\n", False),
        ("a_next[4] = [0.5 0.2]\n", False),
    ],
)
def test_failure_lines_spot_failed_checks(output: str, failed: bool) -> None:
    assert bool(nb.failure_lines(output)) is failed


def test_summary_line_drops_markdown_and_citations() -> None:
    answer = "This is a **known erratum** [1]: the `a_next` is wrong.\n\nMore text."
    assert nb.summary_line(answer) == "This is a known erratum: the a_next is wrong."


def test_configure_magic_rejects_unknown_keys_and_overrides() -> None:
    ext = nb.Checkfirst(shell=None)
    assert "unknown setting colour" in ext.configure("colour=blue")
    assert "is not key=value" in ext.configure("course")
    shown = ext.configure("course=dl version=3a token=cfw_abcdefghijkl")
    assert "course=dl" in shown
    assert "notebook_version=3a" in shown
    assert "cfw_abcd…" in shown
    assert "cfw_abcdefghijkl" not in shown
