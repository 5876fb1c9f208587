"""Two kinds of evidence a learner gives without meaning to (issue #13), with the real model.

- The value they got: a thread where another learner got the same wrong value is the same bug,
  while its siblings only quote the expected value every thread about that test repeats.
- The assignment they name in words ("step by step deep net") when the widget or page sent
  none: its threads come before another assignment's thread that says the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.assistant.conftest import indexed

pytestmark = pytest.mark.model


@pytest.fixture()
def course(session: Session, make_user: Any) -> Iterator[dict[str, int]]:
    from forum.models import Assignment, Course, Post, Thread

    author = make_user("learner_one")
    c = Course(slug="ml", title="Machine Learning")
    session.add(c)
    session.flush()
    assert c.id is not None
    labs = {
        slug: Assignment(course_id=c.id, slug=slug, title=title)
        for slug, title in (
            ("linreg", "Practice Lab: Linear Regression"),
            ("deep-step", "Building your Deep Neural Network: Step by Step"),
        )
    }
    session.add_all(labs.values())
    session.flush()
    ids: dict[str, int] = {}
    for key, lab, title, body, answer in (
        # Created first: on equal evidence, the index lists it first.
        ("other-lab", "linreg", "my cost is not the one printed",
         "compute_cost gives a different value than the expected output",
         "Divide the sum by 2 * m."),
        ("named-lab", "deep-step", "my cost is not the one printed",
         "compute_cost gives a different value than the expected output",
         "Divide the sum by 2 * m."),
        ("expected-only", "linreg", "compute_cost Case 3 fails: Cost must be 0.4166666",
         "compute_cost_test: AssertionError: Case 3: Cost must be 0.4166666 but got "
         "0.8333333333333334. I sum the squared errors and divide by m.",
         "The cost is 1/(2m) times the sum: divide by 2 * m."),
        ("same-value", "linreg", "Case 3: Cost must be 0.4166666 but got something else",
         "Same assertion in compute_cost_test, my value is 2.25.",
         "Operator precedence: y[i]**2 is squared first. Write (f_wb - y[i])**2."),
    ):  # fmt: skip
        t = Thread(course_id=c.id, assignment_id=labs[lab].id, author_id=author.id, title=title)
        session.add(t)
        session.flush()
        assert t.id is not None
        session.add(Post(thread_id=t.id, author_id=author.id, is_question=True, body=body))
        reply = Post(thread_id=t.id, author_id=author.id, body=answer)
        session.add(reply)
        session.flush()
        t.accepted_post_id, t.reply_count = reply.id, 1
        ids[key] = t.id
    with indexed(session):
        yield ids


def _first_thread(client: TestClient, **body: Any) -> int:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    sources = r.json()["sources"]
    assert sources, r.json()
    # A thread's url, or its reply's: /threads/{id} or /threads/{id}#post-{n}.
    url = sources[0]["url"]
    assert url.startswith("/threads/"), sources[0]
    return int(url.removeprefix("/threads/").split("#")[0].split("?")[0])


def test_the_learner_who_got_the_same_wrong_value_answers_first(
    client: TestClient, course: dict[str, int]
) -> None:
    def traceback(got: str) -> str:
        return (
            "AssertionError                            Traceback (most recent call last)\n"
            "Cell In[9], line 3\n      1 from public_tests import *\n"
            "----> 3 compute_cost_test(compute_cost)\n\n"
            f"AssertionError: Case 3: Cost must be 0.41666667 but got {got}"
        )

    mine = traceback("2.25")
    assert _first_thread(client, question=mine) == course["same-value"]
    # The same assertion with the other learner's value finds the other thread.
    theirs = traceback("0.8333333333333334")
    assert _first_thread(client, question=theirs) == course["expected-only"]


def test_the_assignment_named_in_words_puts_its_thread_first(
    client: TestClient, course: dict[str, int]
) -> None:
    named = "deep neural network step by step: my cost is not the one printed"
    assert _first_thread(client, question=named) == course["named-lab"]
    plain = "linear regression lab: my cost is not the one printed"
    assert _first_thread(client, question=plain) == course["other-lab"]
