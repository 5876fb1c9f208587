"""Forum pages as a person sees them: lists, the thread page, forms that post and redirect."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import login_browser
from tests.forum.conftest import World, ask, reply


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_home_lists_courses_with_counts_and_recent_threads(
    client: TestClient, world: World
) -> None:
    ask(client, world.headers["alice"], title="Shapes in conv_forward")
    r = client.get("/", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "Deep Learning" in r.text and "Sequence Models" in r.text
    assert "2 assignments · 1 thread" in r.text
    assert "Shapes in conv_forward" in r.text


def test_course_page_shows_assignments_sort_tabs_and_pager(
    client: TestClient, world: World
) -> None:
    for i in range(21):
        ask(client, world.headers["mod"], title=f"Question number {i}")
    r = client.get("/courses/dl?sort=newest")
    assert r.status_code == 200
    assert "Logistic regression" in r.text and "/courses/dl/assignments/a2" in r.text
    assert 'aria-current="page">Newest' in r.text
    assert "Question number 20" in r.text and "Question number 0<" not in r.text
    assert "Page 1 of 2" in r.text
    r2 = client.get("/courses/dl?sort=newest&page=2")
    assert "Question number 0<" in r2.text
    assert client.get("/courses/nope", headers={"Accept": "text/html"}).status_code == 404


def test_assignment_page_filters_threads_and_offers_new_question(
    client: TestClient, world: World
) -> None:
    ask(client, world.headers["alice"], title="About logistic", assignment="a1")
    ask(client, world.headers["alice"], title="About deep nets", assignment="a2")
    r = client.get("/courses/dl/assignments/a1")
    assert r.status_code == 200
    assert "About logistic" in r.text and "About deep nets" not in r.text
    assert "/threads/new?course=dl&assignment=a1" in r.text
    assert client.get("/courses/dl/assignments/zzz").status_code == 404


def test_ask_reply_vote_accept_through_forms(client: TestClient, world: World) -> None:
    token = login_browser(client, "alice")
    r = client.get("/threads/new?course=dl&assignment=a1")
    assert r.status_code == 200 and 'value="dl/a1" selected' in r.text
    assert 'id="similar"' in r.text and "fenced code block" in r.text
    body = "My cell fails:\n\n```\nTraceback (most recent call last):\nAssertionError: Wrong\n```"
    r = client.post(
        "/threads/new",
        data={"csrf_token": token, "course": "dl/a1", "title": "rnn_forward fails", "body": body},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    tid = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    assert "<pre><code>Traceback (most recent call last):" in page
    assert '<div id="related"></div>' in page
    # Another learner replies and votes, then the author accepts the reply.
    p = reply(client, world.headers["bob"], tid, "Use `np.tanh` for **a_next**.")
    r = client.post(
        f"/posts/{p['id']}/vote", data={"csrf_token": token, "value": "1"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"/threads/{tid}/accept",
        data={"csrf_token": token, "post_id": str(p["id"])},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(url).text
    assert "✓ accepted answer" in page and "<code>np.tanh</code>" in page
    assert re.search(r'class="vote-btn voted"', page)
    r = client.post(
        f"/threads/{tid}/reply",
        data={"csrf_token": token, "body": "Thanks, fixed!"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "#post-" in r.headers["location"]
    assert "Thanks, fixed!" in client.get(url).text


def test_new_thread_form_with_empty_title_shows_message_and_keeps_text(
    client: TestClient, world: World
) -> None:
    token = login_browser(client, "alice")
    r = client.post(
        "/threads/new",
        data={"csrf_token": token, "course": "dl", "title": "  ", "body": "my precious text"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "The title is empty" in r.text and "my precious text" in r.text
    assert client.get("/api/v1/courses/dl/threads").json()["count"] == 0


def test_new_thread_page_redirects_anonymous_to_login(client: TestClient, world: World) -> None:
    r = client.get("/threads/new", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_controls_shown_only_to_those_allowed(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    reply(client, world.headers["bob"], tid)
    anon = client.get(f"/threads/{tid}").text
    assert "Sign in</a> to reply" in anon
    assert "Pin" not in anon and "Endorse" not in anon and "Accept answer" not in anon
    login_browser(client, "bob")
    learner = client.get(f"/threads/{tid}").text
    assert ">Pin<" not in learner and "Endorse" not in learner and "Accept answer" not in learner
    assert learner.count(">Edit<") == 1  # his own reply only
    login_browser(client, "alice")
    author = client.get(f"/threads/{tid}").text
    assert "Accept answer" in author and "Endorse" not in author and ">Pin<" not in author
    login_browser(client, "teacher")
    staff = client.get(f"/threads/{tid}").text
    assert ">Pin<" in staff and ">Lock<" in staff and ">Endorse<" in staff
    assert "Accept answer" in staff and staff.count(">Edit<") == 2


def test_edited_deleted_and_locked_states_are_visible(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    p = reply(client, world.headers["bob"], tid, "gone soon")
    client.patch(
        f"/api/v1/threads/{tid}", json={"body": "Edited text"}, headers=world.headers["alice"]
    )
    client.delete(f"/api/v1/posts/{p['id']}", headers=world.headers["bob"])
    client.post(f"/api/v1/threads/{tid}/lock", json={"value": True}, headers=world.headers["mod"])
    page = client.get(f"/threads/{tid}").text
    assert ">edited<" in page and "Edited text" in page
    assert "[deleted]" in page and "gone soon" not in page
    assert "This thread is locked" in page


def test_edit_form_saves_and_refuses_others(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    token = login_browser(client, "bob")
    assert client.get(f"/threads/{tid}/edit", headers={"Accept": "text/html"}).status_code == 403
    r = client.post(
        f"/threads/{tid}/edit",
        data={"csrf_token": token, "title": "Hijacked", "body": "x"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 403
    token = login_browser(client, "alice")
    r = client.post(
        f"/threads/{tid}/edit",
        data={"csrf_token": token, "title": "Clearer title", "body": "Clearer body"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Clearer title" in client.get(f"/threads/{tid}").text


def test_moderator_pins_and_locks_through_forms(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    token = login_browser(client, "mod")
    for action in ("pin", "lock"):
        r = client.post(
            f"/threads/{tid}/{action}",
            data={"csrf_token": token, "value": "true"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    page = client.get(f"/threads/{tid}").text
    assert ">Unpin<" in page and ">Unlock<" in page and "badge-locked" in page


def test_rate_limited_form_post_shows_page_with_retry_after(
    client: TestClient,
    world: World,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_post", "2/60")
    t = ask(client, world.headers["mod"])
    token = login_browser(client, "alice")
    url = f"/threads/{t['thread']['id']}/reply"
    ok = client.post(url, data={"csrf_token": token, "body": "one"}, follow_redirects=False)
    assert ok.status_code == 303
    r = client.post(
        url,
        data={"csrf_token": token, "body": "two"},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert "Too many posts" in r.text


def test_new_thread_form_prefilled_from_query_survives_login(
    client: TestClient, world: World
) -> None:
    url = "/threads/new?course=dl&assignment=" + world.a1.slug + "&title=lstm+off&body=my+traceback"
    r = client.get(url, headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    assert "title%3Dlstm" in r.headers["location"] or "title=lstm" in r.headers["location"]
    login_browser(client, "alice")
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="lstm off"' in page.text and "my traceback</textarea>" in page.text
