"""The thread or post a URL names (forum/dependencies.py): one lookup, one 404 that names what is
missing, the same visibility on the API and the pages, and a 401 before any 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import login_browser
from tests.forum.conftest import World, ask, reply


def test_missing_thread_or_post_is_404_naming_the_id(client: TestClient, world: World) -> None:
    h = world.headers["alice"]
    r = client.get("/api/v1/threads/424242")
    assert r.status_code == 404
    assert r.json()["detail"] == "There is no thread 424242; it may have been deleted."
    r = client.patch("/api/v1/posts/424243", json={"body": "x"}, headers=h)
    assert r.status_code == 404
    assert r.json()["detail"] == "There is no post 424243; it may have been deleted."
    # Beyond a 32-bit id nothing can exist: the same 404, never a database error.
    r = client.put(f"/api/v1/posts/{2**40}/vote", json={"value": 1}, headers=h)
    assert r.status_code == 404 and f"no post {2**40}" in r.json()["detail"]
    page = client.get("/threads/424242", headers={"accept": "text/html"})
    assert page.status_code == 404 and "There is no thread 424242" in page.text


def test_deleted_thread_and_its_replies_are_gone_for_staff_too(
    client: TestClient, world: World
) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    rid = reply(client, world.headers["bob"], tid)["id"]
    assert client.delete(f"/api/v1/threads/{tid}", headers=world.headers["alice"]).is_success
    for who in ("bob", "mod", "root", "teacher"):
        h = world.headers[who]
        assert client.get(f"/api/v1/threads/{tid}", headers=h).status_code == 404
        # The reply itself was never deleted, but its thread was: it is gone with it.
        r = client.put(f"/api/v1/posts/{rid}/vote", json={"value": 1}, headers=h)
        assert r.status_code == 404, (who, r.text)
        r = client.post(f"/api/v1/threads/{tid}/follow", headers=h)
        assert r.status_code == 404
    csrf = login_browser(client, "mod")
    r = client.post(f"/posts/{rid}/endorse", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 404


def test_anonymous_write_is_401_before_the_lookup(client: TestClient, world: World) -> None:
    tid = ask(client, world.headers["alice"])["thread"]["id"]
    for url in (f"/api/v1/threads/{tid}/replies", "/api/v1/threads/424242/replies"):
        r = client.post(url, json={"body": "hello"})
        assert r.status_code == 401, (url, r.text)
    assert client.delete("/api/v1/posts/424242/vote").status_code == 401
