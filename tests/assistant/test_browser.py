"""The /ask chat in real Chromium: ask, see a cited answer, follow up, rate it; no XSS."""

from __future__ import annotations

from typing import Any

import pytest

from tests.assistant.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.model]

LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def test_ask_page_chat_answers_with_citations_in_chromium(world: World, live_server: Any) -> None:
    from playwright.sync_api import sync_playwright

    base = live_server.url
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base + "/ask?course=dl-seq")
            page.fill(
                "#ask-question",
                "lstm_backward_test fails with Wrong values for dWf although the code is right",
            )
            page.fill("#ask-version", "3")
            page.click("#ask-submit")
            answer = page.locator(".ask-answer").first
            answer.wait_for(timeout=60_000)
            assert "Wrong values for dWf" in answer.inner_text()
            links = answer.locator(".ask-sources a")
            assert links.count() >= 1
            assert links.first.get_attribute("href").startswith("/errata/")  # type: ignore[union-attr]

            # A follow-up in the same conversation updates the version.
            page.fill("#ask-question", "I'm on version 3a now")
            page.click("#ask-submit")
            page.locator(".ask-answer").nth(1).wait_for(timeout=60_000)
            assert page.input_value("#ask-version") == "3a"
            assert "fixed in your version" in page.locator(".ask-answer").nth(1).inner_text()

            # Feedback is stored and acknowledged.
            page.locator(".ask-answer").nth(1).locator("text=Yes").click()
            page.locator("text=Thanks for the feedback.").wait_for(timeout=10_000)

            # Chat input with markup is shown as text, never run.
            page.click("#ask-new")
            payload = '<img src=x onerror="alert(1)"><script>alert(2)</script> softmax yt_pred'
            page.fill("#ask-question", payload)
            page.click("#ask-submit")
            page.locator(".ask-answer").first.wait_for(timeout=60_000)
            assert payload in page.locator(".ask-mine").first.inner_text()
            assert dialogs == []
            assert not [e for e in errors if "Content Security Policy" in e]
        finally:
            browser.close()
