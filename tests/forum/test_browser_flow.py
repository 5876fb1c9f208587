"""The issue's "must show" in real Chromium: register, ask (traceback), reply, vote, accept."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_demo import chromium

TRACEBACK = """Running the test cell gives:

```
AssertionError                            Traceback (most recent call last)
---> 16 rnn_forward_test(rnn_forward)
AssertionError: Wrong values in a_next
```"""


def _register(page: Any, base: str, username: str) -> None:
    page.goto(base + "/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "a-long-password")
    page.click("form.stack button")
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_register_ask_reply_vote_accept_in_chromium(live_server: Any) -> None:
    from sqlmodel import Session

    from core.db import get_engine
    from forum.models import Assignment, Course

    with Session(get_engine()) as s:
        course = Course(slug="seq", title="Sequence Models")
        s.add(course)
        s.flush()
        assert course.id is not None
        s.add(Assignment(course_id=course.id, slug="rnn", title="Building an RNN", position=1))
        s.commit()
    base = live_server.url
    with chromium() as browser:
        asker = browser.new_context().new_page()
        helper = browser.new_context().new_page()
        for page in (asker, helper):
            page.on("dialog", lambda d: d.accept())
        _register(asker, base, "asker")
        _register(helper, base, "helper")

        # Ask from the assignment page's button, with a pasted traceback.
        asker.goto(base + "/courses/seq/assignments/rnn")
        asker.click("text=New question")
        asker.fill("input[name=title]", "rnn_forward: Wrong values in a_next")
        asker.fill("textarea[name=body]", TRACEBACK)
        asker.click("text=Post question")
        asker.wait_for_selector("h1:has-text('rnn_forward: Wrong values in a_next')")
        thread_url = asker.url
        assert "AssertionError: Wrong values in a_next" in asker.inner_text("pre code")

        # Another learner replies and up-votes the question.
        helper.goto(thread_url)
        helper.fill("textarea[name=body]", "Set `a_next = a0` **before** the loop.")
        helper.click("text=Post reply")
        helper.wait_for_selector("text=before")
        helper.locator("article.post").first.locator("button[aria-label='Vote up']").click()
        helper.wait_for_load_state()
        assert helper.locator("article.post").first.locator(".score").inner_text() == "1"

        # The asker up-votes and accepts the reply.
        asker.goto(thread_url)
        reply = asker.locator("article.post").nth(1)
        reply.locator("button[aria-label='Vote up']").click()
        asker.wait_for_load_state()
        reply = asker.locator("article.post").nth(1)
        assert reply.locator(".score").inner_text() == "1"
        reply.locator("text=Accept answer").click()
        asker.wait_for_selector("text=✓ accepted answer")
        assert "answered" in asker.inner_text(".thread-head")
