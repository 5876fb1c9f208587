"""Tracebacks as IPython 7 printed them (Jupyter before 2023, and most course forums' archives):
a frame is the path, "in" and the function on a line of its own. They read as the same
traceback in IPython 8's form does: its functions and tests, and none of it as the learner's
words."""

from __future__ import annotations

import pytest

from assistant.parsing import parse

pytestmark = pytest.mark.nodb

IPYTHON7 = """my two layer model breaks
---------------------------------------------------------------------------
ValueError                                Traceback (most recent call last)
/tmp/ipykernel_12/2945432424.py in <module>
----> 1 parameters, costs = two_layer_model(train_x, train_y, layers_dims = (n_x, n_h, n_y))

/tmp/ipykernel_12/1236722103.py in two_layer_model(X, Y, layers_dims, learning_rate)
     46         A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
---> 47         A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")

~/work/release/W4A2/dnn_app_utils_v3.py in linear_activation_forward(A_prev, W, b, activation)
    199         Z, linear_cache = linear_forward(A_prev, W, b)

/opt/conda/lib/python3.7/site-packages/numpy/core/overrides.py in dot(*args, **kwargs)

ValueError: shapes (1,7) and (12288,209) not aligned: 7 (dim 1) != 12288 (dim 0)"""

IPYTHON8 = """my two layer model breaks
---------------------------------------------------------------------------
ValueError                                Traceback (most recent call last)
Cell In[7], line 1
----> 1 parameters, costs = two_layer_model(train_x, train_y, layers_dims = (n_x, n_h, n_y))

Cell In[6], line 47, in two_layer_model(X, Y, layers_dims, learning_rate)
     46         A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
---> 47         A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")

File ~/work/W4A2/dnn_app_utils_v3.py:199, in linear_activation_forward(A_prev, W, b, activation)
    199         Z, linear_cache = linear_forward(A_prev, W, b)

File /opt/conda/lib/python3.7/site-packages/numpy/core/overrides.py:5, in dot(*args, **kwargs)

ValueError: shapes (1,7) and (12288,209) not aligned: 7 (dim 1) != 12288 (dim 0)"""


def test_an_ipython_7_traceback_reads_as_its_ipython_8_form() -> None:
    old, new = parse(IPYTHON7), parse(IPYTHON8)
    assert old.functions == ["two_layer_model", "linear_activation_forward"]
    assert sorted(old.functions) == sorted(new.functions)
    assert (old.exception_type, old.exception_message) == (
        new.exception_type,
        new.exception_message,
    )
    # The frame lines are not the learner's words.
    assert old.prose == new.prose == "my two layer model breaks"


def test_a_test_frame_names_the_test() -> None:
    p = parse(
        "<ipython-input-12-5e7f2d5b8f1c> in <module>\n----> 2 rnn_forward_test(rnn_forward)\n\n"
        "~/work/W1A1/public_tests.py in rnn_forward_test(target)\n"
        '---> 60     assert np.allclose(a[5, 2, 2:6], expected), "Wrong values for a"\n\n'
        "AssertionError: Wrong values for a"
    )
    assert p.tests == ["rnn_forward_test"]
    assert p.prose == ""


def test_words_that_mention_a_file_are_no_frame() -> None:
    p = parse("utils.py in the work folder is missing, where do I get it")
    assert p.functions == []
    assert "utils.py in the work folder is missing" in p.prose
