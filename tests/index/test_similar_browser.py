""" "Similar threads and errata" while typing a question, and "related" on a thread page, in
real headless Chromium against a real server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.index.conftest import Forum

pytestmark = [pytest.mark.browser, pytest.mark.model]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def test_similar_shown_while_typing_and_related_on_thread(
    forum: Forum, make_user: Any, test_env: dict[str, str]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    erratum = forum.erratum(
        "lstm_forward expected output for a_next is wrong",
        "The expected a_next values printed in the notebook come from an old seed.",
        status="verified",
    )
    thread = forum.thread(
        "LSTM forward gives slightly different numbers",
        "My lstm_forward output for a_next differs from the expected output in the 3rd decimal.",
    )
    make_user("typist", "learner")
    server = LiveServer(test_env).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/login?next=/threads/new")
            page.fill("input[name=username]", "typist")
            page.fill("input[name=password]", "correct horse 1")
            page.locator("form:has(input[name=password]) button").click()
            page.wait_for_url("**/threads/new")
            # Suggestions are scoped to the course the question is about, as a learner picks it.
            page.select_option("select[name=course]", value=forum.course.slug)
            page.fill("input[name=title]", "my LSTM output is off by a bit")
            link = page.locator("#similar a", has_text=erratum.title)
            expect(link).to_be_visible(timeout=60_000)
            assert link.get_attribute("href") == f"/errata/{erratum.id}"
            expect(page.locator("#similar .badge-verified")).to_have_text("verified")

            page.goto(f"{server.url}/threads/{thread.id}")
            related = page.locator("#related a", has_text=erratum.title)
            expect(related).to_be_visible(timeout=30_000)
            assert errors == []
            browser.close()
    finally:
        server.stop()
