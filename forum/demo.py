# ruff: noqa: E501 -- demo posts quote real tracebacks, whose lines are long
"""Demo content for the forum: a five-course deep-learning programme, its people and threads.

Everything goes through the forum's service functions, so index events are written as for real
posts. ``DEMO_ACCOUNTS`` lists the accounts a newcomer can sign in with (the README quotes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, select

from core.clock import utcnow
from forum import service
from forum.models import Assignment, Course
from users.auth import create_user
from users.models import CourseRole, Role, User, UserCreate

DEMO_PASSWORD = "checkfirst-demo"

# (username, display name, role, instructor of course slug or "")
DEMO_ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("admin", "Site Admin", "admin", ""),
    ("moderator", "Mo Derator", "moderator", ""),
    ("dr_rivera", "Dr. Elena Rivera", "learner", "neural-networks-deep-learning"),
    ("dr_okafor", "Dr. Chidi Okafor", "learner", "improving-deep-neural-networks"),
    ("dr_lindqvist", "Dr. Sara Lindqvist", "learner", "structuring-ml-projects"),
    ("dr_chen", "Dr. Wei Chen", "learner", "convolutional-neural-networks"),
    ("dr_patel", "Dr. Anika Patel", "learner", "sequence-models"),
    ("ada", "Ada", "learner", ""),
    ("grace", "Grace", "learner", ""),
    ("linus", "Linus", "learner", ""),
    ("margaret", "Margaret", "learner", ""),
    ("alan", "Alan", "learner", ""),
    ("katherine", "Katherine", "learner", ""),
]

# (slug, title, description, [(assignment slug, title, notebook version)])
COURSES: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "neural-networks-deep-learning",
        "Neural Networks and Deep Learning",
        "From logistic regression to an L-layer network you build yourself in NumPy.",
        [
            ("python-basics-numpy", "Python Basics with NumPy", "2"),
            ("logistic-regression", "Logistic Regression with a Neural Network Mindset", "2"),
            ("planar-data-classification", "Planar Data Classification with One Hidden Layer", "3"),
            ("deep-nn-step-by-step", "Building your Deep Neural Network: Step by Step", "4"),
            ("deep-nn-application", "Deep Neural Network for Image Classification", "3"),
        ],
    ),
    (
        "improving-deep-neural-networks",
        "Improving Deep Neural Networks",
        "Hyperparameter tuning, regularization and optimization.",
        [
            ("initialization", "Initialization", "2"),
            ("regularization", "Regularization", "2"),
            ("gradient-checking", "Gradient Checking", "3a"),
            ("optimization-methods", "Optimization Methods", "2"),
            ("tensorflow-introduction", "Introduction to TensorFlow", "3"),
        ],
    ),
    (
        "structuring-ml-projects",
        "Structuring Machine Learning Projects",
        "Error analysis, mismatched data and end-to-end learning, through case studies.",
        [
            ("peacetopia-case-study", "Bird Recognition in the City of Peacetopia", "1"),
            ("autonomous-driving-case-study", "Autonomous Driving (Case Study)", "1"),
            ("error-analysis-lab", "Error Analysis Lab", "2"),
        ],
    ),
    (
        "convolutional-neural-networks",
        "Convolutional Neural Networks",
        "Convolutions from scratch, residual networks, detection and face recognition.",
        [
            ("cnn-step-by-step", "Convolutional Model, Step by Step", "3"),
            ("cnn-application", "Convolutional Model: Application", "2"),
            ("residual-networks", "Residual Networks", "3"),
            ("car-detection-yolo", "Car Detection with YOLO", "2a"),
            ("face-recognition", "Face Recognition", "3"),
        ],
    ),
    (
        "sequence-models",
        "Sequence Models",
        "Recurrent networks, word embeddings, attention and transformers.",
        [
            ("rnn-step-by-step", "Building your Recurrent Neural Network: Step by Step", "3a"),
            ("dinosaur-island", "Dinosaur Island: Character-level Language Model", "2"),
            ("word-vectors", "Operations on Word Vectors", "2"),
            ("nmt-attention", "Neural Machine Translation with Attention", "4"),
            ("transformer", "Transformers Architecture with TensorFlow", "3"),
        ],
    ),
]


@dataclass
class DemoReply:
    author: str
    body: str
    accepted: bool = False
    endorsed_by: str = ""
    voters: list[str] = field(default_factory=list)


@dataclass
class DemoThread:
    course: str
    assignment: str | None
    author: str
    title: str
    body: str
    replies: list[DemoReply] = field(default_factory=list)
    voters: list[str] = field(default_factory=list)
    hours_ago: int = 24
    pinned: bool = False
    locked: bool = False


def _fence(text: str) -> str:
    return f"```\n{text.strip()}\n```"


NN = "neural-networks-deep-learning"
IMP = "improving-deep-neural-networks"
STR = "structuring-ml-projects"
CNN = "convolutional-neural-networks"
SEQ = "sequence-models"

THREADS: list[DemoThread] = [
    DemoThread(
        SEQ, "rnn-step-by-step", "ada",
        "rnn_forward: AssertionError: Wrong values in a_next",
        "My `rnn_cell_forward` passes its test, but `rnn_forward` fails the public test:\n\n"
        + _fence("""
