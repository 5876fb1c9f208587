"""Issue #11.7: report and thread text in an answer is shown as text, never run as Markdown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from assistant.markdown_text import code_fence, code_span, escape_markdown
from core.markdown import render
from tests.assistant.conftest import World

EVIL_TITLE = "[Download the corrected notebook here](https://evil.example/x) gru_cell h_next"
EVIL_LOCATION = "gru_cell` [click](https://evil.example/y) `"


@pytest.mark.model
def test_ask_answer_shows_report_title_and_location_as_text(
    client: TestClient, session: Session, world: World
) -> None:
    from errata.models import Erratum

    e = session.get(Erratum, world.errata["e-gru-reported"])
    assert e is not None
    e.title, e.location = EVIL_TITLE, EVIL_LOCATION
    session.add(e)
    session.commit()

    r = client.post(
        "/api/v1/ask",
        json={"question": "gru_cell h_next expected output uses the wrong update gate"},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert "e-gru-reported" in [s["external_id"] for s in data["sources"]]
    html = data["answer_html"]
    assert '<a href="https://evil.example' not in html
    assert "evil.example" in html  # the text is still there, as text
    assert "[Download the corrected notebook here](https://evil.example/x)" in html
    # The backtick location stays inside one code span.
    assert "<code>gru_cell` [click](https://evil.example/y) `</code>" in html


@pytest.mark.parametrize(
    "text",
    [
        EVIL_TITLE,
        "![img](https://evil.example/i.png)",
        "<https://evil.example/auto>",
        "*bold* _it_ ~~gone~~ `code` &amp; &#91;x&#93;(https://evil.example)",
        "# heading",
        "> quote",
        "- item",
        "1. first",
        "a\\[b\\]",
    ],
)
def test_escaped_text_renders_exactly_as_written(text: str) -> None:
    html = str(render(f"Title: {escape_markdown(text)}\n\n{escape_markdown(text)}"))
    assert "<a " not in html and "<img" not in html and "<em>" not in html
    assert "<h1>" not in html and "<blockquote>" not in html and "<li>" not in html
    assert "<code>" not in html


@pytest.mark.parametrize("content", ["a`b", "``x``", "`start", "end`", "x ``` y", "plain"])
def test_code_span_holds_any_backticks(content: str) -> None:
    html = str(render(f"in {code_span(content)} here"))
    assert html.count("<code>") == 1
    assert f"<code>{content}</code>" in html


def test_code_fence_is_not_closed_by_the_text() -> None:
    html = str(render("Expected:\n\n" + code_fence("a\n```\n[x](https://evil.example)\n~~~\nb")))
    assert html.count("<pre>") == 1
    assert "<a " not in html
