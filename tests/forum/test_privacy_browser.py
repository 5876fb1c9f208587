"""Issue #17 in real Chromium: a learner asks anonymously; a classmate's page shows the alias,
the instructor's page shows the learner's name marked "anonymous to classmates"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_demo import chromium

PASSWORD = "a-long-password"


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button")
    page.wait_for_url(base + "/")


@pytest.mark.browser
def test_anonymous_question_shows_alias_to_classmates_and_name_to_instructor(
    live_server: Any,
) -> None:
    from sqlmodel import Session

    from core.db import get_engine
    from forum.models import Assignment, Course
    from users.auth import create_user
    from users.models import CourseRole, UserCreate

    with Session(get_engine()) as s:
        course = Course(slug="seq", title="Sequence Models")
        s.add(course)
        s.flush()
        assert course.id is not None
        s.add(Assignment(course_id=course.id, slug="rnn", title="Building an RNN", position=1))
        for name, shown in (("ada", "Ada Lovelace"), ("grace", "Grace Hopper"),
                            ("dr_patel", "Dr. Anika Patel")):  # fmt: skip
            u = create_user(session=s, user_create=UserCreate(
                username=name, password=PASSWORD, display_name=shown))  # fmt: skip
            if name == "dr_patel":
                s.add(CourseRole(user_id=u.id, course_id=course.id, role="instructor"))
        s.commit()
    base = live_server.url
    with chromium() as browser:
        ada, grace, teacher = (browser.new_context().new_page() for _ in range(3))
        _sign_in(ada, base, "ada")
        _sign_in(grace, base, "grace")
        _sign_in(teacher, base, "dr_patel")

        # Ada asks anonymously from the composer.
        ada.goto(base + "/threads/new?course=seq&assignment=rnn")
        ada.fill("input[name=title]", "rnn_forward: Wrong values in a_next")
        ada.fill("textarea[name=body]", "My a_next differs from the expected output.")
        ada.check("#thread-anonymous")
        ada.click("text=Post question")
        ada.wait_for_selector("h1:has-text('rnn_forward: Wrong values in a_next')")
        thread_url = ada.url
        # Ada sees her own post, marked as anonymous to classmates.
        own = ada.locator("article.post").first.inner_text()
        assert "Ada Lovelace" in own and "anonymous to classmates" in own

        # A classmate sees the alias, never the name (the page, the course list).
        grace.goto(thread_url)
        seen = grace.locator("article.post").first.inner_text()
        assert "Anonymous learner (" in seen
        assert "Ada" not in grace.content() and "ada" not in grace.locator("main").inner_text()
        grace.goto(base + "/courses/seq")
        assert "Anonymous learner (" in grace.locator("main").inner_text()
        assert "Ada" not in grace.content()

        # The instructor sees who asked, with the marker.
        teacher.goto(thread_url)
        staff_view = teacher.locator("article.post").first.inner_text()
        assert "Ada Lovelace" in staff_view and "anonymous to classmates" in staff_view