---------------------------------------------------------------------------
AssertionError                            Traceback (most recent call last)
<ipython-input-8-2b1e5f3c1d2e> in <module>
     14 print("y_pred.shape = \\n", y_pred_tmp.shape)
     15
---> 16 rnn_forward_test(rnn_forward)

~/work/W1A1/public_tests.py in rnn_forward_test(target)
     78     assert np.allclose(a[4][1], expected_a4), "Wrong values in a"
---> 79     assert np.allclose(a_next, expected_a_next), "Wrong values in a_next"

AssertionError: Wrong values in a_next
""")
        + "\n\nI loop `for t in range(T_x)` and call `rnn_cell_forward(x[:,:,t], a_next, parameters)`. "
        "What am I missing?",
        replies=[
            DemoReply(
                "grace",
                "Check where you initialise `a_next`. It has to start as `a0` *before* the loop, "
                "not inside it — otherwise every step starts from the initial state again.",
                voters=["linus", "ada", "margaret"],
            ),
            DemoReply(
                "dr_patel",
                "Grace is right. Also note that in notebook **3a** the expected `a_next` printed "
                "under the cell was generated with an older seed; the test itself is correct. "
                "Compare against the test, not the printed numbers:\n\n"
                + _fence("""
a_next = a0
for t in range(T_x):
    xt = x[:, :, t]
    a_next, yt_pred, cache = rnn_cell_forward(xt, a_next, parameters)
    a[:, :, t] = a_next
"""),
                accepted=True,
                endorsed_by="dr_patel",
                voters=["ada", "grace", "linus", "alan"],
            ),
            DemoReply("ada", "That was it — I re-assigned `a_next = a0` inside the loop. Thanks!"),
        ],
        voters=["grace", "linus", "katherine"],
        hours_ago=70,
    ),
    DemoThread(
        SEQ, "rnn-step-by-step", "linus",
        "lstm_backward gradient check: dWf is off by a factor of ~2",
        "Running the optional gradient check on `lstm_backward`:\n\n"
        + _fence("""
