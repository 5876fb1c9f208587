"""One full launch in headless Chromium, inside the platform's iframe as Canvas and Moodle
show tools: the platform's auto-submitting form, the redirects, the landing page signed in.

The platform is served as ``localhost`` and Checkfirst as ``127.0.0.1``: two sites, so the
launch's cookies must be ``SameSite=None; Secure`` (Chromium keeps Secure cookies from
loopback over http, hence CHECKFIRST_LTI_IFRAME_COOKIES_OVER_HTTP) and the landing page's
``frame-ancestors`` must name the platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import LiveServer
from tests.lti.conftest import register
from tests.lti.platform import LEARNER, Platform, Scenario


@pytest.fixture(scope="module")
def tool(test_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(test_env, {"CHECKFIRST_LTI_IFRAME_COOKIES_OVER_HTTP": "true"})
    server.env["CHECKFIRST_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def lms(tool: LiveServer) -> Iterator[Platform]:
    # One platform for the module: the tool keeps its frame-ancestors origins for a while.
    platform = Platform(tool.url, host="localhost").start()
    yield platform
    platform.stop()


@pytest.fixture()
def platform(lms: Platform, db: None) -> Platform:
    register(lms)
    return lms


def _scenario() -> Scenario:
    return Scenario(
        user_id="lms-42", roles=[LEARNER], name="Ada Lovelace",
        custom={"assignment": "rnn", "notebook_version": "3"},
    )  # fmt: skip


def _assert_landed(page: Any, tool: LiveServer) -> None:
    page.locator("h1", has_text="Building an RNN").wait_for(timeout=30_000)
    header = page.locator("header").inner_text()
    assert "Ada Lovelace" in header and "Sign out" in header  # signed in as the new account
    assert page.url == tool.url + "/courses/seq/assignments/rnn"


@pytest.mark.browser
def test_launch_in_chromium_lands_signed_in_on_the_assignment(
    tool: LiveServer, platform: Platform
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = browser.new_context().new_page()
            posts: list[str] = []
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            # The learner clicks the link in the LMS.
            page.goto(platform.start_url(_scenario()))
            _assert_landed(page, tool)
            # The platform's form was posted by its own script to the launch URL.
            assert posts == [tool.url + "/lti/launch"]
        finally:
            browser.close()


@pytest.mark.browser
def test_launch_in_the_platform_iframe_without_third_party_cookies_opens_a_new_tab(
    tool: LiveServer, platform: Platform
) -> None:
    """Chromium's fresh contexts block third-party cookies, so the iframe cannot keep the
    launch's state: the tool says so and the same launch completes in a new tab."""
    from playwright.sync_api import sync_playwright

    course = f"{platform.url}/course?src={quote(platform.start_url(_scenario()), safe='')}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(course)
            frame = page.frame_locator("#tool")
            button = frame.get_by_role("link", name="Open in a new tab")
            button.wait_for(timeout=30_000)
            with context.expect_page() as new_tab:
                button.click()
            _assert_landed(new_tab.value, tool)
        finally:
            browser.close()
