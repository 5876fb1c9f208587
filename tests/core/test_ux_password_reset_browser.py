"""Password reset in real Chromium at 1280 and 390 px (issue #19): from the sign-in page's
"Forgot password?" to the mailed link, a new password and being signed in; axe-core finds no
serious or critical violation on the request and reset-form pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser_demo import WIDTHS, chromium
from tests.core.test_a11y_axe import AXE, RUN_AXE
from tests.core.test_password_reset import _deliver, _link_in

pytestmark = pytest.mark.browser
NEW = "brand new pass 9"


def _user_with_mail(username: str) -> None:
    from sqlmodel import Session

    from core.db import get_engine
    from users.auth import create_user
    from users.models import UserCreate

    with Session(get_engine()) as s:
        user = create_user(
            session=s, user_create=UserCreate(username=username, password="correct horse 1")
        )
        user.email = f"{username}@example.org"
        s.add(user)
        s.commit()


def _axe(page: Any) -> list[str]:
    if not AXE.exists():  # tests/a11y/node_modules is installed by `npm ci --prefix tests/a11y`
        return []
    page.add_script_tag(path=str(AXE))
    return [f"{page.url}: {v}" for v in page.evaluate(RUN_AXE)]


def _mail_link(before: set[Path]) -> str:
    new = [p for p in _deliver() if p not in before]
    assert len(new) == 1
    return "/" + _link_in(new[0]).split("/", 3)[3]


def test_password_reset_journey_at_both_widths(live_server: Any) -> None:
    base = live_server.url
    found: list[str] = []
    with chromium() as browser:
        for viewport in WIDTHS:
            username = f"forgetful{viewport['width']}"
            _user_with_mail(username)
            before = set(_deliver())
            # The audit browser ignores the site's CSP so that axe's script tag may run.
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            page = context.new_page()

            page.goto(base + "/login")
            page.get_by_role("link", name="Forgot password?").click()
            page.wait_for_url(base + "/password-reset")
            assert page.get_by_role("heading", name="Reset your password").is_visible()
            found += _axe(page)
            page.get_by_label("Username or e-mail").fill(username)
            page.get_by_role("button", name="Send the link").click()
            status = page.get_by_role("status")
            status.wait_for()
            assert status.inner_text().startswith(
                "If an account with that username or e-mail exists, we sent it a link"
            )
            assert page.get_by_role("link", name="Back to sign in").is_visible()

            page.goto(base + _mail_link(before))
            assert page.get_by_role("heading", name="Choose a new password").is_visible()
            assert username in page.locator("main").inner_text()
            found += _axe(page)
            # Two different passwords: the form says so and keeps the page.
            page.get_by_label("New password", exact=False).first.fill(NEW)
            page.get_by_label("New password again").fill("something else 1")
            page.get_by_role("button", name="Set the password and sign in").click()
            alert = page.get_by_role("alert")
            alert.wait_for()
            assert "The two passwords differ" in alert.inner_text()

            page.get_by_label("New password", exact=False).first.fill(NEW)
            page.get_by_label("New password again").fill(NEW)
            page.get_by_role("button", name="Set the password and sign in").click()
            page.wait_for_url(base + "/")
            profile = page.locator("header a[href='/profile']")
            assert profile.inner_text() == username
            assert page.get_by_role("button", name="Sign out").count() == 1

            # Signed out, the new password signs in and the old one does not.
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_load_state()
            for password, works in (("correct horse 1", False), (NEW, True)):
                page.goto(base + "/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", password)
                page.locator("form:has(input[name=password]) button").click()
                page.wait_for_load_state()
                assert (page.locator("header a[href='/profile']").count() == 1) is works
            context.close()
    assert found == []