gradients["dWf"][3][1] = 0.6161290139164694
gradients["dWf"].shape = (5, 8)
Expected: gradients["dWf"][3][1] = 0.3040493885233994
""")
        + "\n\nEverything else (dWi, dWc, dWo) matches. I compute "
        "`dft = dc_next * c_prev + da_next * ot * (1 - np.tanh(c_next)**2) * c_prev * ft * (1 - ft)`.",
        replies=[
            DemoReply(
                "katherine",
                "You added the `dc_next * c_prev` term twice? The formula is\n\n"
                "$dΓ_f = (dc_{next} \\cdot c_{prev} + Γ_o (1-\\tanh^2(c_{next})) c_{prev} "
                "da_{next}) \\cdot Γ_f (1-Γ_f)$ — the `* ft * (1 - ft)` must apply to the *sum*. "
                "Put parentheses around both terms.",
                accepted=True,
                voters=["linus", "grace"],
            ),
            DemoReply(
                "dr_patel",
                "Endorsing Katherine's answer. The optional section has no autograder, so the "
                "printed expected value is your only check.",
                endorsed_by="dr_patel",
            ),
        ],
        voters=["alan"],
        hours_ago=52,
    ),
    DemoThread(
        SEQ, "rnn-step-by-step", "margaret",
        "Expected output for rnn_cell_forward differs from what the test accepts",
        "The markdown cell says `a_next[4] = [0.59584544 0.18141802 0.61311866 0.99808218 "
        "0.85016201 0.99980978 -0.18887155 0.99815551 0.6531151 0.82872037]` but my output "
        "differs in the 3rd decimal and the test still passes. Is the expected output wrong?",
        replies=[
            DemoReply(
                "moderator",
                "Yes — known issue in notebook 3a, see the errata banner above. The test is right; "
                "the printed expectation is from the previous version.",
                endorsed_by="dr_patel",
                voters=["margaret", "ada"],
            ),
        ],
        hours_ago=30,
        pinned=True,
    ),
    DemoThread(
        SEQ, "dinosaur-island", "alan",
        "clip(): ValueError: operands could not be broadcast together",
        _fence("""
ValueError                                Traceback (most recent call last)
----> 3 gradients = clip(gradients, 10)
      in clip(gradients, maxValue)
---> 18         np.clip(gradient, -maxValue, maxValue, out=gradients)

ValueError: operands could not be broadcast together with remapped shapes [original->remapped]: (100,50)->(100,50) (5,)->(5,)
"""),
        replies=[
            DemoReply(
                "grace",
                "`out=` must be the array you are clipping, i.e. `out=gradient`, not the whole "
                "`gradients` dict.",
                accepted=True,
                voters=["alan", "linus"],
            )
        ],
        hours_ago=120,
    ),
    DemoThread(
        SEQ, "dinosaur-island", "katherine",
        "sample(): indices always the same character 'a'",
        "My sampled names are `aaaaaaaaaaaaaaaaaa\\n`. I use `idx = np.argmax(y)`.",
        replies=[
            DemoReply(
                "linus",
                "Sampling is random: use `np.random.choice(range(vocab_size), p=y.ravel())`. "
                "`argmax` is greedy and gets stuck.",
                accepted=True,
                voters=["katherine"],
            )
        ],
        hours_ago=200,
    ),
    DemoThread(
        SEQ, "word-vectors", "ada",
        "complete_analogy returns the input word",
        "`complete_analogy('italy', 'italian', 'spain', word_to_vec_map)` returns `spain`. "
        "I loop over all words and keep the best cosine similarity.",
        replies=[
            DemoReply(
                "margaret",
                "Skip the input words: `if w in [word_a, word_b, word_c]: continue`.",
                accepted=True,
                voters=["ada"],
            )
        ],
        hours_ago=300,
    ),
    DemoThread(
        SEQ, "nmt-attention", "linus",
        "one_step_attention: ValueError: A `Concatenate` layer requires inputs with matching shapes",
        _fence("""
ValueError: A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 30, 64), (None, 64)]
"""),
        replies=[
            DemoReply(
                "dr_patel",
                "Repeat `s_prev` first: `s_prev = repeator(s_prev)` gives `(None, 30, 64)`, "
                "then concatenate along the last axis.",
                accepted=True,
                endorsed_by="dr_patel",
                voters=["linus", "ada"],
            )
        ],
        hours_ago=90,
    ),
    DemoThread(
        SEQ, "transformer", "grace",
        "scaled_dot_product_attention: mask applied with the wrong sign?",
        "Test fails with `AssertionError: Wrong masked weights`. I do "
        "`scaled_attention_logits += mask * -1e9`.",
        replies=[
            DemoReply(
                "alan",
                "In this notebook the mask is 1 for positions to **keep**, so it's "
                "`(1. - mask) * -1e9`.",
                accepted=True,
                voters=["grace", "katherine", "linus"],
            )
        ],
        hours_ago=15,
    ),
    DemoThread(
        CNN, "cnn-step-by-step", "katherine",
        "conv_forward: shape mismatch (2, 3, 4, 8) vs expected (2, 3, 4, 8)?",
        "The shapes look the same but the values test fails:\n\n"
        + _fence("""
