"""Issue #19, errata and moderation as a person sees them: confirmation with Undo, a wrong
"Original #" or a future "fixed in" version explained beside the form, no "Affects me too" on a
rejected report, differing output values marked, an Errata tab per course. Chromium at 1280 and
390 px for the moderator's journey and the outputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from errata import service
from errata.models import Erratum, ErratumHistory, ErratumStatus
from tests.browser_demo import chromium, sign_in
from tests.conftest import login_browser
from tests.errata.conftest import World

S = ErratumStatus


def _post(client: TestClient, token: str, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_verify_confirms_with_undo_that_puts_it_back(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    token = login_browser(client, "mod")
    r = _post(client, token, f"/errata/{e.id}/transition", action="verify", next="/moderation")
    assert r.status_code == 303 and r.headers["location"].startswith("/moderation?done=")
    page = client.get(r.headers["location"]).text
    assert f"#{e.id} rnn_forward expected a_next[4][1] is wrong</a> verified." in page
    assert ">Undo</button>" in page
    history_id = page.split('name="history_id" value="', 1)[1].split('"', 1)[0]

    r = _post(client, token, f"/errata/{e.id}/undo", history_id=history_id, next="/moderation")
    assert r.status_code == 303
    assert "is reported again" in client.get(r.headers["location"]).text
    session.expire_all()
    row = session.get(Erratum, e.id)
    assert row is not None and row.status == S.reported and row.verifier_id is None
    rows = session.exec(
        select(ErratumHistory)
        .where(ErratumHistory.erratum_id == e.id)
        .order_by(col(ErratumHistory.id))
    ).all()
    assert [(h.from_status, h.to_status) for h in rows][-2:] == [
        (S.reported, S.verified), (S.verified, S.reported),
    ]  # fmt: skip
    assert rows[-1].reason.startswith("Undone")
    # A second undo (or someone else's) is refused: the move is no longer the latest.
    r = _post(client, token, f"/errata/{e.id}/undo", history_id=history_id)
    assert r.status_code == 409


def test_undo_is_only_for_the_moderator_who_moved_it(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    service.transition(session=session, user=world.admin, erratum_id=e.id, to_status=S.verified)
    token = login_browser(client, "mod")
    last = _last_history_id(e.id)
    assert ">Undo</button>" not in client.get(f"/errata/{e.id}?done={last}").text
    assert _post(client, token, f"/errata/{e.id}/undo", history_id=str(last)).status_code == 409


def _session() -> Session:
    from core.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def _last_history_id(erratum_id: int) -> int:
    with _session() as s:
        row = s.exec(
            select(ErratumHistory)
            .where(ErratumHistory.erratum_id == erratum_id)
            .order_by(col(ErratumHistory.id).desc())
        ).first()
        assert row is not None and row.id is not None
        return row.id


def test_wrong_original_number_is_explained_beside_the_form(
    client: TestClient, world: World, report: Any
) -> None:
    e = report()
    token = login_browser(client, "mod")
    r = _post(
        client, token, f"/errata/{e.id}/transition", action="duplicate", duplicate_of="#9999",
        next="/moderation",
    )  # fmt: skip
    assert r.status_code == 422
    assert "There is no erratum #9999; check the original" in r.text
    assert 'id="moderate-error"' in r.text and "<h1>Not found" not in r.text


def test_refused_form_keeps_what_was_typed_and_focuses_the_field(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    token = login_browser(client, "mod")
    r = _post(
        client, token, f"/errata/{e.id}/transition", action="duplicate", duplicate_of="#9999",
        reason="Same as the LSTM one",
    )  # fmt: skip
    assert r.status_code == 422 and r.text.count('id="moderate-error"') == 1
    form = r.text.split('value="duplicate">', 1)[1].split("</form>", 1)[0]
    assert "There is no erratum #9999" in form  # inside the form it concerns
    assert 'value="#9999" autofocus aria-invalid="true"' in form
    assert 'value="Same as the LSTM one"' in form
    # An action whose form is not on the page (the erratum moved on meanwhile): still said.
    service.transition(session=session, user=world.moderator, erratum_id=e.id, to_status=S.verified)
    r = _post(client, token, f"/errata/{e.id}/transition", action="duplicate", duplicate_of="x")
    assert r.status_code == 422 and r.text.count('id="moderate-error"') == 1
    assert "Give the number of the original erratum, e.g. 12." in r.text


def test_fixed_in_a_version_newer_than_the_notebook_is_refused(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    service.transition(session=session, user=world.moderator, erratum_id=e.id, to_status=S.verified)
    token = login_browser(client, "mod")
    # The assignment's current notebook is 3a: 4 and 10 are newer, 3 and 3a are not.
    for version in ("4", "10", "3b"):
        r = _post(client, token, f"/errata/{e.id}/transition", action="fix", fixed_in=version)
        assert r.status_code == 422, version
        assert f"Version {version} is newer than the current notebook (3a)" in r.text
    session.expire_all()
    assert session.get(Erratum, e.id).status == S.verified  # type: ignore[union-attr]
    r = _post(client, token, f"/errata/{e.id}/transition", action="fix", fixed_in="3a")
    assert r.status_code == 303
    assert "marked fixed in version 3a." in client.get(r.headers["location"]).text


def test_rejected_erratum_offers_no_affects_me(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    login_browser(client, "learner_b")
    assert "Affects me too" in client.get(f"/errata/{e.id}").text
    service.transition(
        session=session, user=world.moderator, erratum_id=e.id, to_status=S.rejected,
        reason="The notebook is right; a_prev must be a0.",
    )  # fmt: skip
    page = client.get(f"/errata/{e.id}").text
    assert "Not an erratum." in page and "Affects me too" not in page


def test_outputs_mark_the_values_that_differ_and_course_has_errata_tab(
    client: TestClient, world: World, report: Any
) -> None:
    e = report(
        published_output="a[4][1] = [-0.99999375  0.77911235 -0.99861469]",
        corrected_output="a[4][1] = [-0.99999375  0.77911234 -0.99861469]",
    )
    page = client.get(f"/errata/{e.id}").text
    assert "<mark>0.77911235</mark>" in page and "<mark>0.77911234</mark>" in page
    assert page.count("<mark>") == 2
    course = client.get(f"/courses/{world.course.slug}").text
    assert f'href="/courses/{world.course.slug}/errata">Errata</a>' in course


def test_moderation_queue_shows_the_report_text(
    client: TestClient, world: World, report: Any
) -> None:
    report(description="The formula uses **tanh** but the output was made with sigmoid.")
    login_browser(client, "mod")
    page = client.get("/moderation").text
    assert "<strong>tanh</strong> but the output was made with sigmoid" in page


# In Chromium

WIDTHS = [(1280, 900), (390, 844)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.mark.browser
@pytest.mark.parametrize("size", WIDTHS, ids=["1280", "390"])
def test_moderator_verifies_sees_confirmation_and_undoes_in_chromium(
    live_server: Any, browser: Any, world: World, report: Any, size: tuple[int, int]
) -> None:
    long = "  ".join(f"{i * 0.123456789:.8f}" for i in range(40))
    e = report(
        published_output=f"a = [{long}  0.18141802]", corrected_output=f"a = [{long}  0.77911235]"
    )
    base = live_server.url
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    sign_in(page, base, "mod", password="correct horse 1")
    page.goto(base + "/moderation")
    assert "doesn't match the formula" in page.inner_text(".queue-report")
    page.locator(".queue-item").first.locator("text=Verify").click()
    page.wait_for_selector("#flash")
    assert f"#{e.id}" in page.inner_text("#flash") and "verified" in page.inner_text("#flash")
    page.click("#flash >> text=Undo")
    page.wait_for_selector("text=is reported again")
    assert page.locator(".queue-item").count() == 1

    # Outputs wrap inside their boxes; the differing value is marked in each.
    page.goto(f"{base}/errata/{e.id}")
    marks = page.locator(".output-compare mark")
    assert marks.count() == 2
    assert [marks.nth(i).inner_text() for i in range(2)] == ["0.18141802", "0.77911235"]
    assert marks.nth(1).is_visible()
    overflow = page.evaluate(
        "[...document.querySelectorAll('.output-compare pre')]"
        ".map(p => p.scrollWidth - p.clientWidth)"
    )
    assert overflow == [0, 0]
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
