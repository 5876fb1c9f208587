"""Issue #19's errata journeys in real Chromium at 1280 and 390 px, asserting what a person sees:
a "fixed in" version newer than the notebook is refused beside the field; a rejected report
offers no "Affects me too"; a wrong "Original #" is explained inline with the field focused; the
queue shows the learner's report text; the Errata tab of a course and an assignment lists the
errata and its links lead to them. One browser and one server for the module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session

from errata import service
from errata.models import ErratumStatus
from forum.models import Assignment, Course
from tests.browser_demo import WIDTHS, chromium, in_viewport, sign_in, within_width
from tests.conftest import LiveServer
from tests.errata.conftest import World
from users.models import CourseRole

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 1"  # tests/conftest.make_user's
S = ErratumStatus


@pytest.fixture()
def world(session: Session, make_user: Callable[..., Any]) -> World:
    """tests/errata/conftest.py's world with only the four accounts these journeys use: each
    account costs an Argon2 hash, and this runs twenty times a suite."""
    course = Course(slug="sequence-models", title="Sequence Models")
    other = Course(slug="convolutional-neural-networks", title="Convolutional Neural Networks")
    session.add_all([course, other])
    session.commit()
    assert course.id is not None
    assignment = Assignment(
        course_id=course.id,
        slug="building-rnn-step-by-step",
        title="Building your RNN step by step",
        notebook_version="3a",
    )
    session.add(assignment)
    instructor = make_user("ins_here")
    session.add(CourseRole(user_id=instructor.id, course_id=course.id, role="instructor"))
    session.commit()
    moderator = make_user("mod", "moderator")
    return World(
        course=course,
        other_course=other,
        assignment=assignment,
        learner=make_user("learner_a"),
        other_learner=make_user("learner_b"),
        instructor=instructor,
        other_instructor=instructor,  # unused here
        moderator=moderator,
        admin=moderator,  # unused here
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(test_env: dict[str, str]) -> Iterator[LiveServer]:
    """One server for the module: it reads the same database each test fills and empties."""
    s = LiveServer(test_env).start()
    yield s
    s.stop()


@pytest.fixture(params=WIDTHS, ids=["1280", "390"])
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=request.param)
    try:
        yield context.new_page()
    finally:
        context.close()


def _focused_name(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.name || ''"))


def _fits_width(page: Any) -> bool:
    """Nothing makes the page scroll sideways."""
    width = page.viewport_size["width"]
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_fixed_in_a_newer_version_than_the_notebook_is_refused_beside_the_field(
    server: LiveServer, page: Any, session: Session, world: World, report: Any
) -> None:
    e = report()
    service.transition(session=session, user=world.moderator, erratum_id=e.id, to_status=S.verified)
    base = server.url
    sign_in(page, base, world.moderator.username, password=PASSWORD)
    page.goto(base + "/moderation")
    item = page.locator(".queue-item", has_text=e.title)
    item.get_by_label("Fixed in version").fill("4")
    item.get_by_role("button", name="Mark fixed").click()
    page.wait_for_load_state("load")

    # The erratum's page, not a JSON or "Not found" page: the reason beside the field, focused.
    assert e.title in page.locator("h1").inner_text()
    error = page.locator("#moderate-error")
    assert error.inner_text().startswith(
        "Version 4 is newer than the current notebook (3a). Publish the fixed notebook first"
    )
    assert in_viewport(page, error)
    field = page.get_by_label("Fixed in version")
    assert _focused_name(page) == "fixed_in" and field.input_value() == "4"
    assert in_viewport(page, field)
    # Nothing changed: learners on 3a are not told their notebook has the fix.
    assert "Verified by the course staff" in page.locator("main").inner_text()
    assert "Fixed in notebook version" not in page.locator("main").inner_text()
    assert _fits_width(page)

    # The current version is accepted and confirmed.
    field.fill("3a")
    page.locator("#moderate").get_by_role("button", name="Mark fixed").click()
    page.wait_for_selector("#flash")
    assert "marked fixed in version 3a." in page.locator("#flash").inner_text()
    assert "Fixed in notebook version 3a" in page.locator("main").inner_text()


def test_rejected_erratum_offers_no_affects_me(
    server: LiveServer, page: Any, session: Session, world: World, report: Any
) -> None:
    e = report()
    open_one = report(title="lstm_forward expected c_next is wrong", location="lstm_forward")
    service.transition(
        session=session, user=world.moderator, erratum_id=e.id, to_status=S.rejected,
        reason="The notebook is right; `a_prev` must be `a0`.",
    )  # fmt: skip
    base = server.url
    sign_in(page, base, world.other_learner.username, password=PASSWORD)

    # An open report offers it, on screen at this width.
    page.goto(f"{base}/errata/{open_one.id}")
    button = page.get_by_role("button", name="Affects me too")
    assert button.is_visible() and in_viewport(page, button)

    page.goto(f"{base}/errata/{e.id}")
    main = page.locator("main")
    resolution = page.locator(".resolution")
    assert resolution.inner_text().startswith("Not an erratum.")
    assert "a_prev must be a0" in resolution.inner_text()
    assert in_viewport(page, resolution)
    assert page.get_by_role("button", name="Affects me too").count() == 0
    assert "Affects me" not in main.inner_text()
    assert main.locator("form[action$='/affects']").count() == 0
    assert _fits_width(page)


def test_wrong_original_number_is_explained_inline_with_the_field_focused(
    server: LiveServer, page: Any, world: World, report: Any
) -> None:
    original = report(title="rnn_forward: expected y_pred is wrong")
    e = report(title="rnn_forward output differs in a_next")
    base = server.url
    sign_in(page, base, world.instructor.username, password=PASSWORD)
    page.goto(base + "/moderation")
    item = page.locator(".queue-item", has_text=e.title)
    item.get_by_label("Original erratum number").fill("#9999")
    item.get_by_role("button", name="Mark duplicate").click()
    page.wait_for_load_state("load")

    # An HTML page with the erratum and its form, never a JSON body or a bare "Not found".
    assert page.evaluate("document.contentType") == "text/html"
    assert e.title in page.locator("h1").inner_text()
    error = page.locator("#moderate-error")
    assert error.inner_text() == "There is no erratum #9999; check the original's number."
    assert error.get_attribute("role") == "alert"
    assert in_viewport(page, error)
    field = page.get_by_label("Original erratum number")
    assert _focused_name(page) == "duplicate_of" and field.input_value() == "#9999"
    assert field.get_attribute("aria-invalid") == "true"
    assert in_viewport(page, field)
    assert _fits_width(page)
    # Reopening the address the form went to (what a reload or Back ends in) is the erratum's
    # page again, never a JSON "Method Not Allowed".
    page.goto(page.url)
    page.wait_for_url(f"**/errata/{e.id}")
    assert page.locator("h1").inner_text() == e.title

    # Corrected, it goes through.
    field.fill(f"#{original.id}")
    page.locator("#moderate").get_by_role("button", name="Mark duplicate").click()
    page.wait_for_selector("#flash")
    assert f"#{e.id}" in page.locator("#flash").inner_text()
    assert f"Duplicate of #{original.id}" in page.locator(".resolution").inner_text()


def test_queue_shows_the_learners_report_text(
    server: LiveServer, page: Any, world: World, report: Any
) -> None:
    report(
        title="gru_cell: expected h_next is off",
        description="The formula uses **tanh** but the expected output was made with sigmoid.",
    )
    base = server.url
    sign_in(page, base, world.moderator.username, password=PASSWORD)
    page.goto(base + "/moderation")
    item = page.locator(".queue-item", has_text="gru_cell: expected h_next is off")
    text = item.locator(".queue-report")
    assert text.inner_text() == (
        "The formula uses tanh but the expected output was made with sigmoid."
    )
    assert text.locator("strong").inner_text() == "tanh"  # Markdown, rendered
    assert text.is_visible() and within_width(page, text)
    # The actions sit with the report they act on.
    assert item.get_by_role("button", name="Verify").is_visible()
    assert _fits_width(page)


def test_errata_tab_lists_the_errata_and_its_links_work(
    server: LiveServer, page: Any, session: Session, world: World, report: Any
) -> None:
    verified = report(title="rnn_forward expected a_next[4][1] is wrong")
    service.transition(
        session=session, user=world.moderator, erratum_id=verified.id, to_status=S.verified
    )
    pending = report(title="rnn_cell_forward: yt_pred differs", assignment=None)
    base = server.url
    course = world.course

    # The course page's Errata tab, on screen without scrolling at this width.
    page.goto(f"{base}/courses/{course.slug}")
    tabs = page.get_by_role("navigation", name=f"{course.title} sections")
    tab = tabs.get_by_role("link", name="Errata", exact=True)
    assert tab.is_visible() and in_viewport(page, tab)
    assert tabs.get_by_role("link", name="Threads", exact=True).get_attribute("aria-current") == (
        "page"
    )
    tab.click()
    page.wait_for_url(f"**/courses/{course.slug}/errata")
    assert page.locator("h1").inner_text() == f"Errata: {course.title}"
    assert tabs.get_by_role("link", name="Errata", exact=True).get_attribute("aria-current") == (
        "page"
    )
    listed = page.locator(".errata-list li")
    # Verified and fixed by default; the pending report is one filter away.
    assert listed.count() == 1 and verified.title in listed.first.inner_text()
    assert "verified" in listed.first.inner_text().lower()
    page.goto(f"{base}/courses/{course.slug}/errata?status=all")
    titles = page.locator(".errata-list li a[href^='/errata/']").all_inner_texts()
    assert sorted(titles) == sorted([verified.title, pending.title])
    link = page.get_by_role("link", name=pending.title)
    assert within_width(page, link)
    link.click()
    page.wait_for_url(f"**/errata/{pending.id}")
    assert page.locator("h1").inner_text() == pending.title
    assert _fits_width(page)

    # The assignment's tab: its own errata, and the link opens the erratum.
    page.goto(f"{base}/courses/{course.slug}/assignments/{world.assignment.slug}")
    tabs = page.get_by_role("navigation", name=f"{world.assignment.title} sections")
    tab = tabs.get_by_role("link", name="Errata", exact=True)
    assert tab.is_visible() and in_viewport(page, tab)
    tab.click()
    page.wait_for_url(f"**/assignments/{world.assignment.slug}/errata")
    assert "current notebook v3a" in page.locator(".errata-head").inner_text()
    link = page.locator(".errata-list").get_by_role("link", name=verified.title)
    assert in_viewport(page, link)
    link.click()
    page.wait_for_url(f"**/errata/{verified.id}")
    assert page.locator("h1").inner_text() == verified.title
    assert "Verified by the course staff" in page.locator("main").inner_text()
    assert _fits_width(page)