AssertionError                            Traceback (most recent call last)
---> 12 conv_forward_test(conv_forward)
~/work/release/W1A1/public_tests.py in conv_forward_test(target)
---> 84     assert np.isclose(np.mean(Z), 0.5511276474566768), "Wrong value for mean of Z"
AssertionError: Wrong value for mean of Z
"""),
        replies=[
            DemoReply(
                "alan",
                "Your `vert_start` uses `h` instead of `h * stride`. With stride 2 the shapes "
                "still come out right, only the values are wrong.",
                accepted=True,
                voters=["katherine", "grace"],
            ),
            DemoReply(
                "dr_chen",
                "Also slice `a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]` — all "
                "channels — and add the bias `b[:, :, :, c]` after `np.sum`.",
                endorsed_by="dr_chen",
                voters=["katherine"],
            ),
        ],
        voters=["ada", "linus"],
        hours_ago=40,
    ),
    DemoThread(
        CNN, "cnn-step-by-step", "ada",
        "pool_backward: ValueError: could not broadcast input array from shape (2,2) into shape (1,2)",
        _fence("""
ValueError                                Traceback (most recent call last)
----> 9 dA_prev = pool_backward(dA, cache, mode="max")
---> 66                         dA_prev[i, vert_start: vert_end, horiz_start: horiz_end, c] += np.multiply(mask, dA[i, h, w, c])
ValueError: could not broadcast input array from shape (2,2) into shape (1,2)
"""),
        replies=[
            DemoReply(
                "dr_chen",
                "`vert_end = vert_start + f` — you probably used `stride` for the window size. "
                "With `f=2, stride=1` that makes windows of height 1 at the edge.",
                accepted=True,
                endorsed_by="dr_chen",
                voters=["ada", "margaret"],
            )
        ],
        hours_ago=100,
    ),
    DemoThread(
        CNN, "cnn-step-by-step", "linus",
        "zero_pad: np.pad pads the batch dimension too",
        "`X_pad.shape` is `(8, 7, 7, 6)` instead of `(4, 7, 7, 2)`.",
        replies=[
            DemoReply(
                "margaret",
                "Give one pair per axis: `np.pad(X, ((0,0), (pad,pad), (pad,pad), (0,0)), "
                "mode='constant', constant_values=0)`.",
                accepted=True,
                voters=["linus"],
            )
        ],
        hours_ago=400,
    ),
    DemoThread(
        CNN, "residual-networks", "margaret",
        "identity_block: ValueError: Operands could not be broadcast (None, 15, 15, 256) vs (None, 15, 15, 64)",
        _fence("""
ValueError: Operands could not be broadcast together with shapes (15, 15, 256) (15, 15, 64)
  in identity_block
