"""Issue #19 in real Chromium at 1280 and 390 px: the composer (preview, counter, inline errors
that scroll and focus, drafts, the thread's address after a refused reply) and HTML error pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_demo import chromium, sign_in

WIDTHS = [(1280, 900), (390, 844)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _seed(username: str) -> int:
    from sqlmodel import Session

    from core.db import get_engine
    from forum import service
    from forum.models import Assignment, Course
    from users.auth import create_user
    from users.models import UserCreate

    with Session(get_engine(), expire_on_commit=False) as s:
        course = Course(slug="seq", title="Sequence Models")
        s.add(course)
        s.flush()
        assert course.id is not None
        a = Assignment(course_id=course.id, slug="rnn", title="Building an RNN", position=1)
        s.add(a)
        s.commit()
        user = create_user(
            session=s, user_create=UserCreate(username=username, password="a-long-password")
        )
        thread = service.create_thread(
            session=s, user=user, course=course, assignment=a,
            title="rnn_forward gives wrong a_next", body="Details\n\n" * 80, ip=None,
        )  # fmt: skip
        assert thread.id is not None
        return thread.id


def _sign_in(page: Any, base: str, username: str) -> None:
    sign_in(page, base, username, password="a-long-password")


def _in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.browser
@pytest.mark.parametrize("size", WIDTHS, ids=["1280", "390"])
def test_reply_composer_errors_preview_and_draft(
    live_server: Any, browser: Any, size: tuple[int, int]
) -> None:
    tid = _seed("writer")
    base = live_server.url
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _sign_in(page, base, "writer")
    page.goto(f"{base}/threads/{tid}")

    # An empty reply: the error is next to the box, in view, and the box has the focus.
    page.fill("#reply-body", "   ")
    page.click("text=Post reply")
    error = page.locator("#body-error")
    assert error.is_visible() and "The reply is empty" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "reply-body"
    assert _in_view(page, "#body-error")
    assert page.url == f"{base}/threads/{tid}"

    # Live preview through the server's sanitizer: Markdown renders, markup stays text.
    page.fill("#reply-body", "Use **np.tanh** <img src=x onerror=alert(1)>")
    page.wait_for_selector(".preview-body strong")
    assert page.inner_text(".preview-body strong") == "np.tanh"
    assert page.locator(".preview-body img").count() == 0 and not dialogs

    # The draft survives leaving the page and is gone once posted.
    page.goto(f"{base}/threads/{tid}")
    assert page.input_value("#reply-body").startswith("Use **np.tanh**")
    page.fill("#reply-body", "Set `a_next = a0` before the loop.")
    page.click("text=Post reply")
    page.wait_for_selector("text=before the loop")
    page.goto(f"{base}/threads/{tid}")
    assert page.input_value("#reply-body") == ""


@pytest.mark.browser
@pytest.mark.parametrize("size", WIDTHS, ids=["1280", "390"])
def test_server_refused_reply_keeps_the_thread_address(
    live_server: Any, browser: Any, size: tuple[int, int]
) -> None:
    tid = _seed("writer")
    base = live_server.url
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    _sign_in(page, base, "writer")
    page.goto(f"{base}/threads/{tid}")
    # Bypass the page's own check, as a browser without scripts would.
    page.evaluate("document.getElementById('composer').noValidate = true")
    page.evaluate(
        "document.getElementById('composer').addEventListener('submit', e => "
        "e.stopImmediatePropagation(), true)"
    )
    page.fill("#reply-body", " ")
    page.click("text=Post reply")
    page.wait_for_selector("#body-error:not([hidden])")
    page.wait_for_load_state("load")
    assert "The reply is empty" in page.inner_text("#body-error")
    assert page.url.split("#")[0] == f"{base}/threads/{tid}"
    assert page.evaluate("document.activeElement.id") == "reply-body"
    assert _in_view(page, "#body-error")
    # Reloading the form's own address (as the old page left it) shows the thread.
    page.goto(f"{base}/threads/{tid}/reply")
    assert page.url == f"{base}/threads/{tid}"
    assert page.locator("h1").inner_text() == "rnn_forward gives wrong a_next"


@pytest.mark.browser
@pytest.mark.parametrize("size", WIDTHS, ids=["1280", "390"])
def test_new_question_title_counter_and_suggestion_box_placement(
    live_server: Any, browser: Any, size: tuple[int, int]
) -> None:
    _seed("writer")
    base = live_server.url
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    _sign_in(page, base, "writer")
    page.goto(f"{base}/threads/new")
    page.select_option("#thread-course", "seq/rnn")
    # No silent cut at 200: all 205 characters stay, the counter says how many too many.
    page.fill("#thread-title", "x" * 205)
    assert page.input_value("#thread-title") == "x" * 205
    assert "205 / 200" in page.inner_text("#title-count")
    assert "5 too many" in page.inner_text("#title-count")
    page.fill("#thread-body", "What I ran")
    page.click("text=Post question")
    assert "longer than 200 characters" in page.inner_text("#title-error")
    assert page.evaluate("document.activeElement.id") == "thread-title"
    assert page.url == f"{base}/threads/new"
    # The suggestions' box comes right after the title, before the question's body.
    order = page.evaluate(
        "[...document.querySelectorAll('#thread-title, #similar, #thread-body')].map(e => e.id)"
    )
    assert order == ["thread-title", "similar", "thread-body"]
    sim = page.locator("#similar").evaluate("e => { e.hidden = false; return 0 }")
    assert sim == 0
    box = page.locator("#similar").bounding_box()
    title = page.locator("#thread-title").bounding_box()
    assert box is not None and title is not None
    if size[0] >= 900:  # beside the title
        assert box["x"] > title["x"] + title["width"] - 1
    else:  # right below it, above the fold
        assert box["y"] >= title["y"] + title["height"] and box["y"] < size[1]


@pytest.mark.browser
@pytest.mark.parametrize("size", WIDTHS, ids=["1280", "390"])
def test_bad_addresses_show_pages_and_username_rule(
    live_server: Any, browser: Any, size: tuple[int, int]
) -> None:
    base = live_server.url
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    for path in ("/threads/abc", "/no/such/page"):
        response = page.goto(base + path)
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        assert "detail" not in page.content()
    page.goto(base + "/register")
    hint = page.inner_text("#username-hint")
    assert "letters, digits, dots, hyphens and underscores" in hint
    assert "letters, digits" in (page.get_attribute("#username", "title") or "")
    # The server says the same when the browser's check is bypassed.
    page.evaluate("document.querySelector('form.stack').noValidate = true")
    page.fill("#username", "bad name!")
    page.fill("input[name=password]", "a-long-password")
    page.click("form.stack button")
    assert "letters, digits, dots, hyphens and underscores" in page.inner_text(".alert-error")
