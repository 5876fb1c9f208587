"""Excerpts quoted in an answer read as the reply reads on its page (issue #13, item 5).

A reply's Markdown was escaped as it was, so ``**3a**`` showed as literal asterisks in the
answer; now the excerpt is the rendered text (emphasis, link targets and list markers gone),
escaped, and the text itself is still never run as Markdown.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from assistant.markdown_text import escape_markdown, markdown_to_text
from core.markdown import render
from tests.assistant.conftest import World


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("Fixed in **3a**, update.", "Fixed in 3a, update."),
        ("Use `x[:, :, t]` _before_ the call", "Use x[:, :, t] before the call"),
        ("See [the erratum](https://example.org/e/3).", "See the erratum."),
        ("- first\n- second", "first second"),
        ("# Heading\n\nbody", "Heading body"),
        ("```\ncode()\n```", "code()"),
        ("<b>tag</b> stays text", "<b>tag</b> stays text"),
    ],
)
def test_markdown_to_text_keeps_what_a_reader_sees(markdown: str, text: str) -> None:
    assert markdown_to_text(markdown) == text


@pytest.mark.nodb
def test_plain_excerpt_escaped_renders_without_markup() -> None:
    html = str(
        render(escape_markdown(markdown_to_text("Fixed in **3a**: [x](https://evil.example)")))
    )
    assert "**" not in html and "<strong>" not in html and "<a " not in html
    assert "Fixed in 3a: x" in html


@pytest.mark.model
def test_answer_quotes_a_reply_without_its_markdown_markers(
    client: TestClient, session: Session, world: World
) -> None:
    from forum.models import Post

    reply = session.get(Post, world.posts["t-shapes-a"])
    assert reply is not None
    reply.body = (
        "You are multiplying **Wax** by the whole x instead of the time slice `x[:, :, t]`. "
        "See [the notes](https://example.org/notes)."
    )
    session.add(reply)
    session.commit()

    r = client.post(
        "/api/v1/ask",
        json={"question": "ValueError: shapes (5,3) and (10,1) not aligned in rnn_forward"},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    cited = [s["external_id"] for s in data["sources"]]
    assert "t-shapes-a" in cited or "t-shapes" in cited, cited
    html = data["answer_html"]
    assert "**Wax**" not in html and "**" not in html
    assert "multiplying Wax by the whole x" in html
    assert "https://example.org/notes" not in html  # the link's words, not its target