---> X = Add()([X, X_shortcut])
"""),
        replies=[
            DemoReply(
                "dr_chen",
                "The third component must use `F3` filters, and `X_shortcut` must be saved "
                "*before* the first Conv2D. You saved it after.",
                accepted=True,
                endorsed_by="dr_chen",
                voters=["margaret", "alan"],
            )
        ],
        hours_ago=60,
    ),
    DemoThread(
        CNN, "car-detection-yolo", "alan",
        "yolo_filter_boxes: expected 1789 boxes, got 1786",
        "Everything else matches. Is the expected number in notebook 2a right?",
        replies=[
            DemoReply(
                "grace",
                "Use `>=` not `>` when comparing `box_class_scores` with the threshold.",
                accepted=True,
                voters=["alan", "ada"],
            )
        ],
        hours_ago=10,
    ),
    DemoThread(
        CNN, "face-recognition", "grace",
        "triplet_loss returns a tensor of shape (3,) instead of a scalar",
        "I use `tf.reduce_sum(..., axis=-1)` for the distances and then `tf.maximum`.",
        replies=[
            DemoReply(
                "katherine",
                "Reduce once more at the end: `loss = tf.reduce_sum(tf.maximum(basic_loss, 0.0))`.",
                accepted=True,
                voters=["grace"],
            )
        ],
        hours_ago=220,
    ),
    DemoThread(
        NN, "logistic-regression", "katherine",
        "propagate(): cost is nan after the first iteration",
        _fence("""
RuntimeWarning: divide by zero encountered in log
cost = nan
""")
        + "\n\nI compute `cost = -1/m * np.sum(Y*np.log(A) + (1-Y)*np.log(1-A))`.",
        replies=[
            DemoReply(
                "dr_rivera",
                "Your `sigmoid` probably returns exactly 0 or 1 because it's applied to an "
                "un-normalized image. Divide the flattened images by 255 first.",
                accepted=True,
                endorsed_by="dr_rivera",
                voters=["katherine", "alan", "linus"],
            )
        ],
        hours_ago=500,
    ),
    DemoThread(
        NN, "python-basics-numpy", "alan",
        "image2vector: AssertionError: Wrong shape",
        "I used `image.reshape(image.shape[0] * image.shape[1] * image.shape[2])`.",
        replies=[
            DemoReply(
                "ada",
                "It has to be a column vector: add `, 1` → `.reshape(..., 1)`.",
                accepted=True,
                voters=["alan"],
            )
        ],
        hours_ago=800,
    ),
    DemoThread(
        NN, "planar-data-classification", "linus",
        "nn_model accuracy 47% — decision boundary is a straight line",
        "After 10000 iterations my cost stays at 0.693.",
        replies=[
            DemoReply(
                "margaret",
                "Cost stuck at ln(2) means gradients are zero: did you initialise `W1` with "
                "zeros? Use `np.random.randn(n_h, n_x) * 0.01`.",
                accepted=True,
                voters=["linus", "grace"],
            )
        ],
        hours_ago=260,
    ),
    DemoThread(
        NN, "deep-nn-step-by-step", "grace",
        "L_model_backward: KeyError: 'dA0'",
        _fence("""
KeyError                                  Traceback (most recent call last)
----> 1 grads = L_model_backward(AL, Y_assess, caches)
---> 57         dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
KeyError: 'dA0'
"""),
        replies=[
            DemoReply(
                "dr_rivera",
                "Store the output layer's gradient as `grads['dA' + str(L-1)]` — the key names "
                "the *previous* layer's activation.",
                accepted=True,
                endorsed_by="dr_rivera",
                voters=["grace", "katherine"],
            )
        ],
        hours_ago=45,
    ),
    DemoThread(
        NN, "deep-nn-step-by-step", "ada",
        "initialize_parameters_deep: expected W1 differs although I use np.random.seed(3)",
        "My `W1[0][0]` is `1.78862847` but the expected output says `0.01788628`.",
        replies=[
            DemoReply(
                "linus",
                "Multiply by 0.01 as the instructions say — the seed is fine.",
                accepted=True,
                voters=["ada"],
            )
        ],
        hours_ago=33,
    ),
    DemoThread(
        NN, "deep-nn-application", "margaret",
        "Training accuracy 65% with the 4-layer model (expected ~98%)",
        "I pass `layers_dims = [12288, 20, 7, 5, 1]`, learning rate 0.0075, 2500 iterations.",
        replies=[
            DemoReply(
                "alan",
                "Check that `initialize_parameters_deep` is the He/`/ np.sqrt(layer_dims[l-1])` "
                "version provided in this notebook, not your own from the previous assignment.",
                voters=["margaret"],
            )
        ],
        hours_ago=5,
    ),
    DemoThread(
        IMP, "gradient-checking", "alan",
        "gradient_check_n: difference = 0.285 — 'There is a mistake in the backward propagation!'",
        _fence("""
