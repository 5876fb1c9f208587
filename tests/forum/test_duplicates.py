"""Issue #17: closing a thread as a duplicate of a canonical one, and undoing it.

Staff close; the page points to the canonical thread; the duplicate leaves the default lists
and search ranks the canonical thread for the duplicate's words (index on); the asker is told;
reopening undoes all of it. Bad targets are refused with a clear message.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.forum.conftest import World

API = "/api/v1"
DUP_WORDS = "zebra_stride_mismatch"


def _thread(client: TestClient, headers: dict[str, str], course: str = "dl", **body: Any) -> int:
    r = client.post(f"{API}/courses/{course}/threads", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["thread"]["id"])


@pytest.fixture()
def pair(client: TestClient, world: World, indexed: Any) -> tuple[int, int]:
    h = world.headers
    canonical = _thread(
        client, h["bob"], title="conv_forward output has the wrong shape with stride 2",
        body="With stride 2 my conv_forward output shape is (2, 3, 3, 8) instead of "
        "(2, 2, 2, 8). The padding and stride formula is (n + 2p - f) // s + 1.",
    )  # fmt: skip
    client.post(f"{API}/threads/{canonical}/replies", headers=h["teacher"],
                json={"body": "Use integer division in the output size formula."})  # fmt: skip
    duplicate = _thread(
        client, h["alice"], title=f"{DUP_WORDS}: conv layer output size off by one",
        body=f"I get {DUP_WORDS} when my conv_forward uses stride 2; the shape is too big.",
    )  # fmt: skip
    _thread(client, h["alice"], title="Unrelated: how to submit", body="Where do I upload it?")
    indexed.sync()
    return canonical, duplicate


def _search(client: TestClient, q: str) -> list[str]:
    from core.ratelimit import limiter

    limiter.reset()
    r = client.get(f"{API}/search", params={"q": q})
    assert r.status_code == 200, r.text
    return [h["url"] for h in r.json()["data"] if h["type"] == "thread"]


def test_close_as_duplicate_points_to_canonical_and_search_ranks_it(
    client: TestClient, session: Session, world: World, pair: tuple[int, int]
) -> None:
    from errata.models import Notification
    from notify.fanout import fan_out_pending

    canonical, duplicate = pair
    h = world.headers
    assert _search(client, DUP_WORDS)[0] == f"/threads/{duplicate}"

    r = client.put(f"{API}/threads/{duplicate}/duplicate", headers=h["teacher"],
                   json={"duplicate_of": canonical})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["duplicate_of_id"] == canonical

    # The page says so and links the canonical thread; the canonical one lists it.
    page = client.get(f"/threads/{duplicate}")
    assert "Closed as a duplicate of" in page.text
    assert f'href="/threads/{canonical}"' in page.text
    assert f'href="/threads/{duplicate}"' in client.get(f"/threads/{canonical}").text
    # It leaves the default lists (API and page).
    listed = client.get(f"{API}/courses/dl/threads").json()
    assert duplicate not in [t["id"] for t in listed["data"]]
    assert f"/threads/{duplicate}" not in client.get("/courses/dl").text
    # Search for the duplicate's own words ranks the canonical thread, the duplicate is gone.
    urls = _search(client, DUP_WORDS)
    assert urls[0] == f"/threads/{canonical}"
    assert f"/threads/{duplicate}" not in urls
    # Similar-while-typing offers the canonical thread first.
    typed = {"course": "dl", "title": f"{DUP_WORDS} in my conv layer"}
    sim = client.get("/threads/similar", params=typed).json()
    assert sim["data"][0]["url"] == f"/threads/{canonical}"
    # The asker hears of it, with a link to the canonical thread.
    fan_out_pending(session)
    notes = session.exec(
        select(Notification).where(Notification.user_id == world.users["alice"].id)
    ).all()
    assert any(n.url == f"/threads/{canonical}" and "duplicate" in n.message for n in notes)

    # Undo: back in the lists and in search on its own.
    r = client.delete(f"{API}/threads/{duplicate}/duplicate", headers=h["teacher"])
    assert r.status_code == 200 and r.json()["duplicate_of_id"] is None
    listed = client.get(f"{API}/courses/dl/threads").json()
    assert duplicate in [t["id"] for t in listed["data"]]
    assert _search(client, DUP_WORDS)[0] == f"/threads/{duplicate}"
    assert "Closed as a duplicate" not in client.get(f"/threads/{duplicate}").text


def test_close_and_reopen_through_the_page_form(
    client: TestClient, world: World, pair: tuple[int, int]
) -> None:
    from tests.conftest import login_browser

    canonical, duplicate = pair
    csrf = login_browser(client, "teacher")
    r = client.post(f"/threads/{duplicate}/duplicate", follow_redirects=False,
                    data={"duplicate_of": f"/threads/{canonical}", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303
    assert "Reopen (not a duplicate)" in client.get(f"/threads/{duplicate}").text
    r = client.post(f"/threads/{duplicate}/duplicate", follow_redirects=False,
                    data={"duplicate_of": "", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303
    assert "Close as duplicate" in client.get(f"/threads/{duplicate}").text
    # A refused target is shown on the page, not as a bare error.
    r = client.post(f"/threads/{duplicate}/duplicate",
                    data={"duplicate_of": str(duplicate), "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 422
    assert (
        "can&#39;t be a duplicate of itself" in r.text or "can't be a duplicate of itself" in r.text
    )


def test_bad_duplicate_targets_are_refused(
    client: TestClient, world: World, pair: tuple[int, int]
) -> None:
    canonical, duplicate = pair
    h = world.headers
    private = _thread(client, h["bob"], title="My whole solution", body="code", private=True)
    elsewhere = _thread(client, h["bob"], course="seq", title="Other course", body="rnn")

    def close(target: int, who: str = "teacher") -> Any:
        return client.put(f"{API}/threads/{duplicate}/duplicate", headers=h[who],
                          json={"duplicate_of": target})  # fmt: skip

    r = close(duplicate)
    assert r.status_code == 422 and "itself" in r.json()["detail"]
    r = close(private)
    assert r.status_code == 422 and "private" in r.json()["detail"]
    r = close(elsewhere, "mod")
    assert r.status_code == 422 and "another course" in r.json()["detail"]
    r = close(999_999)
    assert r.status_code == 404
    # Learners (even the asker) cannot close; instructors of another course cannot either.
    assert close(canonical, "alice").status_code == 403
    assert close(canonical, "stranger").status_code == 403
    # A chain is refused: point at the canonical thread, not at another duplicate.
    third = _thread(client, h["alice"], title="conv stride shape again", body="same problem")
    assert close(canonical).status_code == 200
    r = client.put(f"{API}/threads/{third}/duplicate", headers=h["teacher"],
                   json={"duplicate_of": duplicate})  # fmt: skip
    assert r.status_code == 422 and str(canonical) in r.json()["detail"]
