# ruff: noqa: E501 -- expected outputs are NumPy printouts, whose lines are long
"""Demo errata for the forum demo's courses, in every state, made through the errata service.

Reports, transitions and "affects me" marks go through ``errata.service`` so that history rows,
notifications and index events are written as for real ones; timestamps are then spread over
the past weeks. Loading twice adds nothing (it skips when any erratum exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.ratelimit import limiter
from errata import service
from errata.models import Erratum, ErratumHistory, ErratumKind, ErratumStatus
from errata.schemas import ErratumCreate
from forum.models import Thread
from users.models import User

S = ErratumStatus
K = ErratumKind


@dataclass
class DemoErratum:
    key: str
    course: str
    assignment: str | None
    reporter: str
    title: str
    description: str
    location: str
    kind: ErratumKind = K.wrong_expected_output
    published: str = ""
    corrected: str = ""
    workaround: str = ""
    versions: str = ""
    # The forum demo thread it was reported from (by title), if any.
    thread: str = ""
    affected: list[str] = field(default_factory=list)
    # (status, actor, reason, fixed_in or duplicate-of key)
    moves: list[tuple[ErratumStatus, str, str, str]] = field(default_factory=list)
    days_ago: int = 20


SEQ = "sequence-models"
CNN = "convolutional-neural-networks"
NN = "neural-networks-deep-learning"
IMP = "improving-deep-neural-networks"

ERRATA: list[DemoErratum] = [
    DemoErratum(
        "rnn-forward-a", SEQ, "rnn-step-by-step", "ada",
        "rnn_forward: expected a[4][1] was printed from an older seed",
        "The expected-output cell under `rnn_forward` was generated before the test seed changed "
        "from `np.random.seed(1)` to `np.random.seed(2)`. A correct implementation fails the "
        "visual comparison but **passes** `rnn_forward_test`.",
        "rnn_forward",
        published="a[4][1] = [-0.99999375  0.77911235 -0.99861469 -0.99833267]\na.shape = (5, 10, 4)\ny_pred[1][3] = [0.79560373 0.86224861 0.11118257 0.81515947]\ny_pred.shape = (2, 10, 4)",
        corrected="a[4][1] = [-0.93013738  0.991851   -0.98694298 -0.99723276]\na.shape = (5, 10, 4)\ny_pred[1][3] = [0.0440187  0.41032346 0.01401205 0.42558194]\ny_pred.shape = (2, 10, 4)",
        workaround="Trust `rnn_forward_test(rnn_forward)`: if it prints *All tests passed*, your code is right.",
        versions="3,3a",
        thread="rnn_forward: AssertionError: Wrong values in a_next",
        affected=["grace", "linus", "margaret", "katherine"],
        moves=[(S.verified, "dr_patel", "Reproduced with the reference solution; the test is right, the printed output is stale.", "")],
        days_ago=26,
    ),
    DemoErratum(
        "rnn-cell-forward", SEQ, "rnn-step-by-step", "margaret",
        "rnn_cell_forward: markdown expected a_next[4] disagrees with the test",
        "The markdown cell and the hidden test use different `Wya` shapes, so the markdown values "
        "can't be reproduced.",
        "rnn_cell_forward",
        published="a_next[4] = [ 0.59584544  0.18141802  0.61311866  0.99808218  0.85016201  0.99980978\n -0.18887155  0.99815551  0.6531151   0.82872037]\na_next.shape = (5, 10)\nyt_pred[1] = [0.9888161  0.01682021 0.21140899 0.36817467 0.98988387 0.88945212\n 0.36920224 0.9966312  0.9982559  0.17746526]",
        corrected="a_next[4] = [ 0.59584544  0.18141802  0.61311866  0.99808218  0.85016201  0.99980978\n -0.18887155  0.99815551  0.6531151   0.82872037]\na_next.shape = (5, 10)\nyt_pred[1] = [0.9888161  0.01682021 0.21140899 0.36817467 0.98988387 0.88945212\n 0.36920224 0.9966312  0.9982559  0.17746526]\n# yt_pred.shape = (2, 10)  (was printed as (5, 10))",
        versions="3",
        thread="Expected output for rnn_cell_forward differs from what the test accepts",
        affected=["ada", "alan"],
        moves=[
            (S.verified, "dr_patel", "The shape line was wrong; values are fine.", ""),
            (S.fixed, "dr_patel", "Regenerated the expected-output cell.", "3a"),
        ],
        days_ago=40,
    ),
    DemoErratum(
        "lstm-forward", SEQ, "rnn-step-by-step", "linus",
        "lstm_forward: expected a[4][3][6] and y[1][4][3] don't match lstm_forward_test",
        "With a verified `lstm_cell_forward`, `lstm_forward` prints values different from the "
        "expected output, while `lstm_forward_test` passes.",
        "lstm_forward",
        published="a[4][3][6] = 0.172117767533\na.shape = (5, 10, 7)\ny[1][4][3] = 0.95087346185\ny.shape = (2, 10, 7)\ncaches[1][1][1] = [ 0.82797464  0.23009474  0.76201118 -0.22232814 -0.20075807  0.18656139\n  0.41005165]\nc[1][2][1] -0.855544916718\nlen(caches) = 2",
        corrected="a[4][3][6] = 0.0191421796871\na.shape = (5, 10, 7)\ny[1][4][3] = 0.978766071734\ny.shape = (2, 10, 7)\ncaches[1][1][1] = [ 0.82797464  0.23009474  0.76201118 -0.22232814 -0.20075807  0.18656139\n  0.41005165]\nc[1][2][1] -0.855544916718\nlen(caches) = 2",
        workaround="Compare only the shapes and `caches[1][1][1]`; the test checks the rest.",
        versions="3a",
        affected=["ada", "grace"],
        moves=[(S.verified, "dr_patel", "", "")],
        days_ago=12,
    ),
    DemoErratum(
        "lstm-forward-dup", SEQ, "rnn-step-by-step", "katherine",
        "LSTM forward output a[4][3][6] is 0.0191 not 0.1721",
        "My LSTM forward pass is off compared with the notebook.",
        "lstm_forward",
        published="a[4][3][6] = 0.172117767533",
        corrected="a[4][3][6] = 0.0191421796871",
        moves=[(S.duplicate, "moderator", "Same as the lstm_forward erratum; mark “affects me” there.", "lstm-forward")],
        days_ago=9,
    ),
    DemoErratum(
        "lstm-backward", SEQ, "rnn-step-by-step", "linus",
        "lstm_backward: gradient check dWf off by a factor of 2",
        "The optional gradient check reports `dWf` twice the numerical gradient.",
        "lstm_backward",
        kind=K.wrong_test,
        published="gradients[\"dWf\"][3][1] = 0.308494...",
        corrected="gradients[\"dWf\"][3][1] = 0.154247...",
        thread="lstm_backward gradient check: dWf is off by a factor of ~2",
        moves=[(S.rejected, "dr_patel", "Not an erratum: `dWf` must use `dot(dft * ft * (1 - ft), concat.T)`; adding `dc_next * c_prev` twice doubles it. The expected output is right.", "")],
        days_ago=18,
    ),
    DemoErratum(
        "conv-forward", CNN, "cnn-step-by-step", "katherine",
        "conv_forward: expected Z's mean printed with a different hparameters dict",
        "The expected `Z's mean` comes from `{\"pad\": 1, \"stride\": 2}` but the cell above uses "
        "`{\"pad\": 2, \"stride\": 2}`.",
        "conv_forward",
        kind=K.instructions,
        published="Z's mean =\n 0.5511276474566768\nZ[0,2,1] =\n [-2.17796037  8.07171329 -0.5772704   3.36286738  4.48113645 -2.89198428\n 10.99288867  3.03171932]\ncache_conv[0][1][2][3] =\n [-1.1191154   1.9560789  -0.3264995  -1.34267579]",
        corrected="Z's mean =\n 0.4427056509973153\nZ[0,2,1] =\n [-2.17796037  8.07171329 -0.5772704   3.36286738  4.48113645 -2.89198428\n 10.99288867  3.03171932]\ncache_conv[0][1][2][3] =\n [-1.1191154   1.9560789  -0.3264995  -1.34267579]",
        versions="3",
        thread="conv_forward: shape mismatch (2, 3, 4, 8) vs expected (2, 3, 4, 8)?",
        affected=["ada", "linus", "alan"],
        moves=[(S.verified, "dr_chen", "Confirmed: the mean was computed with pad=1.", "")],
        days_ago=15,
    ),
    DemoErratum(
        "pool-backward", CNN, "cnn-step-by-step", "ada",
        "pool_backward (mode = average): expected mean of dA_prev is wrong",
        "For `mode = \"average\"` the expected output divides by `f * f` twice.",
        "pool_backward",
        published="mode = average\nmean of dA =  0.14571390272918056\ndA_prev1[1,1] =  [[ 0.08485462  0.2787552 ]\n [ 0.08485462  0.2787552 ]]",
        corrected="mode = average\nmean of dA =  0.14571390272918056\ndA_prev1[1,1] =  [[ 0.08485462  0.2787552 ]\n [ 0.08485462  0.2787552 ]]\nmean of dA_prev =  0.14571390272918056",
        versions="2",
        affected=["grace"],
        moves=[
            (S.verified, "dr_chen", "", ""),
            (S.fixed, "dr_chen", "The average branch now prints `mean of dA_prev` from the reference.", "3"),
        ],
        days_ago=60,
    ),
    DemoErratum(
        "yolo-boxes", CNN, "car-detection-yolo", "alan",
        "yolo_filter_boxes: expected 1789 boxes, the grader accepts 1786",
        "`scores.shape` prints `(1789,)` in the notebook but the autograder and a reference "
        "implementation give `(1786,)` with `threshold = 0.5`.",
        "yolo_filter_boxes",
        kind=K.grader_mismatch,
        published="scores[2] = 9.270486\nboxes[2] = [ 4.6399336  3.2303846  4.431282  -2.202031 ]\nclasses[2] = 8\nscores.shape = (1789,)\nboxes.shape = (1789, 4)\nclasses.shape = (1789,)",
        corrected="scores[2] = 9.270486\nboxes[2] = [ 4.6399336  3.2303846  4.431282  -2.202031 ]\nclasses[2] = 8\nscores.shape = (1786,)\nboxes.shape = (1786, 4)\nclasses.shape = (1786,)",
        versions="2a",
        thread="yolo_filter_boxes: expected 1789 boxes, got 1786",
        affected=["katherine", "margaret", "grace"],
        days_ago=3,
    ),
    DemoErratum(
        "l-model-backward", NN, "deep-nn-step-by-step", "grace",
        "L_model_backward: expected dW1 row printed for the wrong layer",
        "The expected output labels the first row as `dW1` but the values are `dW2[0]` from the "
        "test case; `L_model_backward_test` passes with a correct implementation.",
        "L_model_backward",
        published="dA0 = [[ 0.          0.52257901]\n [ 0.         -0.3269206 ]\n [ 0.         -0.32070404]\n [ 0.         -0.74079187]]\ndW1 = [[0.41010002 0.07807203 0.13798444 0.10502167]\n [0.         0.         0.         0.        ]\n [0.05283652 0.01005865 0.01777766 0.0135308 ]]\ndb1 = [[-0.22007063]\n [ 0.        ]\n [-0.02835349]]",
        corrected="dA0 = [[ 0.          0.52257901]\n [ 0.         -0.3269206 ]\n [ 0.         -0.32070404]\n [ 0.         -0.74079187]]\ndW1 = [[-0.39202432 -0.13325855 -0.04601089]\n [ 0.          0.          0.        ]\n [ 0.          0.          0.        ]]\ndb1 = [[-0.22007063]\n [ 0.        ]\n [-0.02835349]]",
        workaround="Run `L_model_backward_test(L_model_backward)`; ignore the printed `dW1`.",
        versions="4",
        thread="L_model_backward: KeyError: 'dA0'",
        affected=["ada", "katherine"],
        moves=[(S.verified, "dr_rivera", "Yes — the printout mixes layers. Fix scheduled for v5.", "")],
        days_ago=8,
    ),
    DemoErratum(
        "init-deep", NN, "deep-nn-step-by-step", "ada",
        "initialize_parameters_deep: expected W1 is 100x smaller than mine",
        "With `np.random.seed(3)` my `W1[0][0]` is `1.78862847`, the expected output says `0.01788628`.",
        "initialize_parameters_deep",
        published="W1 = [[ 0.01788628  0.0043651   0.00096497 -0.01863493 -0.00277388]\n [-0.00354759 -0.00082741 -0.00627001 -0.00043818 -0.00477218]\n ...",
        corrected="W1 = [[ 1.78862847  0.43650985  0.09649747 -1.8634927  -0.2773882 ]\n ...",
        thread="initialize_parameters_deep: expected W1 differs although I use np.random.seed(3)",
        moves=[(S.rejected, "dr_rivera", "The expected output is right: the instructions ask for `np.random.randn(...) * 0.01`. Multiply by 0.01 and the values match.", "")],
        days_ago=22,
    ),
    DemoErratum(
        "adam-t", IMP, "optimization-methods", "katherine",
        "update_parameters_with_adam: instructions don't say t starts at 1",
        "The bias correction divides by `1 - beta1**t`; the docstring doesn't say whether `t` "
        "counts from 0 or 1, and with 0 it divides by zero.",
        "update_parameters_with_adam",
        kind=K.instructions,
        published="v[\"dW1\"] = \n[[-0.11006192  0.11447237  0.09015907]\n [ 0.05024943  0.09008559 -0.06837279]]",
        corrected="(the same values, with t = 2 as in the test; the docstring should say t counts Adam steps from 1)",
        affected=["linus", "alan"],
        thread="update_parameters_with_adam: v_corrected off by a tiny amount",
        days_ago=2,
    ),
    DemoErratum(
        "total-loss", IMP, "tensorflow-introduction", "linus",
        "compute_total_loss: expected tf.Tensor(0.810287) assumes reduce_sum, instructions say mean",
        "The markdown says to average the loss, but the expected output and the test use "
        "`tf.reduce_sum`, which the next cell divides by `m_train`.",
        "compute_total_loss",
        kind=K.instructions,
        published="tf.Tensor(0.810287, shape=(), dtype=float32)",
        corrected="tf.Tensor(0.810287, shape=(), dtype=float32)  # with tf.reduce_sum(...)\n# tf.reduce_mean(...) gives tf.Tensor(0.4051435, shape=(), dtype=float32)",
        workaround="Use `tf.reduce_sum(tf.keras.losses.categorical_crossentropy(tf.transpose(labels), tf.transpose(logits), from_logits=True))`.",
        versions="3",
        thread="compute_total_loss: expected tf.Tensor(0.810287, ...) but got 0.4051435",
        affected=["grace", "ada", "margaret"],
        moves=[(S.verified, "dr_okafor", "The instructions are wrong, the test is right: use the sum.", "")],
        days_ago=5,
    ),
]  # fmt: skip


def load(session: Session) -> int:
    """Add the demo errata (once); returns how many were added."""
    if session.exec(select(Erratum.id)).first() is not None:
        return 0
    users = {u.username: u for u in session.exec(select(User)).all()}
    keys: dict[str, int] = {}
    added = 0
    for spec in ERRATA:
        if spec.reporter not in users:
            continue
        erratum = _report(session, spec, users)
        assert erratum.id is not None
        keys[spec.key] = erratum.id
        for name in spec.affected:
            if name in users:
                service.toggle_affects(session=session, user=users[name], erratum_id=erratum.id)
        for status, actor, reason, extra in spec.moves:
            service.transition(
                session=session,
                user=users[actor],
                erratum_id=erratum.id,
                to_status=status,
                reason=reason,
                fixed_in=extra if status == S.fixed else None,
                duplicate_of_id=keys.get(extra) if status == S.duplicate else None,
            )
        _spread_in_time(session, erratum.id, spec.days_ago)
        added += 1
    session.commit()
    return added


def _report(session: Session, spec: DemoErratum, users: dict[str, User]) -> Erratum:
    thread_id = None
    if spec.thread:
        thread_id = session.exec(select(Thread.id).where(Thread.title == spec.thread)).first()
    reporter = users[spec.reporter]
    # The demo reports many errata at once; that is not abuse.
    limiter.reset(f"report-user:{reporter.id}")
    return service.report(
        session=session,
        user=reporter,
        data=ErratumCreate(
            course=spec.course,
            assignment=spec.assignment,
            title=spec.title,
            description=spec.description,
            location=spec.location,
            kind=spec.kind,
            affected_versions=spec.versions,
            published_output=spec.published,
            corrected_output=spec.corrected,
            workaround=spec.workaround,
            source_thread_id=thread_id,
        ),
    )


def _spread_in_time(session: Session, erratum_id: int, days_ago: int) -> None:
    """Report it days ago and space its history over the days since."""
    start = utcnow() - timedelta(days=days_ago, hours=3)
    rows = session.exec(
        select(ErratumHistory)
        .where(ErratumHistory.erratum_id == erratum_id)
        .order_by(col(ErratumHistory.id))
    ).all()
    step = timedelta(days=days_ago) / max(len(rows), 1)
    for i, row in enumerate(rows):
        row.created_at = start + step * i + timedelta(hours=2 * i)
        session.add(row)
    erratum = session.get(Erratum, erratum_id)
    assert erratum is not None
    erratum.created_at = start
    erratum.updated_at = rows[-1].created_at if rows else start
    session.add(erratum)
    session.commit()
