"""Follow / Unfollow buttons on the course and assignment pages: a form post with the CSRF
token; the page shows the current state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from notify import service as notify_service
from notify.models import FollowKind
from tests.conftest import login_browser
from tests.notify.conftest import Place


def _button(html: str, action: str) -> str:
    """The label of the follow form posting to ``action`` ("" when the page has none)."""
    if f'action="{action}"' not in html:
        return ""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return form.rsplit(">", 2)[-2].split("<", 1)[0].strip()


def test_follow_then_unfollow_assignment_and_course_from_their_pages(
    client: TestClient, session: Session, place: Place, make_user: Callable[..., Any]
) -> None:
    learner = make_user("follower_x")
    token = login_browser(client, "follower_x")
    course_url = f"/courses/{place.course.slug}"
    pages = [
        (FollowKind.assignment, place.assignment.id, f"{course_url}/assignments/rnn"),
        (FollowKind.course, place.course.id, course_url),
    ]
    for kind, target, url in pages:
        action = f"{url}/follow"
        assert _button(client.get(url).text, action) == "Follow"
        r = client.post(action, data={"csrf_token": token}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, url)
        assert notify_service.is_following(
            session=session, user_id=learner.id, kind=kind, target_id=target
        )
        assert _button(client.get(url).text, action) == "Unfollow"
        # Following twice changes nothing; the button's own value=false unfollows.
        assert client.post(action, data={"csrf_token": token}).status_code == 200
        r = client.post(action, data={"csrf_token": token, "value": "false"})
        assert r.status_code == 200 and _button(r.text, action) == "Follow"
        assert not notify_service.is_following(
            session=session, user_id=learner.id, kind=kind, target_id=target
        )


def test_follow_button_refuses_without_csrf_anonymous_or_unknown_assignment(
    client: TestClient, session: Session, place: Place, make_user: Callable[..., Any]
) -> None:
    url = f"/courses/{place.course.slug}/assignments/rnn"
    assert _button(client.get(url).text, f"{url}/follow") == ""  # signed out: no button
    r = client.post(f"{url}/follow", data={}, follow_redirects=False)
    assert r.status_code == 401 and "Sign in" in r.text
    learner = make_user("follower_y")
    token = login_browser(client, "follower_y")
    assert client.post(f"{url}/follow", data={}).status_code == 403  # no CSRF token
    missing = client.post(
        f"/courses/{place.course.slug}/assignments/nope/follow", data={"csrf_token": token}
    )
    assert missing.status_code == 404 and "No assignment" in missing.text
    assert notify_service.list_follows(session=session, user_id=learner.id) == []
