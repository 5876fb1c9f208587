"""Issue #17, the leak walk: as a classmate (signed in, by token, through a widget token, and
signed out), every GET route the app has, plus the read-only POSTs (ask, chat), with the index
on: no response names the real author of an anonymous post, and none shows a private thread.

Routes are enumerated from the app (``tests/core/test_authz_walk._api_routes``), so a route
added later is walked too; path parameters are filled with the ids of the anonymous and
private content, and search-like query parameters with words only that content contains.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.conftest import login_browser
from tests.core.test_authz_walk import _api_routes

API = "/api/v1"
# Zelda posts only anonymously: her names must never reach a classmate.
ZELDA = "zelda_hidden"
ZELDA_NAME = "Zelda Quetzalli"
# Words only the private thread holds; a search for its content words must not surface it.
PRIVATE_MARK = "privmarker"
PRIVATE_BODY = "privbody"
KNOWN = {"thread_id", "post_id", "id", "slug", "course", "assignment_slug", "assignment",
         "erratum_id", "notification_id", "type", "thread", "post", "q", "question", "title",
         "body", "text", "traceback", "output"}  # fmt: skip
SEARCH = "gru_backward_quokka solution dW_quokka overflow sigmoid_walrus"


@dataclass
class Leaky:
    course_id: int
    anon_thread: int
    anon_reply: int
    anon_question: int
    public_thread: int
    private_thread: int
    private_reply: int
    erratum: int
    classmate_token: dict[str, str]
    widget_token: dict[str, str]
    carl_notifications: list[int]


def _api(client: TestClient, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    r = client.request(method, API + path, headers=headers, **kw)
    assert r.status_code < 300, (path, r.status_code, r.text)
    return r.json()


@pytest.fixture()
def leaky(client: TestClient, session: Session, make_user: Any, token_for: Any) -> Iterator[Leaky]:
    from app.indexing import register_loaders
    from errata.models import Notification
    from forum.models import Assignment, Course
    from index.runtime import get_runtime
    from notify.fanout import fan_out_pending
    from users.models import CourseRole

    course = Course(slug="dl", title="Deep Learning")
    session.add(course)
    session.flush()
    assert course.id is not None
    session.add(Assignment(course_id=course.id, slug="a1", title="GRU", position=1))
    zelda = make_user(ZELDA)
    zelda.display_name = ZELDA_NAME
    carl, bob, teacher = make_user("carl"), make_user("bob"), make_user("teacher")
    mod = make_user("mod", "moderator")
    carl.email = "carl@example.org"
    session.add_all([zelda, carl])
    session.add(CourseRole(user_id=teacher.id, course_id=course.id, role="instructor"))
    session.commit()
    h = {u.username: token_for(u) for u in (zelda, carl, bob, teacher, mod)}

    # Carl asks in public; Zelda answers anonymously (Carl follows his thread: notified).
    pub = _api(client, "POST", "/courses/dl/threads", h["carl"], json={
        "title": "sigmoid_walrus overflow in the GRU notebook", "assignment": "a1",
        "body": "np.exp overflows in sigmoid_walrus for large inputs."})  # fmt: skip
    pub_id = pub["thread"]["id"]
    _api(client, "POST", f"/threads/{pub_id}/replies", h["zelda_hidden"],
         json={"body": "Clip the input of sigmoid_walrus first.", "anonymous": True})  # fmt: skip
    # Zelda's own anonymous question, answered by the instructor, replied to and edited by her.
    anon = _api(client, "POST", "/courses/dl/threads", h["zelda_hidden"], json={
        "title": "gru_backward_quokka gives the wrong dW_quokka", "assignment": "a1",
        "body": "My gru_backward_quokka dW_quokka differs from the expected output.",
        "anonymous": True})  # fmt: skip
    anon_id = anon["thread"]["id"]
    _api(client, "POST", f"/threads/{anon_id}/replies", h["teacher"],
         json={"body": "Check the transpose in gru_backward_quokka."})  # fmt: skip
    anon_reply = _api(client, "POST", f"/threads/{anon_id}/replies", h["zelda_hidden"],
                      json={"body": "Thanks, it was that.", "anonymous": True})  # fmt: skip
    _api(client, "PATCH", f"/threads/{anon_id}", h["zelda_hidden"],
         json={"body": "My gru_backward_quokka dW_quokka differs (edited)."})  # fmt: skip
    _api(client, "PUT", f"/posts/{anon_reply['id']}/vote", h["carl"], json={"value": 1})
    _api(client, "POST", f"/threads/{anon_id}/follow", h["carl"])
    # Bob's private thread with his full solution, answered by the instructor.
    priv = _api(client, "POST", "/courses/dl/threads", h["bob"], json={
        "title": f"{PRIVATE_MARK} my gru_backward_quokka solution", "assignment": "a1",
        "body": f"{PRIVATE_BODY}: full gru_backward_quokka solution dW_quokka = dz @ x.T",
        "private": True})  # fmt: skip
    priv_id = priv["thread"]["id"]
    priv_reply = _api(client, "POST", f"/threads/{priv_id}/replies", h["teacher"],
                      json={"body": f"{PRIVATE_BODY} reply: your dW_quokka is right."})  # fmt: skip
    # An erratum a moderator links the private thread to (its public page must not list it).
    err = _api(client, "POST", "/errata", h["mod"], json={
        "course": "dl", "assignment": "a1", "title": "gru_backward_quokka expected dW wrong",
        "description": "The expected dW_quokka printed under gru_backward_quokka is stale.",
        "kind": "wrong_expected_output"})  # fmt: skip
    _api(client, "POST", f"/errata/{err['id']}/links", h["mod"], json={"thread_id": priv_id})
    _api(client, "POST", f"/errata/{err['id']}/links", h["mod"], json={"thread_id": anon_id})
    _api(client, "POST", f"/errata/{err['id']}/verify", h["mod"], json={"reason": "Yes."})

    fan_out_pending(session)
    notes = session.exec(select(Notification.id).where(Notification.user_id == carl.id)).all()
    register_loaders()
    runtime = get_runtime()
    runtime.rebuild_now()
    yield Leaky(
        course_id=course.id, anon_thread=anon_id, anon_reply=anon_reply["id"],
        anon_question=anon["question"]["id"], public_thread=pub_id, private_thread=priv_id,
        private_reply=priv_reply["id"], erratum=err["id"], classmate_token=h["carl"],
        widget_token=token_for(carl, "widget"), carl_notifications=[n for n in notes if n],
    )  # fmt: skip
    runtime.reset()


def _leaks(text: str, w: Leaky) -> list[str]:
    low = text.lower()
    found = [word for word in (ZELDA, ZELDA_NAME.lower(), "quetzalli", PRIVATE_MARK, PRIVATE_BODY)
             if word in low]  # fmt: skip
    if re.search(rf"/threads/{w.private_thread}(?!\d)", text):
        found.append(f"/threads/{w.private_thread}")
    if re.search(rf"post-{w.private_reply}(?!\d)", text):
        found.append(f"post-{w.private_reply}")
    return found


def _values(name: str, w: Leaky, annotation: str) -> list[Any]:
    """Values to try for a path or query parameter: the sensitive ids, words only they hold."""
    ints = "int" in annotation and "str" not in annotation
    table: dict[str, list[Any]] = {
        "thread_id": [w.anon_thread, w.private_thread, w.public_thread],
        "post_id": [w.anon_reply, w.anon_question, w.private_reply],
        "id": [w.private_thread, w.anon_thread, w.private_reply],
        "slug": ["dl"], "course": [w.course_id] if ints else ["dl"],
        "assignment_slug": ["a1"], "assignment": ["a1"],
        "erratum_id": [w.erratum], "notification_id": w.carl_notifications[:2] or [1],
        "type": ["thread", "post"], "thread": [w.private_thread, w.anon_thread],
        "post": [w.private_reply],
    }  # fmt: skip
    for text_name in ("q", "question", "title", "body", "text", "traceback", "output"):
        table[text_name] = [SEARCH]
    return table.get(name, [1 if ints else "x"])


def _requests(app: Any, w: Leaky) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for route in _api_routes(app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path_names = [p.name for p in route.dependant.path_params]
        options = [
            _values(p.name, w, str(p.field_info.annotation)) for p in route.dependant.path_params
        ]
        query = {}
        for p in route.dependant.query_params:
            # Known names get the sensitive values; unknown required ones a placeholder.
            if p.alias in KNOWN or p.field_info.is_required():
                query[p.alias] = _values(p.alias, w, str(p.field_info.annotation))[0]
        for combo in itertools.product(*options):
            path = route.path
            for name, value in zip(path_names, combo, strict=True):
                path = path.replace("{" + name + "}", str(value))
            yield route.path, path, query
            if "id" in query and route.dependant.path_params == []:
                for other in _values("id", w, "int")[1:]:
                    yield route.path, path, {**query, "id": other}


def test_classmate_sees_no_anonymous_author_and_no_private_thread_anywhere(
    app: Any, client: TestClient, leaky: Leaky
) -> None:
    from core.ratelimit import limiter

    w = leaky
    # The index is on: the public content is found, so the walk below searched for real.
    hits = client.get(f"{API}/search", params={"q": "gru_backward_quokka"}).json()["data"]
    assert any(h["url"] == f"/threads/{w.anon_thread}" for h in hits), hits

    browser = TestClient(app)
    login_browser(browser, "carl")
    widget = TestClient(app, headers=w.widget_token)
    token = TestClient(app, headers=w.classmate_token)
    signed_out = TestClient(app)
    walked: set[str] = set()
    problems: list[str] = []
    for template, path, query in _requests(app, w):
        walked.add(template)
        for who, c in (("browser", browser), ("token", token), ("widget", widget),
                       ("signed-out", signed_out)):  # fmt: skip
            limiter.reset()
            r = c.get(path, params=query, follow_redirects=False)
            if r.status_code >= 500:
                problems.append(f"{who} GET {path} {query}: {r.status_code}")
            leaked = _leaks(r.text + str(r.headers.get("location", "")), w)
            if leaked:
                problems.append(f"{who} GET {path} {query}: {leaked}")
    # Reads that are POSTs: the assistant (ask, chat), as the classmate and through the widget.
    for c, who in ((token, "token"), (widget, "widget")):
        for path in ("/ask", "/chat"):
            limiter.reset()
            r = c.post(API + path, json={"question": SEARCH, "course": "dl", "assignment": "a1"})
            assert r.status_code < 500, r.text
            if _leaks(r.text, w):
                problems.append(f"{who} POST {path}: {_leaks(r.text, w)}")
    assert not problems, "\n".join(problems)
    every_get = {
        r.path for r in _api_routes(app.routes) if isinstance(r, APIRoute) and "GET" in r.methods
    }
    assert walked == every_get
    assert len(walked) > 50

    # The private thread by id is a 404, as a page, through the API and for its replies.
    for path in (f"/threads/{w.private_thread}", f"{API}/threads/{w.private_thread}",
                 f"/posts/{w.private_reply}/edit"):  # fmt: skip
        assert browser.get(path, follow_redirects=False).status_code == 404, path
    assert token.get(f"{API}/threads/{w.private_thread}").status_code == 404
    # Nor can the classmate write to it (reply, vote, follow): the same 404.
    assert token.post(f"{API}/threads/{w.private_thread}/replies", json={"body": "hi"}
                      ).status_code == 404  # fmt: skip
    assert token.put(f"{API}/posts/{w.private_reply}/vote", json={"value": 1}).status_code == 404
    assert token.post(f"{API}/threads/{w.private_thread}/follow").status_code == 404


def test_mail_and_notifications_use_the_alias(
    client: TestClient, session: Session, leaky: Leaky
) -> None:
    from errata.models import Notification
    from notify.models import MailOutbox
    from users.models import User

    carl = session.exec(select(User).where(User.username == "carl")).one()
    rows = session.exec(select(Notification).where(Notification.user_id == carl.id)).all()
    assert rows, "Carl should have heard of the anonymous reply"
    for n in rows:
        assert not _leaks(f"{n.message} {n.url}", leaky), n
    assert any("Anonymous learner" in n.message for n in rows)
    mails = session.exec(select(MailOutbox).where(MailOutbox.user_id == carl.id)).all()
    assert mails, "Carl follows his thread by mail (the default)"
    for m in mails:
        assert not _leaks(f"{m.subject} {m.body_text} {m.body_html}", leaky), m.subject


def test_staff_and_author_see_who_wrote_it(
    client: TestClient, leaky: Leaky, session: Session
) -> None:
    from users.models import User

    teacher = session.exec(select(User).where(User.username == "teacher")).one()
    zelda = session.exec(select(User).where(User.username == ZELDA)).one()
    from users.auth import create_api_token

    for user, marker in ((teacher, True), (zelda, True)):
        _, secret = create_api_token(session=session, user=user, name="t")
        detail = client.get(f"{API}/threads/{leaky.anon_thread}",
                            headers={"Authorization": f"Bearer {secret}"}).json()  # fmt: skip
        assert detail["question"]["author"]["username"] == ZELDA
        assert detail["question"]["author"]["anonymous"] is marker
    _, secret = create_api_token(session=session, user=teacher, name="t2")
    r = client.get(f"{API}/threads/{leaky.private_thread}",
                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert r.status_code == 200 and r.json()["thread"]["private"] is True
    # The detector itself: what staff may see is what the walk looks for.
    assert PRIVATE_MARK in _leaks(r.text, leaky)
    page = client.get(
        f"/threads/{leaky.anon_thread}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert ZELDA_NAME.lower() in _leaks(page.text, leaky)
    assert "anonymous to classmates" in page.text
    # A classmate: the alias, stable in the thread, no id, no username.
    detail = client.get(f"{API}/threads/{leaky.anon_thread}", headers=leaky.classmate_token).json()
    question, replies = detail["question"]["author"], detail["replies"]
    assert question["id"] is None and question["username"] == ""
    assert question["display_name"].startswith("Anonymous learner")
    assert replies[-1]["author"]["display_name"] == question["display_name"]
    assert detail["question"]["edited_by"]["display_name"] == question["display_name"]