There is a mistake in the backward propagation! difference = 0.2850931567761623
""")
        + "\n\nThe notebook says this is expected because of intentional bugs, but I already "
        "fixed `dW2` and `db1`. Should the difference now be small?",
        replies=[
            DemoReply(
                "dr_okafor",
                "Yes: after fixing both bugs the difference should be about `1.19e-07`. In "
                "version 3a the text still mentions the old value; the test checks the fixed one.",
                accepted=True,
                endorsed_by="dr_okafor",
                voters=["alan", "ada", "linus"],
            )
        ],
        hours_ago=20,
    ),
    DemoThread(
        IMP, "regularization", "ada",
        "dropout: AssertionError: Wrong values for A3 in forward_propagation_with_dropout",
        _fence("""
AssertionError: Wrong values for A3
""")
        + "\n\nI drop with `D1 = np.random.rand(*A1.shape) < keep_prob` and then `A1 *= D1`.",
        replies=[
            DemoReply(
                "grace",
                "You forgot inverted dropout's scaling: `A1 = A1 / keep_prob` after masking.",
                accepted=True,
                voters=["ada"],
            )
        ],
        hours_ago=150,
    ),
    DemoThread(
        IMP, "optimization-methods", "katherine",
        "update_parameters_with_adam: v_corrected off by a tiny amount",
        "I divide by `(1 - beta1**t)` — is `t` 0-based or 1-based here?",
        replies=[
            DemoReply(
                "dr_okafor",
                "1-based: the model increments `t` before calling the update, so the first "
                "call uses `t = 1`.",
                accepted=True,
                endorsed_by="dr_okafor",
                voters=["katherine"],
            )
        ],
        hours_ago=75,
    ),
    DemoThread(
        IMP, "tensorflow-introduction", "linus",
        "compute_total_loss: expected tf.Tensor(0.810287, ...) but got 0.4051435",
        "I use `tf.reduce_mean(tf.keras.losses.categorical_crossentropy(labels, logits, "
        "from_logits=True))`.",
        replies=[
            DemoReply(
                "katherine",
                "The function must return the **sum** over the batch (`tf.reduce_sum`), the "
                "mean is taken later in the training loop. Also transpose both tensors first.",
                accepted=True,
                voters=["linus", "grace"],
            )
        ],
        hours_ago=12,
    ),
    DemoThread(
        STR, "peacetopia-case-study", "grace",
        "Question 7: why is the dev set from the city cameras, not the internet images?",
        "I'd have thought more data in dev makes the estimate better.",
        replies=[
            DemoReply(
                "dr_lindqvist",
                "The dev and test sets should reflect the data you expect to get in the "
                "future and care about doing well on — here the city's cameras.",
                accepted=True,
                endorsed_by="dr_lindqvist",
                voters=["grace", "ada"],
            )
        ],
        hours_ago=600,
    ),
    DemoThread(
        STR, "error-analysis-lab", "margaret",
        "How many misclassified examples should I look at?",
        "The lab asks for an error-analysis table. 100 examples enough?",
        replies=[
            DemoReply(
                "dr_lindqvist",
                "Around 100 is a good start; look until a category clearly dominates.",
                endorsed_by="dr_lindqvist",
            )
        ],
        hours_ago=48,
    ),
    DemoThread(
        NN, None, "moderator",
        "Welcome! Read this before posting a traceback",
        "1. Search first — many failures are known errata.\n2. Paste the **whole** traceback in "
        "a fenced code block.\n3. Say which notebook version you have (shown on the "
        "assignment page).\n\nPlease don't post complete graded solutions.",
        hours_ago=900,
        pinned=True,
        locked=True,
    ),
]  # fmt: skip


def _ensure_users(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    created = utcnow() - timedelta(days=120)
    for username, display, role, _ in DEMO_ACCOUNTS:
        existing = session.exec(select(User).where(User.username == username)).first()
        if existing is None:
            existing = create_user(
                session=session,
                user_create=UserCreate(
                    username=username, password=DEMO_PASSWORD, display_name=display
                ),
                role=Role(role),
            )
        # Established accounts: the demo must not trip the newcomer posting limit.
        existing.created_at = created
        session.add(existing)
        users[username] = existing
    session.commit()
    return users


def load(session: Session) -> None:
    """Add the demo programme's courses, assignments, users and threads."""
    users = _ensure_users(session)
    courses: dict[str, Course] = {}
    assignments: dict[tuple[str, str], Assignment] = {}
    for slug, title, description, items in COURSES:
        course = session.exec(select(Course).where(Course.slug == slug)).first()
        if course is None:
            course = Course(slug=slug, title=title, description=description)
            session.add(course)
            session.flush()
        assert course.id is not None
        courses[slug] = course
        for position, (a_slug, a_title, version) in enumerate(items, start=1):
            assignment = session.exec(
                select(Assignment).where(
                    Assignment.course_id == course.id, Assignment.slug == a_slug
                )
            ).first()
            if assignment is None:
                assignment = Assignment(
                    course_id=course.id,
                    slug=a_slug,
                    title=a_title,
                    notebook_version=version,
                    position=position,
                )
                session.add(assignment)
            assignments[(slug, a_slug)] = assignment
    session.commit()
    for username, _, _, instructor_of in DEMO_ACCOUNTS:
        if instructor_of:
            user_id, course_id = users[username].id, courses[instructor_of].id
            assert user_id is not None and course_id is not None
            known = session.exec(
                select(CourseRole).where(
                    CourseRole.user_id == user_id, CourseRole.course_id == course_id
                )
            ).first()
            if known is None:
                session.add(CourseRole(user_id=user_id, course_id=course_id, role="instructor"))
    session.commit()
    for spec in THREADS:
        _load_thread(session, spec, users, courses, assignments)


