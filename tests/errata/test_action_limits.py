"""Erratum edits, "affects me" and similar-errata lookups are rate-limited (issue #11)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from errata.models import Erratum
from tests.errata.conftest import World
from tests.errata.test_lifecycle import API, _report


def _limit(monkeypatch: pytest.MonkeyPatch, **rates: str) -> None:
    from core.settings import get_settings

    for name, value in rates.items():
        monkeypatch.setattr(get_settings(), name, value)


def test_erratum_edits_and_affects_are_limited(
    client: TestClient,
    world: World,
    token_for: Any,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_edit="1/60", rate_vote="2/60")
    learner = token_for(world.learner)
    eid = _report(client, learner, world).json()["id"]
    url = f"{API}/errata/{eid}"
    assert client.patch(url, json={"title": "First edit"}, headers=learner).status_code == 200
    r = client.patch(url, json={"title": "Second edit"}, headers=learner)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    session.expire_all()
    assert session.get(Erratum, eid).title == "First edit"  # type: ignore[union-attr]
    other = token_for(world.other_learner)
    for _ in range(2):
        assert client.post(f"{url}/affects", headers=other).status_code == 200
    assert client.post(f"{url}/affects", headers=other).status_code == 429


@pytest.mark.model
def test_similar_errata_lookups_are_limited(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch, index_runtime: Any
) -> None:
    _limit(monkeypatch, rate_search="2/60")
    url = f"{API}/errata/similar?course={world.course.slug}&title=lstm_forward"
    for _ in range(2):
        assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429
