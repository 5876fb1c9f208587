"""In a real Chromium: similar errata appear while typing a report; a moderator verifies it in
the queue with one click; hostile erratum text fires no dialog and nothing breaks the CSP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_demo import chromium, sign_in
from tests.errata.conftest import World


@pytest.mark.browser
def test_report_with_suggestions_then_verify_from_queue(
    live_server: Any, world: World, report: Any
) -> None:
    report(
        title='lstm_forward <img src=x onerror="alert(1)"> output is wrong',
        location="lstm_forward",
    )
    base = live_server.url
    dialogs: list[str] = []
    csp: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on(
            "console",
            lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
        )

        sign_in(page, base, world.other_learner.username, password="correct horse 1")
        page.goto(
            f"{base}/errata/report?course={world.course.slug}&assignment={world.assignment.slug}"
        )
        page.fill("#erratum-title", "my lstm_forward output differs")
        page.wait_for_selector("#similar-errata li", timeout=10_000)
        assert "lstm_forward" in page.inner_text("#similar-errata")
        page.fill("#erratum-title", "conv_single_step: expected Z is -6.999 not -7")
        page.fill("textarea[name=published_output]", "Z = -6.99908945068")
        page.fill("textarea[name=corrected_output]", "Z = -7.0")
        page.click("#erratum-form button")
        page.wait_for_url("**/errata/*")
        assert "conv_single_step" in page.inner_text("h1")
        erratum_url = page.url

        page.goto(base + "/errata/1")
        assert "<img" in page.inner_text("h1")  # shown as text
        page.click("text=Affects me too")
        page.wait_for_load_state("load")
        assert "Affects me (undo)" in page.content()

        page.context.clear_cookies()
        sign_in(page, base, world.instructor.username, password="correct horse 1")
        page.goto(base + "/moderation")
        item = page.locator(".queue-item", has_text="conv_single_step")
        item.locator("button", has_text="Verify").click()
        # Back on the queue, which confirms the move and offers Undo (?done=...).
        page.wait_for_url("**/moderation?*")
        assert "Undo" in page.inner_text("main")
        page.goto(erratum_url)
        assert "Verified by the course staff" in page.content()
        assert dialogs == [] and csp == []
