"""Checkfirst under uvicorn as the tool, and a real LTI 1.3 platform (tests/lti/platform.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.lti.platform import Platform, Scenario


@pytest.fixture(scope="module")
def tool(test_env: dict[str, str]) -> Iterator[LiveServer]:
    """One server per module (starting one takes seconds); ``db`` empties tables per test."""
    server = LiveServer(test_env)
    # The tool must know its own address: redirect_uri and target_link_uri are checked on it.
    server.env["CHECKFIRST_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


def register(platform: Platform, *, frame_origins: list[str] | None = None) -> None:
    """What ``checkfirst lti add-platform`` does, in the test's database."""
    from sqlmodel import Session

    from core.db import get_engine
    from lti.registry import add_platform

    with Session(get_engine()) as session:
        add_platform(
            session=session, issuer=platform.issuer, client_id=platform.client_id,
            auth_login_url=platform.auth_url, auth_token_url=platform.url + "/token",
            key_set_url=platform.jwks_url, deployment_ids=[platform.deployment_id],
            frame_origins=frame_origins,
        )  # fmt: skip


@pytest.fixture()
def make_platform(tool: LiveServer, db: None) -> Iterator[Callable[..., Platform]]:
    started: list[Platform] = []

    def make(*, registered: bool = True, **kwargs: Any) -> Platform:
        platform = Platform(tool.url, **kwargs).start()
        started.append(platform)
        if registered:
            register(platform)
        return platform

    yield make
    for platform in started:
        platform.stop()


@pytest.fixture()
def platform(make_platform: Callable[..., Platform]) -> Platform:
    return make_platform()


@dataclass
class LaunchForm:
    action: str
    id_token: str
    state: str


def platform_form(html: str) -> LaunchForm:
    """The platform's auto-submitting form (the browser would post it by script)."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', html))
    assert action and fields, html[:500]
    return LaunchForm(unescape(action.group(1)), fields["id_token"], fields["state"])


def start_launch(browser: httpx.Client, platform: Platform, scenario: Scenario) -> httpx.Response:
    """Click the link in the LMS: platform → /lti/login → platform's authorisation endpoint,
    which answers with the launch form (or the tool answers with a refusal)."""
    return browser.get(platform.start_url(scenario), follow_redirects=True)


def post_form(browser: httpx.Client, form: LaunchForm) -> httpx.Response:
    return browser.post(
        form.action, data={"id_token": form.id_token, "state": form.state}, follow_redirects=True
    )


def launch(browser: httpx.Client, platform: Platform, scenario: Scenario) -> httpx.Response:
    response = start_launch(browser, platform, scenario)
    assert response.status_code == 200, response.text[:500]
    return post_form(browser, platform_form(response.text))
