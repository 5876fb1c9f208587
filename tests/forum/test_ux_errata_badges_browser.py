"""Errata in the forum as a person sees them in real Chromium at 1280 and 390 px (issue #19):
"Recently verified errata" on the home page, erratum badges in thread lists and on threads,
and the note on the thread a report came from, all over the demo programme."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_demo import WIDTHS, chromium

pytestmark = pytest.mark.browser


def _demo() -> dict[str, Any]:
    """Load the demo (no index needed: these pages only read the database) and name the
    verified erratum reported from a thread, and the rejected one."""
    from sqlmodel import Session, select

    from app.demo import load_demo
    from core.db import get_engine
    from errata.models import Erratum
    from forum.models import Thread

    load_demo()
    with Session(get_engine()) as s:

        def pick(external_id: str) -> dict[str, Any]:
            e = s.exec(select(Erratum).where(Erratum.external_id == external_id)).one()
            t = s.get(Thread, e.source_thread_id)
            assert t is not None
            return {"id": e.id, "title": e.title, "thread": t.id, "thread_title": t.title}

        return {
            "verified": pick("demo:erratum:rnn-forward-a"),
            "rejected": pick("demo:erratum:lstm-backward"),
        }


def _visible_in_viewport_width(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_errata_badges_source_note_and_recent_errata(live_server: Any) -> None:
    demo = _demo()
    verified, rejected = demo["verified"], demo["rejected"]
    base = live_server.url
    with chromium() as browser:
        for viewport in WIDTHS:
            page = browser.new_context(viewport=viewport).new_page()

            # Home: recently verified errata, each marked verified, linking to its page.
            page.goto(base + "/")
            section = page.locator("section.recent-errata")
            assert section.get_by_role("heading", name="Recently verified errata").is_visible()
            items = section.locator("li")
            assert 1 <= items.count() <= 5
            for i in range(items.count()):
                assert items.nth(i).locator(".badge").inner_text() == "verified"
            first = items.first.locator("a[href^='/errata/']")
            title = first.inner_text()
            assert _visible_in_viewport_width(page, first)
            first.click()
            page.wait_for_url("**/errata/*")
            assert title in page.locator("h1").inner_text()

            # The assignment's thread list: the thread the erratum came from wears its badge.
            page.goto(base + "/courses/sequence-models/assignments/rnn-step-by-step?sort=newest")
            row = page.locator("li.thread-row").filter(
                has=page.get_by_role("link", name=verified["thread_title"], exact=True)
            )
            badge = row.locator("a.badge-erratum")
            assert badge.inner_text() == "verified erratum"
            assert _visible_in_viewport_width(page, badge)
            row.get_by_role("link", name=verified["thread_title"], exact=True).click()
            page.wait_for_url(f"**/threads/{verified['thread']}")

            # The thread: its badge, and the note that a report came from here.
            head = page.locator(".thread-head")
            assert head.locator("a.badge-erratum").inner_text() == "verified erratum"
            note = page.locator(".erratum-source-note")
            assert note.is_visible() and _visible_in_viewport_width(page, note)
            assert note.inner_text() == (
                f"Reported as erratum #{verified['id']} — verified: {verified['title']}"
            )
            note.get_by_role("link", name=f"erratum #{verified['id']}").click()
            page.wait_for_url(f"**/errata/{verified['id']}")
            assert verified["title"] in page.locator("h1").inner_text()

            # A rejected report says so on its thread, and is not among the verified ones.
            page.goto(f"{base}/threads/{rejected['thread']}")
            assert page.locator(".thread-head a.badge-erratum").inner_text() == "not an erratum"
            assert (
                page.locator(".erratum-source-note")
                .inner_text()
                .startswith(f"Reported as erratum #{rejected['id']} — rejected")
            )
            page.goto(base + "/")
            assert rejected["title"] not in page.locator("section.recent-errata").inner_text()
            page.context.close()
