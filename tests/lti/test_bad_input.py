"""Each bad launch gets a clear 4xx page saying what failed; nothing is created; it is logged."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from lti import claims as c
from tests.lti.conftest import platform_form, post_form, start_launch
from tests.lti.platform import LEARNER, Platform, Scenario


def _counts() -> dict[str, int]:
    from core.db import get_engine
    from forum.models import Course
    from lti.models import LtiIdentity
    from users.models import AuthSession, CourseRole, User

    with Session(get_engine()) as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()
            for m in (User, LtiIdentity, CourseRole, Course, AuthSession)
        }


def _refusals() -> list[str]:
    from core.db import get_engine
    from lti.models import LtiRefusal

    with Session(get_engine()) as s:
        return [r.reason for r in s.exec(select(LtiRefusal)).all()]


def _assert_refused(page: httpx.Response, expected: str, before: dict[str, int]) -> None:
    assert page.status_code == 400, (page.status_code, page.text[:600])
    assert "launch was refused" in page.text
    assert expected in html.unescape(page.text), page.text[:1500]
    assert _counts() == before, "a refused launch created something"
    assert any(expected in reason for reason in _refusals()), _refusals()


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "forged": ({"forge": True}, "signature does not match the platform"),
    "expired": ({"expires_in": -600}, "The id_token has expired"),
    "wrong audience": ({"patch": {"aud": "someone-else"}}, "wrong audience"),
    "unknown deployment": (
        {"patch": {c.DEPLOYMENT_ID: "dep-other"}},
        "deployment 'dep-other' is not registered",
    ),
    "missing roles": ({"patch": {c.ROLES: None}}, "carries no roles"),
    "empty roles": ({"patch": {c.ROLES: []}}, "carries no roles"),
    "wrong version": ({"patch": {c.VERSION: "1.1"}}, "is not 1.3.0"),
    "unknown message type": (
        {"patch": {c.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}},
        "is not one this tool handles",
    ),  # fmt: skip
    "wrong nonce": ({"patch": {"nonce": "not-the-one"}}, "nonce is not the one this launch sent"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_launch_is_refused_and_creates_nothing(platform: Platform, case: str) -> None:
    tamper, expected = CASES[case]
    scenario = Scenario(user_id="u-bad", roles=[LEARNER], custom={"assignment": "rnn"}, **tamper)
    before = _counts()
    with httpx.Client() as browser:
        form = platform_form(start_launch(browser, platform, scenario).text)
        _assert_refused(post_form(browser, form), expected, before)


def test_replayed_id_token_is_refused(platform: Platform) -> None:
    with httpx.Client() as browser:
        form = platform_form(
            start_launch(browser, platform, Scenario(user_id="u-1", roles=[LEARNER])).text
        )
        assert post_form(browser, form).status_code == 200
        before = _counts()
        # The same id_token and state again, from the same browser (or a thief's).
        _assert_refused(post_form(browser, form), "already used (a replayed id_token)", before)


def test_state_from_another_browser_is_refused(platform: Platform) -> None:
    before = _counts()
    with httpx.Client() as victim, httpx.Client() as attacker:
        form = platform_form(
            start_launch(victim, platform, Scenario(user_id="u-1", roles=[LEARNER])).text
        )
        # Login CSRF: the victim's launch form posted from another browser.
        _assert_refused(post_form(attacker, form), "started in another browser", before)
        # The real browser can still use it: the refusal did not spend the state.
        assert post_form(victim, form).status_code == 200


def test_unknown_issuer_is_refused_at_login(make_platform: Callable[..., Platform]) -> None:
    stranger = make_platform(registered=False)
    before = _counts()
    with httpx.Client() as browser:
        page = start_launch(browser, stranger, Scenario(user_id="u-1", roles=[LEARNER]))
    _assert_refused(page, "is not registered here", before)


def test_unknown_issuer_id_token_is_refused_at_launch(
    platform: Platform, make_platform: Callable[..., Platform]
) -> None:
    """A token from an unregistered platform posted against a registered one's state."""
    stranger = make_platform(registered=False, client_id=platform.client_id)
    before = _counts()
    with httpx.Client() as browser:
        form = platform_form(
            start_launch(browser, platform, Scenario(user_id="u-1", roles=[LEARNER])).text
        )
        form.id_token = _stranger_form(browser, stranger, platform).id_token
        _assert_refused(post_form(browser, form), "is not registered here", before)


def _stranger_form(browser: httpx.Client, stranger: Platform, platform: Platform) -> Any:
    # The stranger's authorisation endpoint, driven directly (the tool would refuse its login).
    scenario = Scenario(user_id="u-1", roles=[LEARNER])
    hint = stranger.start_url(scenario).split("hint=", 1)[1]
    page = browser.get(
        stranger.auth_url,
        params={
            "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
            "prompt": "none", "client_id": stranger.client_id,
            "redirect_uri": platform.tool_url + "/lti/launch", "login_hint": "u-1",
            "state": "s", "nonce": "n", "lti_message_hint": hint,
        },
    )  # fmt: skip
    return platform_form(page.text)


def test_admin_page_lists_platforms_and_refusals(
    platform: Platform, make_user: Callable[..., Any]
) -> None:
    make_user("root_admin", role="admin")
    with httpx.Client() as browser:
        form = platform_form(
            start_launch(browser, platform, Scenario(user_id="u", roles=[LEARNER], forge=True)).text
        )
        post_form(browser, form)
    with httpx.Client(base_url=platform.tool_url) as admin:
        page = admin.get("/login")
        token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        admin.post("/login", data={"username": "root_admin", "password": "correct horse 1",
                                   "csrf_token": token, "next": "/"})  # fmt: skip
        page = admin.get("/lti/admin")
    assert page.status_code == 200
    assert platform.issuer in page.text and "dep-1" in page.text
    assert "signature does not match" in page.text
