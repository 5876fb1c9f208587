"""The erratum a URL names (errata/dependencies.py) and where forms send the browser next
(core/paths.py): one 404 naming the erratum, one id bound, local redirects only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import login_browser
from tests.errata.conftest import World


def test_missing_erratum_is_404_naming_it_and_out_of_range_is_422(
    client: TestClient, world: World
) -> None:
    r = client.get("/api/v1/errata/424242")
    assert r.status_code == 404
    assert r.json()["detail"] == "There is no erratum 424242; check the link."
    page = client.get("/errata/424242", headers={"accept": "text/html"})
    assert page.status_code == 404 and "There is no erratum 424242" in page.text
    assert client.get(f"/api/v1/errata/{2**31}").status_code == 422


def test_moderator_form_never_redirects_off_site(
    client: TestClient, world: World, report: Any
) -> None:
    csrf = login_browser(client, world.moderator.username)
    # Browsers read "/\evil.example" as "//evil.example", and drop tabs inside URLs.
    for target in (
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "https://evil.example",
    ):
        e = report()
        r = client.post(
            f"/errata/{e.id}/transition",
            data={"csrf_token": csrf, "action": "verify", "next": target},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        # Back to the erratum (with the confirmation's query), never to another host.
        assert r.headers["location"].split("?")[0] == f"/errata/{e.id}", target
    e = report()
    r = client.post(
        f"/errata/{e.id}/transition",
        data={"csrf_token": csrf, "action": "verify", "next": "/moderation?done=1"},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith("/moderation?done=1&")
