"""Errata that find themselves (issue #18), simulated through the real ask API.

Learners ask with their output and the notebook's expected output, each from their own address
with their own token; the real model and index answer. The moderator queue is read back over
the API and the page, verification goes through the errata API, notices through notify's outbox.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from assistant.checks import FailingCheck
from core.clock import utcnow
from errata.models import Erratum, ErratumStatus, Notification
from errata.suspects import SuspectedErratum
from notify.fanout import fan_out_pending
from notify.models import MailOutbox
from tests.assistant.conftest import World
from tests.conftest import login_browser
from users.models import User

pytestmark = pytest.mark.model

COURSE, ASSIGNMENT = "dl-seq", "rnn-step-by-step"
QUESTION = "lstm_cell_forward_test fails: Wrong values for c_next, but I checked my code"
PUBLISHED = "c_next[2] = [ 0.63267805  0.85487948 -0.56917416  0.73562493 -0.18776225]"
CONSENSUS = "c_next[2] = [ 0.32323997  0.85487948 -0.56917416  0.73562493 -0.18776225]"
# The same numbers as a learner's own print: fewer digits, a numpy array repr.
CONSENSUS_SHORT = "c_next[2] = array([0.32324, 0.854879, -0.569174, 0.735625, -0.187762])"


def scattered(i: int) -> str:
    """A real bug's output: differs from everyone else's."""
    return f"c_next[2] = [ {0.1 + i / 7:.8f}  {0.9 - i / 11:.8f} -0.1  0.2  {i * 0.37:.8f}]"


class Learners:
    """Signed-in learners, each with an API token, an e-mail address and their own IP."""

    def __init__(self, app: Any, session: Session, token_for: Any) -> None:
        self.app, self.session, self.token_for = app, session, token_for
        self.made: list[tuple[User, TestClient]] = []

    def new(self, *, ip: str | None = None, days_old: int = 30) -> tuple[User, TestClient]:
        n = len(self.made) + 1
        # No password (they use API tokens): hashing one per learner would dominate the test.
        user = User(
            username=f"learner_{n:03d}", email=f"learner{n}@example.org",
            created_at=utcnow() - timedelta(days=days_old),
        )  # fmt: skip
        self.session.add(user)
        self.session.commit()
        self.session.refresh(user)
        client = TestClient(
            self.app, client=(ip or f"10.1.{n // 250}.{n % 250 + 1}", 40000),
            headers=self.token_for(user),
        )  # fmt: skip
        self.made.append((user, client))
        return user, client


def report(client: TestClient, output: str, **extra: Any) -> dict[str, Any]:
    body = {"question": QUESTION, "course": COURSE, "assignment": ASSIGNMENT,
            "notebook_version": "4", "output": output, "expected": PUBLISHED, **extra}  # fmt: skip
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def suspects(session: Session) -> list[SuspectedErratum]:
    session.expire_all()
    return list(session.exec(select(SuspectedErratum)).all())


@pytest.fixture()
def learners(app: Any, session: Session, token_for: Any) -> Learners:
    return Learners(app, session, token_for)


def test_eight_agreeing_learners_file_one_suspected_erratum_and_verification_closes_the_loop(
    client: TestClient, world: World, session: Session, learners: Learners, token_for: Any
) -> None:
    eight = [learners.new() for _ in range(8)]
    for i, (_, c) in enumerate(eight):
        report(c, CONSENSUS if i % 2 else CONSENSUS_SHORT)
        if i < 3:  # three real bugs among them
            report(learners.new()[1], scattered(i))
    # Reports keep coming: the suspect is updated, never filed twice.
    report(eight[0][1], CONSENSUS)

    found = suspects(session)
    assert len(found) == 1
    s = found[0]
    assert s.learners == 8 and s.location == "lstm_cell_forward_test"
    assert s.notebook_version == "4" and s.published_output == PUBLISHED
    assert s.proposed_output in (CONSENSUS, CONSENSUS_SHORT)
    assert s.share == pytest.approx(8 / 11, abs=0.01)
    assert s.first_seen <= s.last_seen
    erratum = session.get(Erratum, s.erratum_id)
    assert erratum is not None and erratum.status == ErratumStatus.reported
    assert erratum.corrected_output == ""  # nothing is claimed before the staff verify

    staff = session.exec(select(User).where(User.username == "staff_member")).one()
    staff_headers = token_for(staff)
    queue = client.get("/api/v1/moderation/suspected-errata", headers=staff_headers).json()
    assert [q["erratum_id"] for q in queue] == [s.erratum_id]
    assert queue[0]["learners"] == 8 and queue[0]["published_output"] == PUBLISHED
    assert len(queue[0]["samples"]) == 3
    names = {u.username for u, _ in learners.made}
    assert all(x["learner"].startswith("learner-") for x in queue[0]["samples"])
    assert not any(x["learner"] in names for x in queue[0]["samples"])
    # Learners never see the queue.
    assert eight[1][1].get("/api/v1/moderation/suspected-errata").status_code == 403
    login_browser(client, "staff_member")
    html = client.get("/moderation").text
    section = html.split('id="suspected"', 1)[1].split("</section>", 1)[0]
    assert f"#{s.erratum_id}" in section and "8 learners" in section
    assert "lstm_cell_forward_test" in section and "73% of this check" in section
    assert "0.63267805" in section and "<mark>" in section  # published vs proposed, marked
    assert not any(u.username in section for u, _ in learners.made)
    pending = html.split("Pending reports", 1)[1]
    assert f"#{s.erratum_id} " not in pending  # listed once, in its own section

    r = client.post(f"/api/v1/errata/{s.erratum_id}/verify", headers=staff_headers, json={})
    assert r.status_code == 200, r.text
    session.expire_all()
    erratum = session.get(Erratum, s.erratum_id)
    assert erratum is not None and erratum.corrected_output == s.proposed_output

    told = set(
        session.exec(
            select(Notification.user_id).where(Notification.kind == "consensus_verified")
        ).all()
    )
    assert told == {u.id for u, _ in eight}
    fan_out_pending(session)
    mailed = session.exec(
        select(MailOutbox.to_addr).where(MailOutbox.kind == "consensus_verified")
    ).all()
    assert sorted(mailed) == sorted(u.email for u, _ in eight)

    ninth = learners.new()[1]
    data = report(ninth, CONSENSUS_SHORT)
    assert data["verdict"] == "output_matches_correction"
    assert "Your output matches the corrected expected output" in data["answer"]
    assert data["sources"][0]["id"] == s.erratum_id
    assert len(suspects(session)) == 1


def at(test: str) -> dict[str, str]:
    """Another location of the same notebook (another test's failure)."""
    return {"question": QUESTION.replace("lstm_cell_forward_test", test)}


def test_four_agreeing_twenty_runs_of_one_and_scattered_outputs_are_no_consensus(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    for _ in range(4):
        report(learners.new()[1], CONSENSUS)
    _, c = learners.new()
    for _ in range(20):
        report(c, CONSENSUS, **at("lstm_forward_test"))
    for i in range(12):
        report(learners.new()[1], scattered(i), **at("rnn_backward_test"))
    assert suspects(session) == []
    checks = session.exec(select(FailingCheck.location)).all()
    assert sorted(set(checks)) == [
        "lstm_cell_forward_test",
        "lstm_forward_test",
        "rnn_backward_test",
    ]
    assert len(checks) == 4 + 20 + 12


def test_brand_new_accounts_and_accounts_behind_one_address_count_less(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    for _ in range(8):  # eight accounts made today weigh four learners
        report(learners.new(days_old=0)[1], CONSENSUS)
    assert suspects(session) == []
    report(learners.new()[1], CONSENSUS)  # 4 + 1 = 5
    (s,) = suspects(session)
    assert s.learners == 9 and s.weight == pytest.approx(5.0)

    elsewhere, other = at("lstm_forward_test"), CONSENSUS.replace("0.85487948", "0.5")
    for _ in range(8):  # eight accounts behind one address count as two
        report(learners.new(ip="192.0.2.7")[1], other, **elsewhere)
    for _ in range(2):
        report(learners.new()[1], other, **elsewhere)
    assert len(suspects(session)) == 1  # 2 + 2
    report(learners.new()[1], other, **elsewhere)
    s = next(x for x in suspects(session) if x.location == "lstm_forward_test")
    assert s.learners == 11 and s.weight == pytest.approx(5.0)


def test_rejected_suspected_erratum_explains_itself_to_later_learners(
    client: TestClient, world: World, session: Session, learners: Learners, token_for: Any
) -> None:
    eight = [learners.new() for _ in range(6)]
    for _, c in eight:
        report(c, CONSENSUS)
    (s,) = suspects(session)
    staff = session.exec(select(User).where(User.username == "staff_member")).one()
    reason = "Not an erratum: c_next must use the forget gate of this step, not the previous one."
    r = client.post(
        f"/api/v1/errata/{s.erratum_id}/reject", headers=token_for(staff), json={"reason": reason}
    )
    assert r.status_code == 200, r.text
    told = session.exec(
        select(Notification.user_id).where(Notification.kind == "consensus_rejected")
    ).all()
    assert set(told) == {u.id for u, _ in eight}

    data = report(learners.new()[1], CONSENSUS_SHORT)
    assert data["verdict"] == "rejected_report"
    assert "forget gate of this step" in data["answer"]
    assert s.erratum_id in [x["id"] for x in data["sources"] if x["type"] == "erratum"]
    assert len(suspects(session)) == 1  # never filed again


def test_bad_reports_are_refused_kept_or_capped(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    _, c = learners.new()
    r = c.post("/api/v1/ask", json={"question": QUESTION, "course": COURSE,
               "assignment": "no-such-notebook", "output": CONSENSUS,
               "expected": PUBLISHED})  # fmt: skip
    assert r.status_code == 404
    assert "Unknown assignment “no-such-notebook”" in r.json()["detail"]
    r = c.post("/api/v1/ask", json={"question": QUESTION, "course": COURSE,
               "assignment": ASSIGNMENT, "notebook_version": "9", "output": CONSENSUS,
               "expected": PUBLISHED})  # fmt: skip
    assert r.status_code == 422
    assert "Unknown notebook version “9”" in r.json()["detail"]
    assert "current version is 4" in r.json()["detail"]
    # Without an expected output it is an ordinary question: answered, nothing kept.
    r = c.post("/api/v1/ask", json={"question": QUESTION, "course": COURSE,
               "assignment": "no-such-notebook", "output": CONSENSUS})  # fmt: skip
    assert r.status_code == 200

    # Unparseable outputs are kept but never counted.
    for _ in range(6):
        report(learners.new()[1], "Kernel died, restarting")
    rows = session.exec(select(FailingCheck)).all()
    assert len(rows) == 6 and not any(x.parseable for x in rows)
    assert all(x.cluster_id is None for x in rows)
    assert suspects(session) == []

    huge = CONSENSUS + "\n" + "\n".join(f"x{i} = {i}.5" for i in range(2_000))
    report(c, huge[:19_000])
    row = session.exec(select(FailingCheck).order_by(col(FailingCheck.id).desc())).first()
    assert row is not None and row.truncated and len(row.actual_output) == 4_000


def test_opted_out_learners_are_not_kept(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    _, c = learners.new()
    report(c, CONSENSUS)
    assert len(session.exec(select(FailingCheck)).all()) == 1
    r = c.put("/api/v1/me/output-sharing", json={"keep": False})
    assert r.status_code == 200 and r.json()["keep"] is False
    assert r.json()["retention_days"] == 180
    session.expire_all()
    assert session.exec(select(FailingCheck)).all() == []  # what was kept is deleted
    report(c, CONSENSUS)
    assert session.exec(select(FailingCheck)).all() == []
    assert c.get("/api/v1/me/output-sharing").json()["keep"] is False


def test_ask_page_chat_and_anonymous_asks(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    """The Ask page's "Compare outputs" posts to /api/v1/chat: kept in the conversation's
    context. Anonymous asks are answered and never kept (nothing says who they are)."""
    _, c = learners.new()
    r = c.post("/api/v1/chat", json={"question": QUESTION, "course": COURSE,
               "assignment": ASSIGNMENT, "output": CONSENSUS, "expected": PUBLISHED})  # fmt: skip
    assert r.status_code == 200, r.text
    (row,) = session.exec(select(FailingCheck)).all()
    assert (row.notebook_version, row.location) == ("4", "lstm_cell_forward_test")
    assert row.expected_output == PUBLISHED and row.parseable and not row.matches_expected
    assert len(row.learner_key) == 16 and row.ip_key is not None and "10.1." not in row.ip_key
    assert report(client, CONSENSUS)["verdict"]  # the shared client is signed out
    assert len(session.exec(select(FailingCheck)).all()) == 1


def test_retention_purge_deletes_old_checks(
    client: TestClient, world: World, session: Session, learners: Learners
) -> None:
    from assistant.checks import CheckCluster, purge

    for _ in range(6):
        report(learners.new()[1], CONSENSUS)
    report(learners.new()[1], scattered(1))
    (s,) = suspects(session)
    for row in session.exec(select(FailingCheck)).all():
        row.created_at = utcnow() - timedelta(days=181)
        session.add(row)
    session.commit()
    # What `checkfirst checks purge` runs (the ask path purges at most hourly, and only when
    # reports keep arriving).
    from typer.testing import CliRunner

    from app.cli import app as cli

    done = CliRunner().invoke(cli, ["checks", "purge"])
    assert done.exit_code == 0, done.output
    assert "7 failing checks older than 180 days deleted" in done.output
    assert purge(session) == 0
    session.expire_all()
    assert session.exec(select(FailingCheck)).all() == []
    # The suspected erratum keeps its evidence; the scattered group is gone.
    clusters = session.exec(select(CheckCluster.id)).all()
    assert clusters == [s.cluster_id] and suspects(session)[0].learners == 6


def test_opt_out_page(client: TestClient, world: World, session: Session, make_user: Any) -> None:
    user = make_user("page_learner")
    token = login_browser(client, "page_learner")
    page = client.get("/profile/output-sharing")
    assert "deleted after 180 days" in page.text and "checked" in page.text
    r = client.post("/profile/output-sharing", data={"csrf_token": token})
    assert r.status_code == 200 and "Saved." in r.text
    from assistant.checks import opted_out

    assert opted_out(session, user.id)
