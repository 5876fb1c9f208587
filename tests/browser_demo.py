"""The demo programme served over real HTTP, and Debian's Chromium to look at it: shared by
the browser journeys of the search page, the Ask page and the accessibility audit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = (DESKTOP, PHONE)
DEMO_PASSWORD = "checkfirst-demo"


@contextmanager
def demo_server(test_env: dict[str, str]) -> Iterator[LiveServer]:
    """Load the demo, index it once in this process (vectors are stored in the database, so
    the server loads rather than re-encodes them), then serve it."""
    from app.demo import load_demo
    from app.indexing import register_loaders
    from index.runtime import get_runtime

    load_demo()
    register_loaders()
    runtime = get_runtime()
    runtime.rebuild_now()
    # The server runs its index as in production (loaded from the snapshot just saved).
    server = LiveServer(test_env, {"CHECKFIRST_INDEX_ENABLED": "true"}).start()
    try:
        _wait_ready(server.url)
        yield server
    finally:
        server.stop()
        runtime.reset()


def _wait_ready(url: str, attempts: int = 300) -> None:
    import httpx

    for _ in range(attempts):  # bounded: about a minute
        if httpx.get(url + "/readyz", timeout=5).status_code == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("the demo server's index did not become ready")


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(
    page: Any, base: str, username: str, next_path: str = "/", *, password: str = DEMO_PASSWORD
) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) button").click()
    # Wait for the redirect itself: "**/" would already match "/login?next=/" before it.
    path = urlsplit(next_path).path
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def within_width(page: Any, locator: Any) -> bool:
    """The element is laid out inside the viewport's width (nothing cut off at the sides)."""
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def in_viewport(page: Any, locator: Any) -> bool:
    """The element is on screen as the page stands: inside the width, not below the fold, and
    not hidden under anything (a sticky header)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        within_width(page, locator)
        and box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and bool(locator.evaluate(_UNCOVERED))
    )


# Each line box of the element (a link may wrap onto two lines), probed at its centre.
_UNCOVERED = """el => [...el.getClientRects()].some(r => {
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && (hit === el || el.contains(hit));
})"""
