# ruff: noqa: E501 — hand-written corpus text; long literal lines read better whole.
"""Writes bench/eval/corpus.jsonl (import format of issue 3) and bench/eval/questions.jsonl.

The content is hand-written: four deep-learning courses, errata in every state, forum threads
with replies (near-duplicates and hard cases where one error message has different causes), and
learner questions labelled with the external ids that resolve them. The questions were written
before any tuning of the assistant and are not to be edited to make figures look better.

    .venv/bin/python bench/eval/build_corpus.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COURSES = {
    "dl-nn": ("Neural Networks and Deep Learning", {
        "logreg": "Logistic Regression with a Neural Network mindset",
        "planar": "Planar data classification with one hidden layer",
        "deep-step": "Building your Deep Neural Network: Step by Step",
        "deep-app": "Deep Neural Network - Application",
    }),
    "dl-improve": ("Improving Deep Neural Networks", {
        "init": "Initialization",
        "reg": "Regularization",
        "gradcheck": "Gradient Checking",
        "optim": "Optimization Methods",
        "tf-intro": "Introduction to TensorFlow",
    }),
    "dl-cnn": ("Convolutional Neural Networks", {
        "conv-step": "Convolutional Model: Step by Step",
        "resnets": "Residual Networks",
        "yolo": "Car detection with YOLO",
        "unet": "Image Segmentation with U-Net",
    }),
    "dl-seq": ("Sequence Models", {
        "rnn-step": "Building your Recurrent Neural Network: Step by Step",
        "dinos": "Character level language model - Dinosaurus Island",
        "wordvec": "Operations on Word Vectors",
        "nmt": "Neural Machine Translation with Attention",
        "transformer": "Transformer Network",
    }),
}  # fmt: skip

records: list[dict[str, Any]] = []


def _where(course: str, asg: str) -> dict[str, str]:
    title, assignments = COURSES[course]
    return {"course": course, "course_title": title, "assignment": asg,
            "assignment_title": assignments[asg]}  # fmt: skip


def E(ext: str, course: str, asg: str, title: str, body: str, status: str = "verified",
      kind: str = "wrong_expected_output", location: str = "", published: str = "",
      corrected: str = "", fixed_in: str | None = None, workaround: str = "",
      resolution: str = "", dup: str | None = None, versions: str = "") -> None:  # fmt: skip
    rec: dict[str, Any] = {"type": "erratum", "external_id": ext, **_where(course, asg),
        "title": title, "body": body, "status": status, "kind": kind, "location": location,
        "published_output": published, "corrected_output": corrected, "fixed_in": fixed_in,
        "workaround": workaround, "resolution_note": resolution,
        "affected_versions": versions}  # fmt: skip
    if dup:
        rec["duplicate_of"] = dup
    records.append(rec)


def T(ext: str, course: str, asg: str, title: str, body: str,
      *replies: tuple[str, bool, bool]) -> None:  # fmt: skip
    records.append({"type": "thread", "external_id": ext, **_where(course, asg), "title": title,
        "body": body, "replies": [{"body": b, "accepted": a, "endorsed": e}
                                  for b, a, e in replies]})  # fmt: skip


ACC = True
NO = False

# ---------------------------------------------------------------- dl-nn
E(
    "nn-e1",
    "dl-nn",
    "logreg",
    "propagate(): expected cost printed as 5.80154532 but the test checks 2.0424567983978403",
    "The markdown cell under propagate() still shows the cost from an older version of the test "
    "data (w = [[1.],[2.]]). The test uses w = [[1.],[2.],[-1]] and the correct cost is "
    "2.0424567983978403. If your test passes, your code is right.",
    location="propagate",
    published="cost = 5.80154532",
    corrected="cost = 2.0424567983978403",
    workaround="Trust propagate_test; ignore the printed cost.",
)
E(
    "nn-e2",
    "dl-nn",
    "logreg",
    "optimize(): printed dw after 100 iterations is wrong",
    "Expected output for optimize shows dw = [[0.99845601] [2.39507239]] which belongs to the "
    "old learning rate 0.009. With learning_rate=0.009 and the new X the gradients are "
    "dw = [[0.08639757] [-0.01845268]].",
    location="optimize",
    published="dw = [[0.99845601]\n [2.39507239]]\ndb = 0.00145557813678",
    corrected="dw = [[ 0.08639757]\n [-0.01845268]]\ndb = -0.01260472",
    status="fixed",
    fixed_in="2",
)
E(
    "nn-e3",
    "dl-nn",
    "logreg",
    "model(): accuracy 70% vs expected 68%",
    "Reported: my test accuracy is 70% but the notebook says 68%.",
    status="rejected",
    location="model",
    resolution="Not an erratum: 68% comes from num_iterations=2000 and "
    "learning_rate=0.005. If you get 70% you changed the learning rate or forgot to initialise "
    "w with zeros via initialize_with_zeros(dim).",
)
E(
    "nn-e4",
    "dl-nn",
    "planar",
    "layer_sizes_test expects n_h = 4 but the instructions say 5",
    "The instructions text says the hidden layer has 5 units while layer_sizes_test and the rest "
    "of the notebook use n_h = 4. Use 4.",
    kind="instructions",
    location="layer_sizes_test",
)
E(
    "nn-e5",
    "dl-nn",
    "planar",
    "compute_cost: expected cost 0.6930587610394646 printed with wrong example",
    "The expected output of compute_cost shows 0.692919893776 (the old A2 test case). The test "
    "case in public_tests uses a new A2 and the right value is 0.6930587610394646.",
    location="compute_cost",
    published="cost = 0.692919893776",
    corrected="cost = 0.6930587610394646",
)
E(
    "nn-e6",
    "dl-nn",
    "planar",
    "backward_propagation: dW1 expected output wrong in version 3",
    "In notebook version 3 the expected dW1 printed under backward_propagation was computed with "
    "np.power(A1, 2) missing. Fixed in version 3a.",
    location="backward_propagation",
    published="dW1 = [[ 0.00301023 -0.00747267]\n [ 0.00257968 -0.00641288]\n [-0.00156892  "
    "0.003893  ]\n [-0.00652037  0.01618243]]",
    corrected="dW1 = [[ 0.00023729 -0.00120312]\n [ 0.00017922 -0.00088471]\n [-0.00010711  "
    "0.00050002]\n [-0.00063204  0.00315591]]",
    status="fixed",
    fixed_in="3a",
    versions="3",
)
E(
    "nn-e7",
    "dl-nn",
    "deep-step",
    "linear_activation_forward with relu: expected A has the sigmoid values",
    "The expected output for linear_activation_forward (relu) accidentally repeats the sigmoid "
    "output. With relu the correct A is [[3.43896131 0. ]].",
    location="linear_activation_forward",
    published="With ReLU: A = [[0.96890023 0.11013289]]",
    corrected="With ReLU: A = [[3.43896131 0.        ]]",
)
E(
    "nn-e8",
    "dl-nn",
    "deep-step",
    "L_model_backward_test: Wrong values for dA0 although grads match the printed output",
    "The test's expected dA0 was generated with an earlier cache layout (A_prev, W, b, Z in a "
    "flat tuple). Code that matches the printed expected output fails with 'Wrong values for "
    "dA0'. Fixed in version 4.",
    location="L_model_backward_test",
    kind="wrong_test",
    status="fixed",
    fixed_in="4",
)
E(
    "nn-e9",
    "dl-nn",
    "deep-step",
    "update_parameters: expected W1 rounded differently",
    "Reported: my W1 is [[-0.59562069 -0.09991781 -2.14584584  1.82662008]] and the notebook "
    "has more digits.",
    status="rejected",
    location="update_parameters",
    resolution="Not an erratum: numpy prints fewer digits depending on print options. The values "
    "are the same; the test uses np.allclose.",
)
E(
    "nn-e10",
    "dl-nn",
    "deep-app",
    "two_layer_model cost after iteration 0 is 0.693049735659989 not 0.6930497356599888",
    "Cost printouts differ in the last digit across numpy versions; not a problem in your code.",
    status="reported",
    location="two_layer_model",
)
E(
    "nn-e11",
    "dl-nn",
    "deep-step",
    "compute_cost expected 0.2797765635793422 wrong in version 2",
    "Duplicate report of the compute_cost expected output.",
    status="duplicate",
    dup="nn-e12",
    location="compute_cost",
)
E(
    "nn-e12",
    "dl-nn",
    "deep-step",
    "compute_cost (deep): expected cost should be 0.2797765635793422",
    "The printed expected cost 0.41493159961539694 belongs to the planar notebook. The correct "
    "cost for the deep notebook's test case is 0.2797765635793422.",
    location="compute_cost",
    published="cost = 0.41493159961539694",
    corrected="cost = 0.2797765635793422",
)

# ---------------------------------------------------------------- dl-improve
E(
    "im-e1",
    "dl-improve",
    "init",
    "initialize_parameters_he: expected W1 uses sqrt(1/n) instead of sqrt(2/n)",
    "The expected output for He initialization was generated with np.sqrt(1./layers_dims[l-1]). "
    "He initialization scales by np.sqrt(2./layers_dims[l-1]); the grader uses sqrt(2/n).",
    location="initialize_parameters_he",
    published="W1 = [[ 1.78862847  0.43650985]\n [ 0.09649747 -1.8634927 ]\n [-0.2773882  "
    "-0.35475898]\n [-0.08274148 -0.62700068]]",
    corrected="W1 = [[ 1.78862847  0.43650985]\n [ 0.09649747 -1.8634927 ]\n [-0.2773882  "
    "-0.35475898]\n [-0.08274148 -0.62700068]]\nW1 scaled = [[ 2.52950547  0.61731036]\n "
    "[ 0.13646302 -2.63535429]]",
)
E(
    "im-e2",
    "dl-improve",
    "reg",
    "compute_cost_with_regularization: expected cost 1.78648594516 should be 1.7864859451590758",
    "Not a real difference: only printing precision.",
    status="rejected",
    location="compute_cost_with_regularization",
    resolution="Not an erratum: 1.78648594516 and "
    "1.7864859451590758 are the same number printed with different precision.",
)
E(
    "im-e3",
    "dl-improve",
    "reg",
    "backward_propagation_with_dropout: expected dA1 computed without dividing by keep_prob",
    "The printed dA1 in the dropout section was generated without the division by keep_prob. "
    "Dividing by keep_prob (inverted dropout) is correct and is what the test checks.",
    location="backward_propagation_with_dropout",
    published="dA1 = [[ 0.23379712 -0.         -0.          0.11700453  0.        ]]",
    corrected="dA1 = [[ 0.36544439  0.         -0.00188233  0.         -0.17408748]]",
)
E(
    "im-e4",
    "dl-improve",
    "reg",
    "forward_propagation_with_dropout uses np.random.rand vs randn",
    "Reported: expected A3 differs. Instructors: the notebook requires np.random.rand (uniform); "
    "np.random.randn gives different masks.",
    status="rejected",
    location="forward_propagation_with_dropout",
    resolution="Not an erratum: use "
    "np.random.rand(A1.shape[0], A1.shape[1]) for D1, not np.random.randn. randn draws from a "
    "normal distribution and produces a different dropout mask, hence a different A3.",
)
E(
    "im-e5",
    "dl-improve",
    "gradcheck",
    "gradient_check_n: difference 0.2850931567761623 "
    "expected, but the cell says there is a mistake on purpose",
    "The notebook intentionally plants mistakes in backward_propagation_n; the expected output "
    "text was wrong about which line. The mistakes are in dW2 (2*) and db1 (4./m).",
    kind="instructions",
    location="gradient_check_n",
)
E(
    "im-e6",
    "dl-improve",
    "optim",
    "update_parameters_with_adam: expected v_corrected printed before bias correction",
    "The printed v['dW1'] values in the Adam expected output are v, not v_corrected. The test "
    "checks parameters and v, s; your W1 is right if the test passes.",
    location="update_parameters_with_adam",
    published="W1 = [[ 1.63942428 -0.6268425  -0.54320974]\n [-1.08782943  0.85036983 -2.2865723 ]]",
    corrected="W1 = [[ 1.63937725 -0.62327448 -0.54308727]\n [-1.0578897   0.85032154 -2.31657668]]",
)
E(
    "im-e7",
    "dl-improve",
    "optim",
    "random_mini_batches: last mini batch shape expected "
    "(12288, 20) but should be (12288, 0) is wrong",
    "Reported: the last mini-batch shape seems wrong.",
    status="reported",
    location="random_mini_batches",
)
E(
    "im-e8",
    "dl-improve",
    "tf-intro",
    "one_hot_matrix: test fails with tf 2.9 because of tf.reshape shape argument",
    "With TensorFlow 2.9 the test calls one_hot_matrix(label, depth=4) and expects shape (4,); "
    "tf.one_hot returns (1, 4) unless reshaped. Fixed in version 2b by changing the test.",
    kind="environment",
    location="one_hot_matrix",
    status="fixed",
    fixed_in="2b",
)
E(
    "im-e9",
    "dl-improve",
    "tf-intro",
    "compute_total_loss: expected 0.810287 uses reduce_mean instead of reduce_sum",
    "The expected total loss 0.810287 was produced with tf.reduce_mean. The instructions and "
    "the grader use tf.reduce_sum, which gives 0.4051435.",
    location="compute_total_loss",
    published="tf.Tensor(0.810287, shape=(), dtype=float32)",
    corrected="tf.Tensor(0.4051435, shape=(), dtype=float32)",
)

# ---------------------------------------------------------------- dl-cnn
E(
    "cn-e1",
    "dl-cnn",
    "conv-step",
    "zero_pad: expected x_pad[1,1] printed for pad=2 but test uses pad=3",
    "The printed x_pad[1,1] under zero_pad corresponds to pad=2. The test pads by 3; your output "
    "[[0. 0.] [0. 0.] ...] with 3 rows of zeros is right.",
    location="zero_pad",
    status="fixed",
    fixed_in="2",
)
E(
    "cn-e2",
    "dl-cnn",
    "conv-step",
    "conv_forward: expected Z's mean 0.5511276474566768 should be 0.4427056509973153",
    "The expected mean of Z for conv_forward came from hparameters pad=1, stride=2. The test now "
    "uses pad=1, stride=2 with a new W and the correct mean is 0.4427056509973153.",
    location="conv_forward",
    published="Z's mean =\n 0.5511276474566768",
    corrected="Z's mean =\n 0.4427056509973153",
)
E(
    "cn-e3",
    "dl-cnn",
    "conv-step",
    "pool_backward mode=average: expected dA_prev[1,1] wrong",
    "The average-pooling expected output was copied from the max-pooling run.",
    location="pool_backward",
    published="mode = average\nmean of dA =  0.145713902729\ndA_prev[1,1] =  [[ 0.   0. ]\n "
    "[ 5.05844394 -1.68282702]\n [ 0.   0. ]]",
    corrected="mode = average\nmean of dA =  0.145713902729\ndA_prev[1,1] =  [[ 0.08485462  "
    "0.2787552 ]\n [ 1.26461098 -0.25749373]\n [ 1.17975636 -0.53624893]]",
)
E(
    "cn-e4",
    "dl-cnn",
    "resnets",
    "identity_block test: AssertionError Wrong values with training=False",
    "Reported: identity_block test fails with training=False. Instructors: the BatchNorm layers "
    "must be called with training=training; hard-coding training=True breaks the test.",
    status="rejected",
    location="identity_block",
    resolution="Not an erratum: pass "
    "training=training to every BatchNormalization call in identity_block; hard-coding "
    "training=True gives different values when the test runs in inference mode.",
)
E(
    "cn-e5",
    "dl-cnn",
    "resnets",
    "ResNet50 summary: expected total params 23,600,006 but model has 23,587,712",
    "The expected summary counts the final Dense layer for 6 classes with bias. Your model "
    "matches the grader if the comparator passes.",
    status="reported",
    location="ResNet50",
)
E(
    "cn-e6",
    "dl-cnn",
    "yolo",
    "yolo_filter_boxes: expected scores[2] = 9.270486 uses old threshold .5",
    "The printed expected output for yolo_filter_boxes uses threshold=.5 while the call uses "
    "threshold=0.5 with the new random seed; the correct scores[2] is 9.270486 only with seed 10.",
    location="yolo_filter_boxes",
    status="rejected",
    resolution="Not an erratum: the test sets tf.random.set_seed(10) before calling; if you "
    "get different scores you are probably using box_class_scores >= threshold without "
    "tf.boolean_mask on the flattened boxes.",
)
E(
    "cn-e7",
    "dl-cnn",
    "yolo",
    "iou: expected iou for intersecting boxes 0.14285714285714285 printed as 0.14285714",
    "Printing precision only.",
    status="duplicate",
    dup="cn-e8",
    location="iou",
)
E(
    "cn-e8",
    "dl-cnn",
    "yolo",
    "iou test case 4 (boxes touching at a vertex) expects 0 but notebook says 1/7",
    "The expected outputs list for iou shows 0.14285714285714285 for the 'boxes touch at a "
    "vertex' case. Touching boxes have zero intersection; the test expects 0.0.",
    location="iou",
    published="iou for boxes that only touch at vertices = 0.14285714285714285",
    corrected="iou for boxes that only touch at vertices = 0.0",
)
E(
    "cn-e9",
    "dl-cnn",
    "unet",
    "conv_block: expected output shape (None, 48, 64, 32) listed with dropout layer missing",
    "The comparator list for conv_block omits the Dropout layer when dropout_prob > 0. Fixed in "
    "version 3.",
    location="conv_block",
    kind="wrong_test",
    status="fixed",
    fixed_in="3",
)
E(
    "cn-e10",
    "dl-cnn",
    "unet",
    "unet_model: comparator expects Conv2DTranspose with "
    "padding='same' but instructions say 'valid'",
    "The instructions for upsampling_block say padding='valid' in one place; the comparator "
    "(and the architecture) use padding='same'. Use 'same'.",
    kind="instructions",
    location="upsampling_block",
)

# ---------------------------------------------------------------- dl-seq
RNN_PUB = (
    "a_next[4] = [-0.66408471  0.24033931 -0.88003245  0.2344  0.11  0.99  -0.18  "
    "0.99815551  0.6531151  0.82872037]\na_next.shape = (5, 10)"
)
RNN_COR = (
    "a_next[4] = [ 0.59584544  0.24033931 -0.88003245  0.2344  0.11  0.99  -0.18  "
    "0.99815551  0.6531151  0.82872037]\na_next.shape = (5, 10)"
)
E(
    "sq-e1",
    "dl-seq",
    "rnn-step",
    "rnn_cell_forward: first value of a_next[4] has the wrong sign in the expected output",
    "The expected output under rnn_cell_forward shows a_next[4][0] = -0.66408471; the test "
    "rnn_cell_forward_tests checks 0.59584544. The printed output came from an earlier seed.",
    location="rnn_cell_forward",
    published=RNN_PUB,
    corrected=RNN_COR,
    workaround="If rnn_cell_forward_tests passes, your code is right.",
)
E(
    "sq-e2",
    "dl-seq",
    "rnn-step",
    "rnn_forward: expected yt_pred[1] printed from softmax over axis 1",
    "Reported: yt_pred differs. Instructors: softmax must be taken over axis 0.",
    status="rejected",
    location="rnn_forward",
    published="y_pred[1][3] = [0.79560373 0.86224861 0.11118257 0.81515947]",
    corrected="y_pred[1][3] = [0.1 0.2 0.3 0.4]",
    resolution="Not an erratum: the provided softmax takes x over axis 0 (the vocabulary). If you "
    "wrote your own softmax with axis=1 or applied it to a instead of Wya @ a_next + by, your "
    "y_pred differs from the notebook's.",
)
E(
    "sq-e3",
    "dl-seq",
    "rnn-step",
    "lstm_cell_forward: expected c_next[2][1] wrong in version 3",
    "In version 3 the expected c_next was computed with the update gate and forget gate swapped. "
    "Fixed in version 3a.",
    location="lstm_cell_forward",
    status="fixed",
    fixed_in="3a",
    published="c_next[2][1] = 0.7322630987575497",
    corrected="c_next[2][1] = -0.8556011049389374",
    versions="3",
)
E(
    "sq-e4",
    "dl-seq",
    "rnn-step",
    "lstm_backward_test: Wrong values for dWf although lstm_cell_backward passes",
    "The test for lstm_backward in version 4 compares dWf against values generated with "
    "da_prevt accumulated incorrectly. If lstm_cell_backward passes and your dWf[3][1] is "
    "-0.0698198561274401 your code is right.",
    kind="wrong_test",
    location="lstm_backward_test",
    published='gradients["dWf"][3][1] = -0.0698198561274401',
    corrected='gradients["dWf"][3][1] = -0.04219208470581233',
)
E(
    "sq-e5",
    "dl-seq",
    "rnn-step",
    "lstm_backward: expected dWf fixed but test still fails before version 4",
    "The lstm_backward_test fix shipped in version 4; in 3a the old test remains.",
    status="duplicate",
    dup="sq-e4",
    location="lstm_backward_test",
)
E(
    "sq-e6",
    "dl-seq",
    "dinos",
    "sample: expected indices list differs on numpy >= 1.25",
    "np.random.choice produces different samples on numpy 1.25+ for the same seed. The grader "
    "pins numpy 1.24; differences in printed sampled indices are expected.",
    kind="environment",
    location="sample",
    status="verified",
)
E(
    "sq-e7",
    "dl-seq",
    "dinos",
    "optimize: expected loss 126.50397572165389 wrong after clip change",
    "After clip() started clipping in place (version 2), the expected loss of optimize() "
    "changed to 126.50397572165345 in the last digits only.",
    status="rejected",
    location="optimize",
    resolution="Not an erratum: the difference is in the 13th digit; the test uses a tolerance.",
)
E(
    "sq-e8",
    "dl-seq",
    "wordvec",
    "complete_analogy: expected 'italy -> italian :: spain -> "
    "spanish' but test expects 'spain -> spanish' in lowercase",
    "Reported: the printed analogy output capitalisation differs from the test.",
    status="reported",
    location="complete_analogy",
)
E(
    "sq-e9",
    "dl-seq",
    "wordvec",
    "neutralize: expected cosine similarity after neutralizing printed as -4.4e-17 should be ~0",
    "The notebook shows -4.442232511624783e-17 for the cosine similarity after neutralize; any "
    "value below 1e-16 in magnitude is right.",
    location="neutralize",
    status="verified",
    published="cosine similarity between receptionist and g, after neutralizing:  "
    "-4.442232511624783e-17",
    corrected="cosine similarity between receptionist and g, after neutralizing:  "
    "-2.099120994400013e-17",
)
E(
    "sq-e10",
    "dl-seq",
    "nmt",
    "one_step_attention: comparator expects Dense(10, activation='tanh') but instructions say relu",
    "The instructions for densor1 say relu; the comparator and the original paper use tanh. "
    "Use tanh. Fixed in version 2.",
    kind="instructions",
    location="one_step_attention",
    status="fixed",
    fixed_in="2",
)
E(
    "sq-e11",
    "dl-seq",
    "transformer",
    "scaled_dot_product_attention: expected attention weights computed without the mask",
    "The expected attention_weights under scaled_dot_product_attention were generated with "
    "mask=None although the cell passes a mask. With the mask applied (adding -1e9 where mask "
    "is 0) the weights are different.",
    location="scaled_dot_product_attention",
    published="[[0.2589478  0.42693272 0.15705977 0.15705977]\n [0.2772748  0.2772748  "
    "0.2772748  0.16817567]]",
    corrected="[[0.3874556  0.         0.30127215 0.31127224]\n [0.33333334 0.33333334 "
    "0.33333334 0.        ]]",
)
E(
    "sq-e12",
    "dl-seq",
    "transformer",
    "positional_encoding: test fails with 'Wrong values' because of float64 vs float32",
    "positional_encoding must return tf.cast(pos_encoding, dtype=tf.float32). The test was "
    "comparing against float64. Fixed in version 3.",
    kind="wrong_test",
    location="positional_encoding",
    status="fixed",
    fixed_in="3",
)
E(
    "sq-e13",
    "dl-seq",
    "transformer",
    "DecoderLayer: expected out shape printed as (1, 3, 4) should be (1, 3, 8)",
    "Reported: shape mismatch between printed and test.",
    status="reported",
    location="DecoderLayer",
)

# ---------------------------------------------------------------- threads
T(
    "nn-t1",
    "dl-nn",
    "logreg",
    "sigmoid test fails for np.array input",
    "My sigmoid works for a scalar but sigmoid(np.array([0,2])) fails with TypeError: only size-1 "
    "arrays can be converted to Python scalars. I used math.exp.",
    ("Use np.exp instead of math.exp: math.exp only takes scalars.", ACC, NO),
)
T(
    "nn-t2",
    "dl-nn",
    "logreg",
    "propagate cost is 5.80154532 but test says wrong",
    "I get cost = 2.0424567983978403 but the notebook says 5.80154532. Is my propagate wrong?",
    ("This is the known erratum about the printed cost; the test is right.", ACC, NO),
    ("Same here, test passes.", NO, NO),
)
T(
    "nn-t3",
    "dl-nn",
    "logreg",
    "ValueError: operands could not be broadcast together with shapes (1,209) (1,50)",
    "In model() I get ValueError: operands could not be broadcast together with shapes (1,209) "
    "(1,50) when computing test accuracy.",
    (
        "You are comparing Y_prediction_test with Y_train. Use Y_test for the test accuracy.",
        ACC,
        NO,
    ),
)
T(
    "nn-t4",
    "dl-nn",
    "logreg",
    "initialize_with_zeros: AssertionError on b type",
    "initialize_with_zeros test says AssertionError: b must be a float. I wrote b = 0.",
    ("Write b = 0.0 so that it is a float, not an int.", ACC, NO),
)
T(
    "nn-t5",
    "dl-nn",
    "logreg",
    "predict returns all zeros",
    "My predict() gives Y_prediction full of zeros even though costs decrease.",
    (
        "Check that you use A[0, i] > 0.5 and not A[0, i] > 0.5 on the untransposed w; "
        "use w.T @ X + b.",
        ACC,
        NO,
    ),
)
T(
    "nn-t6",
    "dl-nn",
    "planar",
    "layer_sizes returns n_h = 5 but the test wants 4",
    "The text says 5 hidden units but the test wants n_h = 4. Which one?",
    ("Known erratum: use 4.", ACC, NO),
)
T(
    "nn-t7",
    "dl-nn",
    "planar",
    "forward_propagation: AssertionError Wrong values for A2",
    "forward_propagation_test fails: AssertionError: Wrong values for A2. I used np.tanh for "
    "both layers.",
    ("The output layer uses sigmoid, not tanh: A2 = sigmoid(Z2).", ACC, NO),
)
T(
    "nn-t8",
    "dl-nn",
    "planar",
    "compute_cost value differs 0.692919893776 vs 0.6930587610394646",
    "My compute_cost returns 0.6930587610394646 but the expected output shows 0.692919893776.",
    ("Known erratum, your value is the right one.", ACC, NO),
)
T(
    "nn-t9",
    "dl-nn",
    "planar",
    "backward_propagation dW1 wrong, used A1**2",
    "backward_propagation gives Wrong values for dW1. I wrote dZ1 = W2.T @ dZ2 * (1 - A1**2).",
    ("That formula is right; check you use np.dot(W2.T, dZ2) and divide dW1 by m.", ACC, NO),
)
T(
    "nn-t10",
    "dl-nn",
    "planar",
    "nn_model accuracy stuck at 50%",
    "After nn_model my accuracy is 50% and the decision boundary is a line.",
    ("You initialised W1 with zeros. Use np.random.randn(n_h, n_x) * 0.01.", ACC, NO),
)
T(
    "nn-t11",
    "dl-nn",
    "deep-step",
    "linear_forward ValueError shapes not aligned",
    "ValueError: shapes (1,3) and (1,2) not aligned: 3 (dim 1) != 1 (dim 0) in linear_forward.",
    ("Z = np.dot(W, A) + b: you wrote np.dot(A, W).", ACC, NO),
)
T(
    "nn-t12",
    "dl-nn",
    "deep-step",
    "linear_activation_forward relu expected output looks like sigmoid",
    "With relu I get A = [[3.43896131 0.]] but the expected output shows [[0.96890023 "
    "0.11013289]].",
    ("Known erratum; the printed ReLU values are the sigmoid ones.", ACC, NO),
)
T(
    "nn-t13",
    "dl-nn",
    "deep-step",
    "L_model_forward: AL shape (1, 4) expected but got (3, 4)",
    "L_model_forward returns AL with shape (3, 4). The test wants (1, 4).",
    (
        "Your last layer must use parameters W + str(L) for the sigmoid; you used the ReLU loop "
        "for all layers including the last.",
        ACC,
        NO,
    ),
)
T(
    "nn-t14",
    "dl-nn",
    "deep-step",
    "L_model_backward: Wrong values for dA0",
    "L_model_backward_test fails with 'Wrong values for dA0' but my grads look identical to the "
    "expected output in the notebook. Version 3a.",
    ("This was a wrong test, fixed in version 4. Update the notebook.", ACC, NO),
)
T(
    "nn-t15",
    "dl-nn",
    "deep-step",
    "L_model_backward: Wrong values for dA0 (KeyError fix)",
    "I get Wrong values for dA0 in L_model_backward after fixing a KeyError. Version 4.",
    (
        "In version 4 the test is right. You probably start the loop at L-1 and overwrite dA0: "
        "loop for l in reversed(range(L-1)) and use grads['dA' + str(l + 1)].",
        ACC,
        NO,
    ),
)
T(
    "nn-t16",
    "dl-nn",
    "deep-step",
    "compute_cost gives 0.2797765635793422 not 0.41493159961539694",
    "compute_cost in the deep notebook: I get 0.2797765635793422, notebook shows "
    "0.41493159961539694.",
    ("Known erratum; yours is right.", ACC, NO),
)
T(
    "nn-t17",
    "dl-nn",
    "deep-step",
    "update_parameters: TypeError 'int' object is not subscriptable",
    "update_parameters raises TypeError: 'int' object is not subscriptable.",
    ("You passed learning_rate where parameters was expected; check the argument order.", ACC, NO),
)
T(
    "nn-t18",
    "dl-nn",
    "deep-app",
    "two_layer_model cost after iteration 0 differs in the last digit",
    "Cost after iteration 0: 0.693049735659989 vs 0.6930497356599888 in the notebook.",
    ("Harmless numpy printing difference.", ACC, NO),
)
T(
    "nn-t19",
    "dl-nn",
    "deep-app",
    "L_layer_model: cost is nan after iteration 100",
    "My cost becomes nan after a few hundred iterations in L_layer_model.",
    (
        "You used np.random.randn without the scaling in initialize_parameters_deep; use "
        "/ np.sqrt(layer_dims[l-1]) as in the helper.",
        ACC,
        NO,
    ),
)
T(
    "nn-t20",
    "dl-nn",
    "deep-app",
    "Kernel dies when loading the cat dataset",
    "The kernel restarts when I run load_data().",
    ("Restart and clear outputs; the h5 file was open in another kernel.", ACC, NO),
)

T(
    "im-t1",
    "dl-improve",
    "init",
    "He initialization W1 values differ from expected",
    "My initialize_parameters_he gives W1 = [[ 2.52950547 0.61731036] ...] but the expected "
    "output shows [[1.78862847 0.43650985] ...].",
    ("Known erratum: the printed values used sqrt(1/n). sqrt(2/n) is right.", ACC, NO),
)
T(
    "im-t2",
    "dl-improve",
    "init",
    "initialize_parameters_zeros: AssertionError on b1 shape",
    "AssertionError: Wrong shape for b1. I used np.zeros(layers_dims[l]).",
    ("b must be 2-D: np.zeros((layers_dims[l], 1)).", ACC, NO),
)
T(
    "im-t3",
    "dl-improve",
    "init",
    "random init: cost is inf at iteration 0",
    "With initialize_parameters_random the cost at iteration 0 is inf.",
    (
        "That is expected with *10 weights: the sigmoid saturates and log(0) appears. It is the "
        "point of the exercise.",
        ACC,
        NO,
    ),
)
T(
    "im-t4",
    "dl-improve",
    "reg",
    "dropout A3 different from expected",
    "My forward_propagation_with_dropout gives a different A3 than expected. I used "
    "np.random.randn for D1.",
    ("Use np.random.rand (uniform), not randn; see the rejected erratum report.", ACC, NO),
)
T(
    "im-t5",
    "dl-improve",
    "reg",
    "backward dropout dA1 differs, divided by keep_prob",
    "backward_propagation_with_dropout: I divide dA1 by keep_prob and my dA1 is "
    "[[0.36544439 0. -0.00188233 0. -0.17408748]] but expected shows other numbers.",
    ("Known erratum; dividing by keep_prob is right.", ACC, NO),
)
T(
    "im-t6",
    "dl-improve",
    "reg",
    "compute_cost_with_regularization: L2 term wrong",
    "Wrong values for cost in compute_cost_with_regularization. I used np.sum(W1**2) * lambd / m.",
    ("The L2 term is lambd / (2 * m) times the sum of squares.", ACC, NO),
)
T(
    "im-t7",
    "dl-improve",
    "reg",
    "ValueError: operands could not be broadcast together in "
    "backward_propagation_with_regularization",
    "ValueError: operands could not be broadcast together with shapes (3,2) (2,3).",
    ("Add lambd / m * W3, not W3.T: dW3 has W3's shape.", ACC, NO),
)
T(
    "im-t8",
    "dl-improve",
    "gradcheck",
    "gradient_check_n difference is 0.285 is that right?",
    "There is a mistake in the backward propagation! difference = 0.2850931567761623. Is this "
    "expected?",
    ("Yes: the notebook plants mistakes on purpose in dW2 and db1.", ACC, NO),
)
T(
    "im-t9",
    "dl-improve",
    "gradcheck",
    "gradient_check: difference 1 after fixing",
    "difference = 1.0 after I fixed backward_propagation_n.",
    (
        "You compute the numerator with theta_plus - theta_minus instead of grad - gradapprox.",
        ACC,
        NO,
    ),
)
T(
    "im-t10",
    "dl-improve",
    "optim",
    "Adam: W1 after update differs from expected",
    "update_parameters_with_adam gives W1 = [[1.63937725 -0.62327448 -0.54308727] ...] but the "
    "expected output shows [[1.63942428 -0.6268425 -0.54320974] ...].",
    ("Known erratum; your W1 is right if the test passes.", ACC, NO),
)
T(
    "im-t11",
    "dl-improve",
    "optim",
    "update_parameters_with_adam: Wrong values for s",
    "AssertionError: Wrong values for s['dW1'] in update_parameters_with_adam.",
    ("s uses the square of the gradient: s = beta2 * s + (1 - beta2) * np.square(grads).", ACC, NO),
)
T(
    "im-t12",
    "dl-improve",
    "optim",
    "random_mini_batches last batch size",
    "The last mini batch has 20 examples, expected? mini_batch_size=64 and m=148.",
    ("Yes: 148 = 2 * 64 + 20.", ACC, NO),
)
T(
    "im-t13",
    "dl-improve",
    "optim",
    "Momentum: v is not updated",
    "update_parameters_with_momentum: AssertionError: Wrong values for v['dW1'].",
    ("You updated v but used the old gradient; v = beta * v + (1 - beta) * grads['dW1'].", ACC, NO),
)
T(
    "im-t14",
    "dl-improve",
    "tf-intro",
    "one_hot_matrix shape (1, 4) instead of (4,)",
    "one_hot_matrix test fails: expected shape (4,) got (1, 4). TensorFlow 2.9.",
    (
        "Reshape with tf.reshape(one_hot, [depth]) or update to notebook version 2b where the test "
        "was fixed.",
        ACC,
        NO,
    ),
)
T(
    "im-t15",
    "dl-improve",
    "tf-intro",
    "compute_total_loss 0.4051435 vs 0.810287",
    "My compute_total_loss returns tf.Tensor(0.4051435, shape=(), dtype=float32), expected "
    "0.810287.",
    ("Known erratum, reduce_sum is right.", ACC, NO),
)
T(
    "im-t16",
    "dl-improve",
    "tf-intro",
    "InvalidArgumentError: cannot compute MatMul as input #1 was expected to be a double tensor",
    "tensorflow.python.framework.errors_impl.InvalidArgumentError: cannot compute MatMul as "
    "input #1(zero-based) was expected to be a double tensor but is a float tensor.",
    ("Cast X to float32 with tf.cast before tf.linalg.matmul.", ACC, NO),
)
T(
    "im-t17",
    "dl-improve",
    "tf-intro",
    "forward_propagation: use tf.math.add",
    "AssertionError: Wrong values in forward_propagation, Z3 doesn't match.",
    ("You applied relu on Z3. Return Z3 (the logits) without activation.", ACC, NO),
)
T(
    "im-t18",
    "dl-improve",
    "optim",
    "Learning rate decay: update_lr wrong",
    "update_lr returns 0.5 instead of 0.5/(1+decay_rate*epoch_num)... AssertionError: Wrong "
    "values for update_lr.",
    ("Use learning_rate0 / (1 + decay_rate * epoch_num).", ACC, NO),
)

T(
    "cn-t1",
    "dl-cnn",
    "conv-step",
    "zero_pad x_pad[1,1] has 3 rows of zeros",
    "zero_pad: x_pad[1,1] = [[0. 0.] [0. 0.] [0. 0.]] and expected shows 2 rows, version 1.",
    ("Known erratum, fixed in version 2: the test pads by 3.", ACC, NO),
)
T(
    "cn-t2",
    "dl-cnn",
    "conv-step",
    "conv_single_step returns array instead of scalar",
    "conv_single_step test: AssertionError: You must cast the output to numpy float 64.",
    ("Return Z = np.sum(s) + float(b).", ACC, NO),
)
T(
    "cn-t3",
    "dl-cnn",
    "conv-step",
    "conv_forward Z mean 0.4427056509973153",
    "conv_forward gives Z's mean = 0.4427056509973153, the notebook says 0.5511276474566768.",
    ("That's the known erratum, yours is right.", ACC, NO),
)
T(
    "cn-t4",
    "dl-cnn",
    "conv-step",
    "conv_forward IndexError: index 4 is out of bounds",
    "IndexError: index 4 is out of bounds for axis 1 with size 4 in conv_forward.",
    ("vert_start = h * stride; you forgot the stride so the slice runs off the edge.", ACC, NO),
)
T(
    "cn-t5",
    "dl-cnn",
    "conv-step",
    "pool_forward: Wrong values for A",
    "pool_forward mode max gives Wrong values. I used np.mean.",
    ("np.max for max pooling, np.mean for average.", ACC, NO),
)
T(
    "cn-t6",
    "dl-cnn",
    "conv-step",
    "pool_backward average dA_prev different",
    "pool_backward average mode: my dA_prev[1,1] = [[0.08485462 0.2787552] [1.26461098 "
    "-0.25749373] [1.17975636 -0.53624893]], expected shows zeros.",
    ("Known erratum (copied from max pooling).", ACC, NO),
)
T(
    "cn-t7",
    "dl-cnn",
    "resnets",
    "identity_block AssertionError with training=False",
    "identity_block: AssertionError: Wrong values with training=False. Test 2 fails.",
    ("Pass training=training to BatchNormalization; see the rejected report.", ACC, NO),
)
T(
    "cn-t8",
    "dl-cnn",
    "resnets",
    "convolutional_block: ValueError: Operands could not be broadcast in Add",
    "ValueError: Operands could not be broadcast together with shapes (8, 8, 6) (4, 4, 6) in "
    "the Add layer of convolutional_block.",
    ("The shortcut needs the strided Conv2D with strides=(s, s); you used stride 1.", ACC, NO),
)
T(
    "cn-t9",
    "dl-cnn",
    "resnets",
    "ResNet50 total params 23,587,712",
    "My ResNet50 summary says 23,587,712 params, expected 23,600,006.",
    ("Check your Dense layer has classes units with softmax; see the report.", NO, NO),
)
T(
    "cn-t10",
    "dl-cnn",
    "yolo",
    "yolo_filter_boxes scores different",
    "yolo_filter_boxes gives scores[2] = 4.6399336 instead of 9.270486.",
    (
        "Apply tf.boolean_mask with filtering_mask to box_class_scores; see the instructors' note "
        "on the rejected report.",
        ACC,
        NO,
    ),
)
T(
    "cn-t11",
    "dl-cnn",
    "yolo",
    "iou returns 1/7 for touching boxes",
    "iou for boxes that only touch at vertices = 0.14285714285714285, test wants 0.",
    ("Use max(inter_width, 0) * max(inter_height, 0); touching boxes give 0.", ACC, NO),
)
T(
    "cn-t12",
    "dl-cnn",
    "yolo",
    "yolo_non_max_suppression: TypeError",
    "TypeError: Expected int32, got 0.5 of type 'float' instead, in yolo_non_max_suppression.",
    (
        "Argument order of tf.image.non_max_suppression: boxes, scores, max_output_size, "
        "iou_threshold.",
        ACC,
        NO,
    ),
)
T(
    "cn-t13",
    "dl-cnn",
    "unet",
    "conv_block comparator fails with dropout",
    "conv_block test fails: comparator expects no Dropout layer but I added it for dropout_prob "
    "> 0. Version 2.",
    ("Known erratum fixed in version 3.", ACC, NO),
)
T(
    "cn-t14",
    "dl-cnn",
    "unet",
    "upsampling_block padding valid or same?",
    "The instructions say padding='valid' for Conv2DTranspose but my test fails.",
    ("Use 'same'; that's the known instructions erratum.", ACC, NO),
)
T(
    "cn-t15",
    "dl-cnn",
    "unet",
    "unet_model: ValueError: A Concatenate layer requires inputs with matching shapes",
    "ValueError: A `Concatenate` layer requires inputs with matching shapes except for the "
    "concatenation axis. Received: input_shape=[(None, 12, 16, 256), (None, 13, 17, 128)].",
    ("Your upsampling used padding='valid'; use 'same' so shapes line up.", ACC, NO),
)

T(
    "sq-t1",
    "dl-seq",
    "rnn-step",
    "rnn_cell_forward a_next[4] first value sign",
    "rnn_cell_forward: I get a_next[4][0] = 0.59584544, notebook shows -0.66408471. Test passes.",
    ("Known erratum.", ACC, NO),
)
T(
    "sq-t2",
    "dl-seq",
    "rnn-step",
    "rnn_cell_forward: Wrong values for a_next",
    "rnn_cell_forward_tests: AssertionError: Wrong values for a_next. I used np.tanh(Waa @ "
    "a_prev + Wax @ xt) without ba.",
    ("You forgot the bias ba inside the tanh.", ACC, NO),
)
T(
    "sq-t3",
    "dl-seq",
    "rnn-step",
    "rnn_forward: ValueError shapes not aligned",
    "ValueError: shapes (5,3) and (10,1) not aligned in rnn_forward.",
    ("Pass x[:, :, t] (one time step) to rnn_cell_forward, not x.", ACC, NO),
)
T(
    "sq-t4",
    "dl-seq",
    "rnn-step",
    "rnn_forward y_pred differs",
    "My y_pred[1][3] = [0.1 0.2 0.3 0.4]; the notebook has [0.79560373 0.86224861 0.11118257 "
    "0.81515947]. I wrote softmax with axis=1.",
    ("Use the provided softmax (axis 0); see the rejected report.", ACC, NO),
)
T(
    "sq-t5",
    "dl-seq",
    "rnn-step",
    "lstm_cell_forward c_next version 3",
    "lstm_cell_forward c_next[2][1] = -0.8556011049389374 vs 0.7322630987575497 expected, "
    "version 3.",
    ("Known erratum fixed in 3a.", ACC, NO),
)
T(
    "sq-t6",
    "dl-seq",
    "rnn-step",
    "lstm_cell_forward: Wrong values for c_next (version 4)",
    "I'm on version 4 and lstm_cell_forward still fails: Wrong values for c_next.",
    ("In version 4 the test is right; check c_next = ft * c_prev + it * cct.", ACC, NO),
)
T(
    "sq-t7",
    "dl-seq",
    "rnn-step",
    "lstm_backward_test Wrong values for dWf",
    "lstm_backward_test: AssertionError: Wrong values for dWf. lstm_cell_backward passes.",
    ("Known erratum: the test is wrong; compare dWf[3][1] with the erratum.", ACC, NO),
)
T(
    "sq-t8",
    "dl-seq",
    "rnn-step",
    "lstm_cell_backward dxt wrong",
    "lstm_cell_backward: Wrong values for dxt.",
    ("dxt uses Wf, Wi, Wc, Wo columns from n_a onwards: parameters['Wf'][:, n_a:].T.", ACC, NO),
)
T(
    "sq-t9",
    "dl-seq",
    "dinos",
    "clip: gradients not clipped",
    "clip() returns gradients unchanged: AssertionError: Wrong values for dWaa.",
    ("Use np.clip(gradient, -maxValue, maxValue, out=gradient) to clip in place.", ACC, NO),
)
T(
    "sq-t10",
    "dl-seq",
    "dinos",
    "sample returns different indices",
    "sample: my list of sampled indices differs from expected with the same seed. numpy 1.26.",
    ("Known environment erratum: numpy 1.25+ changed np.random.choice.", ACC, NO),
)
T(
    "sq-t11",
    "dl-seq",
    "dinos",
    "optimize loss last digits differ",
    "optimize loss 126.50397572165345 vs 126.50397572165389.",
    ("Rejected report: only the 13th digit differs.", ACC, NO),
)
T(
    "sq-t12",
    "dl-seq",
    "dinos",
    "model: KeyError in char_to_ix",
    "KeyError: '\\n' in model when building single_example_ix.",
    (
        "Build the example with [char_to_ix[ch] for ch in single_example]; strip the newline "
        "before.",
        ACC,
        NO,
    ),
)
T(
    "sq-t13",
    "dl-seq",
    "wordvec",
    "cosine_similarity: division by zero",
    "RuntimeWarning: invalid value encountered in double_scalars in cosine_similarity.",
    ("Return 0 when norm_u * norm_v == 0.", ACC, NO),
)
T(
    "sq-t14",
    "dl-seq",
    "wordvec",
    "neutralize cosine similarity not exactly zero",
    "After neutralize I get -2.099120994400013e-17, expected -4.442232511624783e-17.",
    ("Both are zero up to rounding; known erratum.", ACC, NO),
)
T(
    "sq-t15",
    "dl-seq",
    "wordvec",
    "complete_analogy returns 'spain' for itself",
    "complete_analogy('italy', 'italian', 'spain') returns 'spain'.",
    ("Skip the input words in the loop: if w in [word_a, word_b, word_c]: continue.", ACC, NO),
)
T(
    "sq-t16",
    "dl-seq",
    "nmt",
    "one_step_attention: tanh or relu?",
    "Comparator fails for densor1 with relu. Instructions say relu.",
    ("Use tanh: the instructions erratum was fixed in version 2.", ACC, NO),
)
T(
    "sq-t17",
    "dl-seq",
    "nmt",
    "modelf: ValueError: Layer lstm expects 1 input but received 3",
    "ValueError: Layer post_activation_LSTM_cell expects 1 input(s), but it received 3 input "
    "tensors.",
    ("Call post_activation_LSTM_cell(inputs=context, initial_state=[s, c]).", ACC, NO),
)
T(
    "sq-t18",
    "dl-seq",
    "transformer",
    "scaled_dot_product_attention weights differ",
    "My attention weights [[0.3874556 0. 0.30127215 0.31127224] ...] differ from expected "
    "[[0.2589478 0.42693272 ...]].",
    ("Known erratum: the printed weights ignored the mask.", ACC, NO),
)
T(
    "sq-t19",
    "dl-seq",
    "transformer",
    "scaled_dot_product_attention: Wrong masked weights",
    "AssertionError: Wrong masked weights in scaled_dot_product_attention.",
    ("Add (1. - mask) * -1e9 to the scaled logits, not mask * -1e9.", ACC, NO),
)
T(
    "sq-t20",
    "dl-seq",
    "transformer",
    "positional_encoding dtype",
    "positional_encoding test: AssertionError: Wrong values, returned float64.",
    ("Cast to tf.float32; the test was fixed in version 3.", ACC, NO),
)
T(
    "sq-t21",
    "dl-seq",
    "transformer",
    "EncoderLayer: Wrong values with training=False",
    "EncoderLayer_test fails: Wrong values when training=False.",
    ("Pass training=training to the dropout layers.", ACC, NO),
)
T(
    "sq-t22",
    "dl-seq",
    "transformer",
    "DecoderLayer output shape",
    "DecoderLayer out shape is (1, 3, 4) but I think it should be (1, 3, 8)?",
    (
        "The printed shape is fine: fully_connected_dim is 8 but the output has embedding_dim 4.",
        ACC,
        NO,
    ),
)
# Near-duplicates and general threads
T(
    "nn-t21",
    "dl-nn",
    "logreg",
    "propagate(): my cost differs from the printed 5.80154532",
    "Cost printed under propagate is 5.8 but mine is 2.04. Is something wrong?",
    ("Known erratum about the printed cost.", NO, NO),
)
T(
    "sq-t23",
    "dl-seq",
    "rnn-step",
    "rnn_cell_forward output first element positive",
    "Why is my a_next[4] first value positive when the notebook shows a negative one?",
    ("It is the known erratum; the test is right.", NO, NO),
)
T(
    "im-t19",
    "dl-improve",
    "reg",
    "dropout: use rand or randn?",
    "Which random function for the dropout mask?",
    ("np.random.rand.", ACC, NO),
)
T(
    "cn-t16",
    "dl-cnn",
    "resnets",
    "How long should training ResNet50 take?",
    "Training takes 20 minutes on the platform, is that normal?",
    ("Yes, the notebook trains only 10 epochs but it is slow on CPU.", ACC, NO),
)
T(
    "sq-t24",
    "dl-seq",
    "nmt",
    "Attention plot is empty",
    "plot_attention_map shows an empty image.",
    ("Train for more epochs or load the pretrained weights first.", ACC, NO),
)
T(
    "nn-t22",
    "dl-nn",
    "deep-app",
    "Submission grader says 0/100 but all tests pass",
    "All tests pass in the notebook but the grader gives 0.",
    ("Don't rename the notebook and don't add cells that print huge outputs; resubmit.", ACC, NO),
)

# ---------------------------------------------------------------- questions
# q: as learners phrase it; expect: external ids that resolve it (any one counts).
Q: list[dict[str, Any]] = []


def q(question: str, expect: list[str], **ctx: str) -> None:
    Q.append({"question": question, "expect": expect, **ctx})


q(
    "Is the expected cost under propagate wrong? I get 2.0424567983978403",
    ["nn-e1", "nn-t2", "nn-t21"],
)
q(
    "propagate output: cost = 2.04245680 but the notebook says 5.8",
    ["nn-e1", "nn-t2", "nn-t21"],
    course="dl-nn",
)
q("TypeError: only size-1 arrays can be converted to Python scalars in my sigmoid", ["nn-t1"])
q("my logistic regression test accuracy is 70 percent instead of 68", ["nn-e3"])
q("ValueError: operands could not be broadcast together with shapes (1,209) (1,50)", ["nn-t3"])
q("AssertionError: b must be a float", ["nn-t4"])
q("Hidden layer size: the text says five units and the test checks four?", ["nn-e4", "nn-t6"])
q("forward_propagation_test AssertionError: Wrong values for A2", ["nn-t7"])
q(
    "My compute_cost for the planar notebook is 0.6930587610394646, expected output differs",
    ["nn-e5", "nn-t8"],
)
q(
    "Wrong values for dW1 in backward_propagation",
    ["nn-t9", "nn-e6"],
    course="dl-nn",
    assignment="planar",
    notebook_version="4",
)
q(
    "backward propagation dW1 doesn't match the expected output in version 3",
    ["nn-e6"],
    course="dl-nn",
    assignment="planar",
    notebook_version="3",
)
q("the decision boundary is a straight line and accuracy 50% after training nn_model", ["nn-t10"])
q("ValueError: shapes (1,3) and (1,2) not aligned: 3 (dim 1) != 1 (dim 0)", ["nn-t11"])
q(
    "relu expected output in linear_activation_forward looks like sigmoid values",
    ["nn-e7", "nn-t12"],
)
q(
    'Traceback (most recent call last):\n  File "<ipython-input-12>", line 5, in <module>\n'
    '    L_model_backward_test(L_model_backward)\n  File "/home/jovyan/work/public_tests.py", '
    "line 320, in L_model_backward_test\nAssertionError: Wrong values for dA0",
    ["nn-e8", "nn-t14", "nn-t15"],
    notebook_version="3a",
)
q(
    "L_model_backward still says Wrong values for dA0 on version 4",
    ["nn-t15"],
    notebook_version="4",
    course="dl-nn",
)
q("AL has shape (3, 4) instead of (1, 4) from L_model_forward", ["nn-t13"])
q(
    "deep notebook compute_cost expected 0.41493159961539694 but mine is 0.2797765635793422",
    ["nn-e12", "nn-t16"],
)
q("TypeError: 'int' object is not subscriptable in update_parameters", ["nn-t17"])
q("cost turns into nan in L_layer_model after some iterations", ["nn-t19"])
q("the grader gives me zero although every test passes", ["nn-t22"])
q("He initialization expected W1 looks like it uses sqrt(1/n)", ["im-e1", "im-t1"])
q(
    "initialize_parameters_he output",
    ["im-e1", "im-t1"],
    output="W1 = [[ 1.78862847  0.43650985]\n [ 0.09649747 -1.8634927 ]\n [-0.2773882  "
    "-0.35475898]\n [-0.08274148 -0.62700068]]\nW1 scaled = [[ 2.52950547  0.61731036]\n "
    "[ 0.13646302 -2.63535429]]",
    course="dl-improve",
)
q("AssertionError: Wrong shape for b1 in initialize_parameters_zeros", ["im-t2"])
q("cost is inf at the first iteration with random initialization", ["im-t3"])
q("dropout forward: my A3 is different from the expected output", ["im-e4", "im-t4", "im-t19"])
q(
    "my dA1 for dropout backward",
    ["im-e3", "im-t5"],
    output="dA1 = [[ 0.36544439  0.         -0.00188233  0.         -0.17408748]]",
)
q("Is 1.78648594516 vs 1.7864859451590758 for the regularized cost a bug?", ["im-e2"])
q("L2 regularization cost term wrong values", ["im-t6"])
q(
    "ValueError: operands could not be broadcast together with shapes (3,2) (2,3) in "
    "backward_propagation_with_regularization",
    ["im-t7"],
)
q(
    "There is a mistake in the backward propagation! difference = 0.2850931567761623",
    ["im-e5", "im-t8"],
)
q("gradient check difference is exactly 1 after my fix", ["im-t9"])
q(
    "Adam W1 after the update doesn't match",
    ["im-e6", "im-t10"],
    output="W1 = [[ 1.63937725 -0.62327448 -0.54308727]\n [-1.0578897   0.85032154 -2.31657668]]",
)
q("AssertionError: Wrong values for s['dW1']", ["im-t11"])
q("why does the last mini batch only have 20 examples", ["im-t12", "im-e7"])
q("momentum v not updated correctly, Wrong values for v", ["im-t13"])
q("one_hot_matrix expected shape (4,) got (1, 4)", ["im-e8", "im-t14"], notebook_version="2")
q(
    "compute_total_loss gives half of the expected value",
    ["im-e9", "im-t15"],
    output="tf.Tensor(0.4051435, shape=(), dtype=float32)",
)
q(
    "InvalidArgumentError: cannot compute MatMul as input #1(zero-based) was expected to be a "
    "double tensor but is a float tensor",
    ["im-t16"],
)
q("update_lr Wrong values for learning rate decay", ["im-t18"])
q("zero_pad prints three rows of zeros but expected two", ["cn-e1", "cn-t1"], notebook_version="1")
q("conv_forward Z's mean mismatch", ["cn-e2", "cn-t3"], output="Z's mean =\n 0.44270565")
q("IndexError: index 4 is out of bounds for axis 1 with size 4", ["cn-t4"])
q("AssertionError: You must cast the output to numpy float 64", ["cn-t2"])
q(
    "average pooling backward gives a different dA_prev",
    ["cn-e3", "cn-t6"],
    output="dA_prev[1,1] =  [[ 0.08485462  0.2787552 ]\n [ 1.26461098 -0.25749373]\n "
    "[ 1.17975636 -0.53624893]]",
)
q("identity block test fails only with training=False", ["cn-e4", "cn-t7"])
q("Operands could not be broadcast together with shapes (8, 8, 6) (4, 4, 6)", ["cn-t8"])
q("yolo filter boxes gives different scores than expected", ["cn-e6", "cn-t10"])
q("iou should be zero when boxes only touch at a corner", ["cn-e8", "cn-t11"])
q("TypeError: Expected int32, got 0.5 of type 'float' instead", ["cn-t12"])
q("conv_block comparator complains about Dropout layer", ["cn-e9", "cn-t13"], notebook_version="2")
q(
    "A Concatenate layer requires inputs with matching shapes except for the concat axis",
    ["cn-t15", "cn-e10"],
)
q(
    "my rnn cell output is off compared to the notebook",
    ["sq-e1", "sq-t1", "sq-t23"],
    output="a_next[4] = [ 0.59584544  0.24033931 -0.88003245  0.2344  0.11  0.99  -0.18  "
    "0.99815551  0.6531151  0.82872037]",
)
q("rnn_cell_forward_tests: AssertionError: Wrong values for a_next", ["sq-t2"])
q("ValueError: shapes (5,3) and (10,1) not aligned", ["sq-t3"])
q(
    "my y_pred does not match the expected output in rnn_forward",
    ["sq-e2", "sq-t4"],
    output="y_pred[1][3] = [0.1 0.2 0.3 0.4]",
)
q(
    "lstm cell c_next expected value looks wrong",
    ["sq-e3", "sq-t5"],
    notebook_version="3",
    output="c_next[2][1] = -0.8556011049389374",
)
q("lstm_cell_forward Wrong values for c_next", ["sq-t6"], notebook_version="4")
q(
    "lstm_backward_test fails: Wrong values for dWf even though lstm_cell_backward passes",
    ["sq-e4", "sq-t7", "sq-e5"],
)
q("Wrong values for dxt in lstm_cell_backward", ["sq-t8"])
q("my gradients aren't clipped, Wrong values for dWaa", ["sq-t9"])
q("sampled dinosaur names differ from the expected indices on a newer numpy", ["sq-e6", "sq-t10"])
q("KeyError: '\\n' when building single_example_ix", ["sq-t12"])
q("RuntimeWarning: invalid value encountered in double_scalars", ["sq-t13"])
q("analogy function returns the input word itself", ["sq-t15"])
q(
    "densor1 activation: instructions say relu but the comparator wants something else",
    ["sq-e10", "sq-t16"],
)
q("Layer post_activation_LSTM_cell expects 1 input(s), but it received 3 input tensors", ["sq-t17"])
q(
    "attention weights differ from the expected output even though I applied the mask",
    ["sq-e11", "sq-t18"],
)
q("AssertionError: Wrong masked weights", ["sq-t19"])
q(
    "positional encoding test says wrong values because of dtype",
    ["sq-e12", "sq-t20"],
    notebook_version="2",
)
q("EncoderLayer fails when training=False", ["sq-t21"])
# Nothing in the corpus answers these: the assistant should say no_match.
q("How do I change my display name on the course platform?", [])
q("Will there be a certificate for auditing the course?", [])
q("Can I use PyTorch instead of TensorFlow for the final project?", [])

if __name__ == "__main__":
    # A duplicate report names the erratum it duplicates: that one must be imported first.
    ordered = sorted(records, key=lambda r: bool(r.get("duplicate_of")))
    with open(HERE / "corpus.jsonl", "w") as fh:
        for rec in ordered:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(HERE / "questions.jsonl", "w") as fh:
        for item in Q:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    n_e = sum(r["type"] == "erratum" for r in records)
    print(f"{n_e} errata, {len(records) - n_e} threads, {len(Q)} questions")
