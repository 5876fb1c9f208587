"""The "Stuck? Ask" widget in real headless Chromium, embedded on pages of other origins.

The API runs on http://127.0.0.1:<p1>; the host pages on http://localhost:<p2> (allow-listed)
and http://localhost:<p3> (not). Both origins are real servers on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.notebook.conftest import (
    CHROMIUM_ARGS,
    ERRATUM_TITLE,
    StaticSite,
    host_page,
    start_help_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.model]

QUESTION = "rnn_cell_forward_test fails: AssertionError: Wrong values in a_next"


def test_widget_answers_on_allowed_origin_and_is_refused_elsewhere(
    test_env: dict[str, str],
    known_erratum: dict[str, Any],
    token_for: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    token = token_for(known_erratum["learner"], "widget")["Authorization"][7:]
    allowed_root, other_root = tmp_path / "allowed", tmp_path / "other"
    allowed_root.mkdir()
    other_root.mkdir()
    with StaticSite(allowed_root) as allowed, StaticSite(other_root) as other:
        server = start_help_server(
            test_env,
            tmp_path / "server",
            {"CHECKFIRST_CORS_ORIGINS": json.dumps([allowed.origin])},
        )
        try:
            for root in (allowed_root, other_root):
                (root / "index.html").write_text(host_page(server.url, token))
            dialogs: list[str] = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page_errors: list[str] = []
                page.on("pageerror", lambda e: page_errors.append(str(e)))

                # Allowed origin: open with the keyboard, ask, read the answer and its links.
                page.goto(allowed.origin + "/index.html")
                opener = page.get_by_role("button", name="Stuck? Ask")
                expect(opener).to_be_visible()
                assert page_errors == []
                background = opener.evaluate("b => getComputedStyle(b).backgroundColor")
                assert background == "rgb(36, 87, 197)"  # the host's red !important stays out
                opener.focus()
                page.keyboard.press("Enter")
                question = page.get_by_label("Your question, error message or traceback")
                expect(question).to_be_focused()
                question.fill(QUESTION)
                page.get_by_role("button", name="Ask", exact=True).click()
                link = page.get_by_role("link", name=ERRATUM_TITLE)
                expect(link).to_be_visible(timeout=30_000)
                href = link.get_attribute("href")
                assert href == f"{server.url}/errata/{known_erratum['erratum_id']}"
                expect(page.get_by_text("Known erratum")).to_be_visible()
                expect(page.locator("[data-checkfirst-widget] .cf-badge").first).to_have_text(
                    "verified"
                )
                # Escape closes the panel and gives focus back to the button.
                page.keyboard.press("Escape")
                expect(question).to_be_hidden()
                expect(opener).to_be_focused()
                expect(opener).to_have_attribute("aria-expanded", "false")

                # The link opens the erratum's page, and the API knows the same item.
                erratum_page = httpx.get(href, timeout=10)  # type: ignore[arg-type]
                assert erratum_page.status_code == 200
                assert ERRATUM_TITLE in erratum_page.text
                item = httpx.get(
                    f"{server.url}/api/v1/errata/{known_erratum['erratum_id']}", timeout=10
                )
                assert item.status_code == 200
                assert item.json()["title"] == ERRATUM_TITLE

                # Not allow-listed: the browser refuses the call; no answer, a clear error.
                page.goto(other.origin + "/index.html")
                page.get_by_role("button", name="Stuck? Ask").click()
                page.get_by_label("Your question, error message or traceback").fill(QUESTION)
                page.get_by_role("button", name="Ask", exact=True).click()
                expect(page.get_by_role("status")).to_contain_text(
                    "Couldn't reach the help server", timeout=30_000
                )
                expect(page.get_by_role("link", name=ERRATUM_TITLE)).to_have_count(0)
                browser.close()
            assert dialogs == []

            preflight = httpx.options(
                server.url + "/api/v1/ask",
                headers={
                    "Origin": other.origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            assert "access-control-allow-origin" not in preflight.headers
            ok = httpx.options(
                server.url + "/api/v1/ask",
                headers={"Origin": allowed.origin, "Access-Control-Request-Method": "POST"},
            )
            assert ok.headers["access-control-allow-origin"] == allowed.origin
        finally:
            server.stop()


HOSTILE_ANSWER = {
    "answer": '<img src=x onerror="alert(1)"> **see** [1] <script>alert(2)</script>',
    "verdict": "known_erratum",
    "sources": [
        {
            "type": "erratum",
            "id": 1,
            "title": "<img src=x onerror=alert(3)>Hostile title",
            "url": "javascript:alert(4)",
            "status": "verified<script>",
            "score": 1.0,
            "snippet": "<svg onload=alert(5)>",
        },
        {
            "type": "thread",
            "id": 2,
            "title": "A fine thread",
            "url": "/threads/2",
            "status": "answered",
            "score": 0.5,
            "snippet": "Plain text.",
        },
    ],
}


@pytest.mark.nodb
def test_widget_renders_hostile_server_text_as_text(stub_ask: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    stub_ask.reply = HOSTILE_ANSWER
    (tmp_path / "index.html").write_text(host_page(stub_ask.url, "cfw_example"))
    with StaticSite(tmp_path) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(site.origin + "/index.html")
        page.get_by_role("button", name="Stuck? Ask").click()
        page.get_by_label("Your question, error message or traceback").fill("anything")
        page.keyboard.press("Control+Enter")
        expect(page.get_by_text("Hostile title", exact=False)).to_be_visible()
        # The javascript: URL is shown as text, not made a link; the relative one is resolved.
        expect(
            page.get_by_role("link", name="<img src=x onerror=alert(3)>Hostile title")
        ).to_have_count(0)
        good = page.get_by_role("link", name="A fine thread")
        assert good.get_attribute("href") == f"{stub_ask.url}/threads/2"
        counts = page.evaluate(
            """() => {
              const root = document.querySelector('[data-checkfirst-widget]').shadowRoot;
              return {
                img: root.querySelectorAll('img').length,
                script: root.querySelectorAll('script').length,
                svg: root.querySelectorAll('svg').length,
                js: [...root.querySelectorAll('a')]
                  .filter(a => a.href.startsWith('javascript')).length,
              };
            }"""
        )
        assert counts == {"img": 0, "script": 0, "svg": 0, "js": 0}
        page.wait_for_timeout(300)
        browser.close()
    assert dialogs == []
    assert stub_ask.requests[0]["auth"] == "Bearer cfw_example"
    assert stub_ask.requests[0]["body"] == {
        "question": "anything",
        "course": "dl",
        "assignment": "rnn",
        "notebook_version": "2",
    }
