"""The Ask page as a person sees it, in real Chromium at desktop and phone widths, on the demo
programme: the verdict leads as a sentence in a coloured box, citations link to their source,
the full accepted answer (or the erratum's workaround) is shown and the rest folds, the
assignment menu is grouped by course, focus lands on the answer, Ctrl/Cmd+Enter sends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_demo import WIDTHS, chromium, demo_server

pytestmark = [pytest.mark.browser, pytest.mark.model]
ANSWERED = "rnn_forward AssertionError: Wrong values in a_next"
ERRATUM = "lstm_forward my a[4][3][6] does not match the expected output, test passes"


def _menu_groups(session: Any) -> list[tuple[str, list[str]]]:
    from sqlmodel import col, select

    from forum.models import Assignment, Course

    out = []
    for course in session.exec(select(Course).order_by(col(Course.title))).all():
        rows = session.exec(
            select(Assignment.title)
            .where(Assignment.course_id == course.id)
            .order_by(col(Assignment.position))
        ).all()
        out.append((course.title, list(rows)))
    return out


def test_ask_page_verdict_citations_full_answer_menu_focus_and_shortcut(
    test_env: dict[str, str], session: Any
) -> None:
    with demo_server(test_env) as server, chromium() as browser:
        expected_menu = _menu_groups(session)
        for i, viewport in enumerate(WIDTHS):
            page = browser.new_page(viewport=viewport)
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(server.url + "/ask")

            # The assignment menu: one group per course, in order, each course's own list.
            groups = page.evaluate(
                "() => [...document.querySelectorAll('#ask-assignment optgroup')].map(g =>"
                " [g.label, [...g.querySelectorAll('option')].map(o => o.textContent)])"
            )
            assert [tuple(g) for g in groups] == expected_menu
            assert page.locator("#ask-assignment > option").all_inner_texts() == ["Any assignment"]
            # Choosing an assignment chooses its course too.
            course, titles = expected_menu[-1]
            page.select_option("#ask-assignment", label=titles[0])
            assert page.locator("#ask-course option:checked").inner_text() == course
            page.select_option("#ask-assignment", value="")
            page.select_option("#ask-course", value="")

            # Ctrl+Enter sends (Cmd+Enter on the second width).
            page.fill("#ask-question", ANSWERED)
            page.keyboard.press("Control+Enter" if i == 0 else "Meta+Enter")
            answer = page.locator(".ask-answer").first
            answer.wait_for(timeout=60_000)
            verdict = answer.locator(".verdict")
            # The verdict leads: the first thing in the answer, a sentence, colour and icon.
            assert answer.evaluate("a => a.firstElementChild.classList.contains('verdict')")
            assert verdict.locator("h2").inner_text() == (
                "This was asked and answered before: the answer is below."
            )
            assert verdict.locator(".verdict-icon").is_visible()
            assert verdict.evaluate("v => getComputedStyle(v).backgroundColor") != (
                "rgba(0, 0, 0, 0)"
            )
            # Focus moved to the answer's heading (the verdict), announced by the live log.
            assert page.evaluate("document.activeElement.classList.contains('verdict-text')")

            # The whole accepted answer, not a fragment: its code and last sentence are there.
            full = answer.locator(".ask-full")
            full.wait_for(timeout=10_000)
            assert "The accepted answer by" in full.inner_text()
            assert "Compare against the test" in full.inner_text()
            assert "a_next = a0" in full.locator("pre").inner_text()

            # [1] is a link to the first source, and following it lands there.
            cite = answer.locator("a.cite:visible").first
            assert cite.inner_text() == "[1]"
            target = cite.get_attribute("href")
            assert target is not None and target.startswith("#")
            cite.click()
            assert page.url.endswith(target)
            source = page.locator(target)
            assert source.locator("a").first.get_attribute("href").startswith("/threads/")  # type: ignore[union-attr]
            assert source.is_visible()

            # An erratum: its workaround is shown, further statements fold under "More".
            page.click("#ask-new")
            page.fill("#ask-question", ERRATUM)
            page.keyboard.press("Control+Enter")
            answer = page.locator(".ask-answer").first
            answer.wait_for(timeout=60_000)
            # (The verdict is the ranking's call; the erratum leads the sources either way.)
            lead = answer.locator(".ask-sources li a").first
            href = lead.get_attribute("href") or ""
            assert href.startswith("/errata/"), (viewport, answer.inner_text())
            if answer.get_attribute("data-verdict") == "known_erratum":
                assert "known erratum" in answer.locator(".verdict").inner_text()
            answer.locator(".ask-full").wait_for(timeout=10_000)
            assert "Workaround" in answer.locator(".ask-full").inner_text()
            more = answer.locator("details.ask-more")
            assert more.count() == 1 and more.get_attribute("open") is None
            hidden = more.locator(".md")
            assert not hidden.is_visible()
            more.locator("summary").click()
            assert hidden.is_visible()
            assert errors == []
            page.close()