def _load_thread(
    session: Session,
    spec: DemoThread,
    users: dict[str, User],
    courses: dict[str, Course],
    assignments: dict[tuple[str, str], Assignment],
) -> None:
    course = courses[spec.course]
    assignment = assignments[(spec.course, spec.assignment)] if spec.assignment else None
    thread = service.create_thread(
        session=session,
        user=users[spec.author],
        course=course,
        assignment=assignment,
        title=spec.title,
        body=spec.body,
    )
    question = service.get_question(session=session, thread=thread)
    for voter in [v for v in spec.voters if v != spec.author]:
        service.vote(session=session, user=users[voter], post=question, thread=thread, value=1)
    created = utcnow() - timedelta(hours=spec.hours_ago)
    stamps = [created]
    for i, r in enumerate(spec.replies, start=1):
        post = service.create_reply(
            session=session, user=users[r.author], thread=thread, body=r.body
        )
        for voter in r.voters:
            if voter != r.author:
                service.vote(session=session, user=users[voter], post=post, thread=thread, value=1)
        if r.accepted:
            assert post.id is not None
            service.accept(session=session, user=users[spec.author], thread=thread, post_id=post.id)
        if r.endorsed_by:
            service.endorse(
                session=session, user=users[r.endorsed_by], post=post, thread=thread, value=True
            )
        post.created_at = min(created + timedelta(minutes=37 * i * i), utcnow())
        stamps.append(post.created_at)
        session.add(post)
    moderator = users["moderator"]
    if spec.pinned:
        service.set_pinned(session=session, user=moderator, thread=thread, value=True)
    if spec.locked:
        service.set_locked(session=session, user=moderator, thread=thread, value=True)
    # Spread the demo over the past weeks so that "newest" and "activity" differ.
    question.created_at = created
    session.add(question)
    thread.created_at = created
    thread.last_activity_at = max(stamps)
    session.add(thread)
    session.commit()
