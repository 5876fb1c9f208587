"""A learner's own code pasted into a question (issue #13): the function with the notebook's
docstring and the template's markers, fenced or not. The docstring is not the learner's words,
and ``dW = 1 / m * np.dot(...)`` is no printed value ``dW = 1``; the code's names still say where
the learner is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from assistant.parsing import parse
from tests.assistant.conftest import World, _erratum, _thread, indexed

ASKED = "linear_backward: the weight gradient is slightly off even though I average over m."

FUNCTION = '''def linear_backward(dZ, cache):
    """
    Implement the linear portion of backward propagation for a single layer (layer l)

    Arguments:
    dZ -- Gradient of the cost with respect to the linear output (of current layer l)
    cache -- tuple of values (A_prev, W, b) coming from the forward propagation

    Returns:
    dA_prev -- Gradient of the cost with respect to the activation, same shape as A_prev
    dW -- Gradient of the cost with respect to W (current layer l), same shape as W
    """
    A_prev, W, b = cache
    m = A_prev.shape[0]

    ### START CODE HERE ### (≈ 3 lines of code)
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    ### END CODE HERE ###

    return dA_prev, dW, db'''

# The same paste as the forum shows it once its indentation is lost.
FLATTENED = "\n".join(line.strip() for line in FUNCTION.splitlines())


@pytest.mark.parametrize(
    "post",
    [
        f"{ASKED}\n\nhere is my code:\n\n{FUNCTION}",
        f"{ASKED}\n\nhere is my code:\n\n```python\n{FUNCTION}\n```",
        f"{ASKED}\n\n{FLATTENED}",
    ],
    ids=["unfenced", "fenced", "indentation-lost"],
)
def test_a_pasted_function_is_code_not_the_learners_words(post: str) -> None:
    p = parse(post)
    assert "Gradient of the cost" not in p.prose
    assert "same shape" not in p.prose
    assert "START CODE HERE" not in p.prose
    assert "return" not in p.prose
    assert p.prose.startswith("linear_backward: the weight gradient is slightly off")
    # No statement is read as a printed value ("m = A_prev.shape[0]" is no m = 0).
    assert p.values == []
    # The names still say where the learner is.
    assert "linear_backward" in p.identifiers
    assert {"dW", "A_prev", "np.dot"} <= set(p.identifiers)


def test_the_learners_words_after_the_paste_are_prose_again() -> None:
    post = (
        f"{FLATTENED}\n\nfor some reason the test still says Wrong values for dW. "
        "if I use shape[1] instead it passes, why?"
    )
    prose = parse(post).prose
    assert "for some reason the test still says Wrong values for dW" in prose
    assert "if I use shape[1] instead it passes" in prose
    assert "Gradient of the cost" not in prose


def test_a_paste_cut_inside_its_docstring_ends_where_the_learner_writes_again() -> None:
    cut = FUNCTION.split("    Returns:")[0]  # the docstring never closes
    prose = parse(f"{cut}\nthe test says Wrong values for dW, what did I miss?").prose
    assert prose == "the test says Wrong values for dW, what did I miss?"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("dW = [[0.1 -0.2]]", (0.1, -0.2)),
        ("cost = 0.6931", (0.6931,)),
        ("cost = 0.6931 (expected -0.4)", (0.6931, -0.4)),
        ("x = array([[1., 2.]])", (1.0, 2.0)),
        ("loss = tf.Tensor(0.5, shape=(), dtype=float32)", (0.5,)),
        ("eps = 1e-05", (1e-05,)),
        ("cost = np.float64(0.6931)", (0.6931,)),  # numpy 2's repr of a scalar
        ("x = array([1, 2], dtype=int64)", (1.0, 2.0)),
    ],
)
def test_printed_values_are_still_values(line: str, value: tuple[float, ...]) -> None:
    values = parse(f"my output:\n{line}").values
    assert [v.numbers for v in values] == [value]


@pytest.mark.parametrize(
    "line",
    [
        "dW = 1 / m * np.dot(dZ, A_prev.T)",
        "m = A_prev.shape[1]",
        "x_sum = np.sum(x_exp, axis = 0, keepdims = True)",
        "alpha = 10 ** r",
        "W = np.random.randn(n, m) * 0.01",
        "beta = 1 - 10 ** (np.random.rand() * 3 - 1)",
        "recent['big'] = recent['qty'] > 10",
        "a = sigmoid(z + 1)",
    ],
)
def test_a_statement_is_no_printed_value(line: str) -> None:
    assert parse(f"my code:\n{line}").values == []


def test_a_sentence_after_a_name_stays_the_learners_words() -> None:
    post = (
        "gram_matrix: docstring says the result is square with side n_H*n_W but the test "
        "wants channels by channels"
    )
    assert "docstring says the result is square" in parse(post).prose


@pytest.fixture()
def docstring_erratum(session: Session, world: World, make_user: Any) -> Iterator[World]:
    """A verified erratum about linear_backward's docstring, and the thread about the learner's
    own bug (m from the wrong dimension)."""
    from errata.models import ErratumKind as K
    from errata.models import ErratumStatus as S

    staff = make_user("docstring_staff", "moderator")
    _erratum(
        session, world, "e-docstring", staff.id, status=S.verified, kind=K.instructions,
        title="linear_backward docstring: 'dW -- same shape as A_prev' should be 'same shape "
        "as W'",
        description="Docstring typo in linear_backward: the gradient of the cost with respect "
        "to W has the shape of W; dA_prev has the shape of A_prev. The code template and "
        "linear_backward_test are right.",
        location="linear_backward",
    )  # fmt: skip
    _thread(
        session, world, "t-own-m", staff.id,
        "linear_backward: Wrong values for dW although I divide by m",
        "I divide by m and the weight gradient dW is still slightly off. m = A_prev.shape[0]",
        answer="A_prev has shape (n_prev, m): the examples are its second dimension. Use "
        "m = A_prev.shape[1].",
    )  # fmt: skip
    with indexed(session):
        yield world


@pytest.mark.model
@pytest.mark.parametrize("fenced", [False, True])
def test_a_pasted_docstring_does_not_declare_the_docstring_erratum(
    client: TestClient, docstring_erratum: World, fenced: bool
) -> None:
    # The learner's own bug (m from the wrong dimension), with the function pasted: the
    # docstring's words are the erratum's words, not the learner's.
    code = f"```python\n{FUNCTION}\n```" if fenced else FUNCTION
    question = f"{ASKED}\n\nhere is my code:\n\n{code}"
    r = client.post("/api/v1/ask", json={"question": question, "course": "dl-seq"})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    assert data["verdict"] not in ("known_erratum", "output_matches_correction")
    # The thread about the learner's own bug leads (its accepted reply speaks for it).
    assert data["sources"][0]["external_id"] in ("t-own-m", "t-own-m-a")
