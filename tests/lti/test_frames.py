"""CSP frame-ancestors: registered platforms may frame LTI pages and launched sessions.

Its own module, so its tool server is fresh: each server keeps the origins list for
``lti.registry.ORIGINS_SECONDS``.
"""

from __future__ import annotations

import httpx

from tests.lti.conftest import launch
from tests.lti.platform import LEARNER, Platform, Scenario


def test_lti_pages_may_be_framed_by_registered_platforms_only(platform: Platform) -> None:
    with httpx.Client() as browser:
        plain = browser.get(platform.tool_url + "/")
        assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
        assert plain.headers["x-frame-options"] == "DENY"
        page = launch(browser, platform, Scenario(user_id="a", roles=[LEARNER],
                                                  custom={"assignment": "rnn"}))  # fmt: skip
        # The landing page of a launched session (and every later page) is frameable by the
        # platform, by nobody else.
        csp = page.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {platform.url}" in csp
        assert "x-frame-options" not in page.headers
    config = httpx.get(platform.tool_url + "/lti/config")
    assert f"frame-ancestors 'self' {platform.url}" in config.headers["content-security-policy"]
    assert platform.tool_url + "/lti/login" in config.text
