"""Errors Keras wraps (``ValueError: Exception encountered when calling layer "conv2d" (type
Conv2D).``, then the error itself, then the call's arguments) and TensorFlow's graph errors
(``InvalidArgumentError: Graph execution error:``, the node, then the error): the wrapped error
is the exception's message, neither the wrapper line nor the learner's words."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from assistant.parsing import parse
from tests.assistant.conftest import World, _thread

NEGATIVE = (
    "Negative dimension size caused by subtracting 1 from 0 for '{{node conv2d_52/Conv2D}} = "
    'Conv2D[T=DT_FLOAT, data_format="NHWC"]\' with input shapes: [?,0,0,1024], [1,1,1024,2048].'
)
KERAS2 = f"""---------------------------------------------------------------------------
ValueError                                Traceback (most recent call last)
Cell In[8], line 3
----> 3 model = ResNet50(input_shape = (64, 64, 3), classes = 6)

File /usr/local/lib/python3.8/dist-packages/keras/utils/traceback_utils.py:67, in error_handler
---> 67   raise e.with_traceback(filtered_tb) from None

ValueError: Exception encountered when calling layer "conv2d_52" (type Conv2D).

{NEGATIVE}

Call arguments received by layer "conv2d_52" (type Conv2D):
  • inputs=tf.Tensor(shape=(None, 0, 0, 1024), dtype=float32)

I used strides of 2 in every stage"""


def _wrapped(kind: str, layer: str, message: str) -> str:
    return (
        f'{kind}: Exception encountered when calling layer "{layer}" (type {layer.title()}).\n\n'
        f'{message}\n\nCall arguments received by layer "{layer}" (type {layer.title()}):\n'
        "  • x=tf.Tensor(shape=(2, 3, 4), dtype=float32)\n  • training=False\n  • mask=None"
    )


@pytest.mark.nodb
def test_the_wrapped_error_is_the_message_and_the_learners_words_stay_prose() -> None:
    p = parse(f"my resnet fails at the last stage\n{KERAS2}")
    assert p.exception_type == "ValueError"
    assert p.exception_message == NEGATIVE
    assert p.prose == "my resnet fails at the last stage I used strides of 2 in every stage"


@pytest.mark.nodb
def test_keras_3_wraps_the_same_way() -> None:
    message = (
        'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input '
        "shape to have value 64, but received input with shape (None, 32)"
    )
    text = (
        f"ValueError: Exception encountered when calling Dense.call().\n\n{message}\n\n"
        "Arguments received by Dense.call():\n  • inputs=tf.Tensor(shape=(None, 32))"
    )
    p = parse("dense layer", traceback=text)
    assert (p.exception_type, p.exception_message) == ("ValueError", message)


GRAPH = """my happy model fit crashes right away
InvalidArgumentError                      Traceback (most recent call last)
Cell In[20], line 1
----> 1 history = conv_model.fit(train_dataset, epochs=100)

InvalidArgumentError: Graph execution error:

Detected at node 'sparse_categorical_crossentropy/SparseSoftmaxCrossEntropyWithLogits' defined at \
(most recent call last):
    File "/usr/lib/python3.8/runpy.py", line 194, in _run_module_as_main
      return _run_code(code, main_globals, None,
    File "/usr/local/lib/python3.8/dist-packages/keras/engine/training.py", line 1051, in train_step
      loss = self.compute_loss(x, y, y_pred, sample_weight)
Node: 'sparse_categorical_crossentropy/SparseSoftmaxCrossEntropyWithLogits'
Received a label value of 6 which is outside the valid range of [0, 6).  Label values: 5 0 3 1
\t [[{{node sparse_categorical_crossentropy/SparseSoftmaxCrossEntropyWithLogits}}]] \
[Op:__inference_train_function_1317]

i used 6 units in the last dense layer"""


@pytest.mark.nodb
def test_a_graph_execution_error_is_read_as_the_error_at_its_node() -> None:
    p = parse(GRAPH)
    assert p.exception_type == "InvalidArgumentError"
    assert p.exception_message == (
        "Received a label value of 6 which is outside the valid range of [0, 6). "
        "Label values: 5 0 3 1"
    )
    assert p.prose == "my happy model fit crashes right away i used 6 units in the last dense layer"


@pytest.fixture()
def keras_threads(session: Session, world: World) -> World:
    """Threads that each paste an error Keras wrapped. Keras numbers its layers as they are
    made (conv2d_17, conv2d_52…), so the same error comes wrapped in different lines."""
    from index.runtime import get_runtime

    for key, title, kind, layer, message, answer in (
        ("t-negative", "convolutional_block fails in the last stage", "ValueError", "conv2d_17",
         "Negative dimension size caused by subtracting 1 from 0 for '{{node conv2d_17/Conv2D}}"
         " = Conv2D[T=DT_FLOAT]' with input shapes: [?,0,0,1024], [1,1,1024,2048].",
         "Only the first convolution of the block takes the stride s; the others use 1."),
        ("t-channels", "identity_block shortcut does not add up", "ValueError", "conv2d_52",
         "Depth of input (64) is not a multiple of input depth of filter (256) for "
         "'{{node conv2d_52/Conv2D}}'",
         "The shortcut is the block's input itself: keep X_shortcut = X before the first layer."),
        ("t-dense", "Output layer complains about its input", "ValueError", "dense",
         'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input '
         "shape to have value 64, but received input with shape (None, 32)",
         "Flatten the last pooling output before the Dense layer."),
    ):  # fmt: skip
        _thread(session, world, key, 1, title, _wrapped(kind, layer, message), answer=answer)
    session.commit()
    get_runtime().rebuild_now()
    return world


@pytest.mark.model
def test_a_pasted_keras_error_finds_the_thread_about_that_error(
    client: TestClient, keras_threads: World
) -> None:
    # Wrapped in the line of the thread about another error (conv2d_52), not of its own.
    pasted = _wrapped(
        "ValueError",
        "conv2d_52",
        "Negative dimension size caused by subtracting 1 from 0 for '{{node conv2d_52/Conv2D}} "
        "= Conv2D[T=DT_FLOAT]' with input shapes: [?,0,0,1024], [1,1,1024,2048].",
    )
    r = client.post("/api/v1/ask", json={"question": pasted, "course": "dl-seq"})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    assert data["sources"][0]["external_id"] in ("t-negative", "t-negative-a")
