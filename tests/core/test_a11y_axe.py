"""Accessibility audit: axe-core (from the npm registry, tests/a11y/package-lock.json) injected
by Playwright into every kind of page of the demo programme, at desktop and phone widths, as
a moderator (who sees every page): no serious or critical violation. Also the keyboard
basics axe cannot judge: the skip link comes first, the focus ring contrasts, and vote
buttons are big enough to tap."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser_demo import PHONE, WIDTHS, chromium, demo_server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.model]
AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.id + " (" + v.impact + "): "
    + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""


def _pages(session: Any) -> dict[str, str]:
    from sqlmodel import col, select

    from errata.models import Erratum
    from forum.models import Assignment, Course, Thread

    course = session.exec(select(Course).where(Course.slug == "sequence-models")).one()
    in_course = select(Assignment).where(Assignment.course_id == course.id)
    assignment = session.exec(in_course.order_by(col(Assignment.position))).first()
    thread = session.exec(select(Thread).order_by(col(Thread.id))).first()
    erratum = session.exec(select(Erratum).order_by(col(Erratum.id))).first()
    return {
        "home": "/",
        "course": f"/courses/{course.slug}",
        "assignment": f"/courses/{course.slug}/assignments/{assignment.slug}",
        "thread": f"/threads/{thread.id}",
        "new thread": "/threads/new",
        "search": "/search?q=lstm_forward",
        "search, no results": "/search?q=qwxzv",
        "erratum": f"/errata/{erratum.id}",
        "moderation": "/moderation",
        "profile": "/profile",
        "ask": "/ask",
    }


def _relative_luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(x)) for x in css[css.index("(") + 1 : -1].split(",")[:3])


@pytest.mark.skipif(not AXE.exists() and not shutil.which("npm"), reason="needs node + npm")
def test_axe_finds_no_serious_violations_on_any_page(
    test_env: dict[str, str], session: Any
) -> None:
    assert AXE.exists(), "run: npm ci --prefix tests/a11y"
    with demo_server(test_env) as server, chromium() as browser:
        pages = _pages(session)
        found: list[str] = []
        for viewport in WIDTHS:
            # Injecting axe adds an inline script: the audit browser ignores the site's CSP.
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            page = context.new_page()
            sign_in(page, server.url, "moderator")
            for name, path in pages.items():
                page.goto(server.url + path)
                page.wait_for_load_state("networkidle")
                if name == "ask":  # audit the page with an answer on it
                    page.fill("#ask-question", "rnn_forward AssertionError: Wrong values in a_next")
                    page.click("#ask-submit")
                    page.wait_for_selector(".ask-answer .verdict", timeout=60_000)
                    page.wait_for_load_state("networkidle")
                page.add_script_tag(path=str(AXE))
                for violation in page.evaluate(RUN_AXE):
                    found.append(f"{viewport['width']}px {name} {path}: {violation}")
            context.close()
        assert found == []


def test_skip_link_focus_ring_and_tap_targets(test_env: dict[str, str], session: Any) -> None:
    with demo_server(test_env) as server, chromium() as browser:
        thread = _pages(session)["thread"]
        for viewport in WIDTHS:
            page = browser.new_page(viewport=viewport)
            sign_in(page, server.url, "ada")
            page.goto(server.url + thread)
            # The first Tab lands on "Skip to content", which is then visible; Enter jumps
            # past the header, so the next Tab is inside the page's content.
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent.trim()")
            assert focused == "Skip to content"
            assert page.locator(".skip-link").bounding_box()["y"] >= 0  # type: ignore[index]
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            assert page.evaluate("!!document.activeElement.closest('main')")
            assert not page.evaluate("!!document.activeElement.closest('header')")

            # The focus ring contrasts at least 3:1 with the page around it.
            ring = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
            )
            assert ring[0] != "none" and float(ring[1].rstrip("px")) >= 2
            for background in ((255, 255, 255), (246, 247, 249)):
                assert _contrast(_rgb(ring[2]), background) >= 3

            # Vote buttons: 44 x 44 px on phones.
            if viewport == PHONE:
                for box in [b.bounding_box() for b in page.locator(".vote-btn").all()]:
                    assert box is not None and box["width"] >= 44 and box["height"] >= 44
                # The phone header keeps its content off the screen's edge.
                brand = page.locator(".brand").bounding_box()
                assert brand is not None and brand["x"] >= 12
            page.close()
