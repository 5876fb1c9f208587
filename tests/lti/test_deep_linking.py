"""Deep linking round trip with the real platform, the tool's keys, iframes and the fallback."""

from __future__ import annotations

import html
import re

import httpx
import jwt
from sqlmodel import Session, select

from lti import claims as c
from tests.lti.conftest import launch, platform_form, start_launch
from tests.lti.platform import INSTRUCTOR, LEARNER, Platform, Scenario


def _seed_assignment() -> None:
    from core.db import get_engine
    from forum.models import Assignment, Course
    from lti.models import LtiContext, LtiPlatform

    with Session(get_engine()) as s:
        course = Course(slug="seq", title="Sequence Models")
        s.add(course)
        s.flush()
        assert course.id is not None
        s.add(Assignment(course_id=course.id, slug="rnn", title="Building an RNN",
                         notebook_version="3", position=1))  # fmt: skip
        platform = s.exec(select(LtiPlatform)).one()
        assert platform.id is not None
        s.add(LtiContext(platform_id=platform.id, context_id="course-42", course_id=course.id))
        s.commit()


def _verify_with_tool_jwks(token: str, platform: Platform) -> dict[str, object]:
    keys = httpx.get(platform.tool_url + "/lti/jwks").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys if k["kid"] == kid)
    return jwt.decode(
        token, jwt.PyJWK(key, algorithm="RS256"), algorithms=["RS256"],
        audience=platform.issuer, issuer=platform.client_id,
    )  # fmt: skip


def test_deep_linking_round_trip_returns_a_signed_assignment_link(platform: Platform) -> None:
    _seed_assignment()
    teacher = Scenario(user_id="t-1", roles=[INSTRUCTOR], deep_link=True, name="Dr Patel")
    with httpx.Client() as browser:
        page = launch(browser, platform, teacher)
        assert page.status_code == 200, page.text[:800]
        assert "/lti/deep-link?ticket=" in str(page.url)
        assert "Add Checkfirst to Sequence Models" in page.text
        for choice in ("course page", "Building an RNN", "Ask the assistant"):
            assert choice in page.text
        ticket = html.unescape(re.search(r'name="ticket" value="([^"]+)"', page.text).group(1))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        choice = {"ticket": ticket, "item": "assignment:rnn", "csrf_token": csrf}
        reply = browser.post(platform.tool_url + "/lti/deep-link", data=choice)
        assert reply.status_code == 200
        # The page's form (submitted by script in a browser) goes to the platform's return URL;
        # its CSP lets it post there.
        assert platform.url in reply.headers["content-security-policy"].split("form-action")[1]
        action = re.search(r'<form id="lti-deep-link-return" method="post" action="([^"]+)"',
                           reply.text).group(1)  # fmt: skip
        token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', reply.text).group(1))
        assert action == platform.url + "/deep-link-return"
        done = browser.post(action, data={"JWT": token})
        assert done.status_code == 200 and "Added 1 item" in done.text
    # The platform (lti1p3platform, fetching /lti/jwks over HTTP) accepted one resource link.
    (item,) = platform.returned
    assert item["type"] == "ltiResourceLink" and item["title"] == "Building an RNN"
    assert item["url"] == platform.tool_url + "/lti/launch"
    assert item["custom"] == {"course": "seq", "assignment": "rnn", "notebook_version": "3"}
    claims = _verify_with_tool_jwks(platform.returned_jwts[0], platform)
    assert claims[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse" and claims[c.VERSION] == "1.3.0"
    assert claims[c.DEPLOYMENT_ID] == "dep-1"
    assert claims[c.DL_DATA] == {"opaque": "platform-data-7"}  # echoed unchanged
    # A learner following that placed link lands on the assignment.
    learner = Scenario(user_id="l-1", roles=[LEARNER], resource_link_id="placed-1",
                       custom=item["custom"])  # fmt: skip
    with httpx.Client() as browser:
        page = launch(browser, platform, learner)
        assert str(page.url).endswith("/courses/seq/assignments/rnn")


def test_deep_linking_as_a_learner_is_refused(platform: Platform) -> None:
    from core.db import get_engine
    from users.models import User

    with httpx.Client() as browser:
        page = launch(browser, platform, Scenario(user_id="l", roles=[LEARNER], deep_link=True))
    assert page.status_code == 403 and "Only the course" in page.text
    with Session(get_engine()) as s:
        assert s.exec(select(User)).all() == []


def test_rotated_tool_key_signs_and_the_old_one_stays_published(platform: Platform) -> None:
    from core.db import get_engine
    from lti.keys import rotate_key, signing_key

    with Session(get_engine()) as s:
        old = signing_key(session=s).kid
        new = rotate_key(session=s).kid
    kids = [k["kid"] for k in httpx.get(platform.tool_url + "/lti/jwks").json()["keys"]]
    assert kids == [new, old]
    with Session(get_engine()) as s:
        newest = rotate_key(session=s).kid
    kids = [k["kid"] for k in httpx.get(platform.tool_url + "/lti/jwks").json()["keys"]]
    assert kids == [newest, new]  # the oldest left the set


def test_platform_key_rotation_refetches_its_jwks(platform: Platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The JWKS cache (in this process, against the platform's real endpoint)."""
    from lti import jwks

    monkeypatch.setattr(jwks, "REFETCH_SECONDS", 0)
    jwks.clear()
    kid = platform.registration().get_kid()
    assert jwks.key_for(platform.jwks_url, kid).key_id == kid
    assert jwks.key_for(platform.jwks_url, kid).key_id == kid
    assert platform.jwks_requests == 1  # cached
    platform.rotate_key()
    new_kid = platform.registration().get_kid()
    assert jwks.key_for(platform.jwks_url, new_kid).key_id == new_kid
    assert platform.jwks_requests == 2  # unknown kid: fetched again


def test_launch_after_platform_key_rotation_succeeds(platform: Platform) -> None:
    with httpx.Client() as browser:
        assert launch(browser, platform, Scenario(user_id="a", roles=[LEARNER])).status_code == 200
        platform.rotate_key()
        # The tool refetches on the unknown kid (at most every REFETCH_SECONDS per URL).
        import time

        from lti.jwks import REFETCH_SECONDS

        time.sleep(REFETCH_SECONDS)
        assert launch(browser, platform, Scenario(user_id="a", roles=[LEARNER])).status_code == 200


def test_blocked_iframe_cookies_get_the_new_tab_fallback(platform: Platform) -> None:
    """A browser that drops the launch's cookies (third-party cookies blocked in the iframe)."""
    with httpx.Client() as browser:
        scenario = Scenario(user_id="a", roles=[LEARNER], name="Ada", custom={"assignment": "rnn"})
        form = platform_form(start_launch(browser, platform, scenario).text)
        launched = browser.post(form.action, data={"id_token": form.id_token, "state": form.state})
        assert launched.status_code == 303
        continue_url = launched.headers["location"]
    with httpx.Client(base_url=platform.tool_url) as no_cookies:
        page = no_cookies.get(continue_url)
        assert page.status_code == 200 and "Open in a new tab" in page.text
        link = html.unescape(re.search(r'href="(/lti/resume\?handoff=[^"]+)"', page.text).group(1))
    with httpx.Client(base_url=platform.tool_url) as new_tab:
        landed = new_tab.get(link, follow_redirects=True)
        assert str(landed.url).endswith("/courses/seq/assignments/rnn")
        assert "Ada" in landed.text and "Sign out" in landed.text
    with httpx.Client(base_url=platform.tool_url) as again:
        assert again.get(link).status_code == 422  # one use only
