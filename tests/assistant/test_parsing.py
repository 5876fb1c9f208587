"""Parsing pasted questions, tracebacks and test output."""

from __future__ import annotations

import pytest

from assistant.parsing import parse, parse_values, shapes

pytestmark = pytest.mark.nodb

IPYTHON_TB = """I implemented rnn_forward but the test fails, I think my code is right?
---------------------------------------------------------------------------
AssertionError                            Traceback (most recent call last)
Cell In[12], line 3
      1 a_tmp, y_pred_tmp, caches_tmp = rnn_forward(x_tmp, a0_tmp, parameters_tmp)
----> 3 rnn_forward_test(rnn_forward)
File ~/work/public_tests.py:45, in rnn_forward_test(target)
---> 45 assert np.allclose(a[4][1], expected_a41), "Wrong values for a[4][1]"
AssertionError: Wrong values for a[4][1]
"""

PYTHON_TB = """Traceback (most recent call last):
  File "/tmp/ipykernel_42/123.py", line 7, in <module>
    grads = L_model_backward(AL, Y, caches)
  File "/tmp/ipykernel_42/123.py", line 30, in linear_activation_backward
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
  File "/usr/lib/python3/site-packages/numpy/core/overrides.py", line 5, in dot
ValueError: shapes (3,4) and (3,1) not aligned: 4 (dim 1) != 3 (dim 0)
"""


def test_parse_ipython_traceback_finds_exception_and_assertion() -> None:
    p = parse(IPYTHON_TB)
    assert p.exception_type == "AssertionError"
    assert p.exception_message == "Wrong values for a[4][1]"
    assert "Wrong values for a[4][1]" in p.assertions
    assert "rnn_forward_test" in p.tests
    assert "rnn_forward" in p.functions  # the cell hands it to the test


def test_the_function_a_cell_hands_to_its_test_is_read_even_when_it_is_in_no_frame() -> None:
    # The test failed on the function's output: the function had returned, so no frame names
    # it, and "softmax" has no underscore to be read as code. The cell's call still names it.
    tb = (
        "AssertionError                            Traceback (most recent call last)\n"
        "Cell In[14], line 1\n"
        "----> 1 public_tests.softmax_test(softmax)\n\n"
        "File ~/work/public_tests.py:131, in softmax_test(target)\n"
        '--> 131     assert np.allclose(s, expected), "Wrong values"\n\n'
        "AssertionError: Wrong values"
    )
    p = parse("my softmax values look identical but the test fails", traceback=tb)
    assert "softmax" in p.functions and "softmax_test" in p.tests
    assert "target" not in p.functions + p.identifiers  # the frame's signature is no call
    # A test's own helper called with its cases hands over no learner function, and a pasted
    # test's definition is no call.
    helper = parse("----> 55     multiple_test(test_cases, target)")
    assert helper.functions == []
    pasted = parse("```python\ndef softmax_test(target):\n    s = target(x)\n```")
    assert "target" not in pasted.functions


def test_parse_traceback_keeps_prose_apart_from_code() -> None:
    p = parse(IPYTHON_TB)
    assert p.prose == "I implemented rnn_forward but the test fails, I think my code is right?"
    assert "Wrong values for a[4][1]" in p.dense_text()


def test_parse_python_traceback_skips_library_frames() -> None:
    p = parse(PYTHON_TB)
    assert p.exception_type == "ValueError"
    assert p.exception_message is not None and p.exception_message.startswith("shapes (3,4)")
    assert p.functions == ["linear_activation_backward"]
    assert "dot" not in p.functions + p.identifiers
    assert "L_model_backward" in p.identifiers and "linear_backward" in p.identifiers
    assert (3, 4) in p.shapes and (3, 1) in p.shapes


def test_parse_terms_put_error_strings_first() -> None:
    terms = parse(PYTHON_TB).terms()
    assert terms[0] == "ValueError"
    assert terms[1].startswith("shapes (3,4) and (3,1) not aligned")
    assert "linear_activation_backward" in terms
    # No path fragments or line numbers leak into the lexical side.
    assert not any("ipykernel" in t or "site-packages" in t for t in terms)


def test_parse_dotted_exception_type_keeps_class_name() -> None:
    text = "tensorflow.python.framework.errors_impl.InvalidArgumentError: Incompatible shapes"
    p = parse(text)
    assert p.exception_type == "InvalidArgumentError"
    assert p.exception_message == "Incompatible shapes"


def test_parse_bare_assertion_error_has_no_message() -> None:
    p = parse(
        'Traceback (most recent call last):\n  File "t.py", line 3, in test_cost\nAssertionError'
    )
    assert p.exception_type == "AssertionError"
    assert p.exception_message is None
    assert "test_cost" in p.tests


def test_parse_test_messages_without_exception() -> None:
    p = parse("Error: Wrong output for variable 0.\n 2  Tests passed\n 1  Tests failed")
    assert "Wrong output for variable 0" in " ".join(p.assertions)
    assert any("Tests failed" in a for a in p.assertions)


def test_parse_question_only_prose_goes_dense() -> None:
    p = parse("Why is my LSTM output slightly off from the expected values?")
    assert p.exception_type is None
    assert p.terms() == ()
    assert "LSTM output slightly off" in p.dense_text()


def test_parse_error_name_in_prose_is_a_term() -> None:
    p = parse("I keep getting a ZeroDivisionError in compute_cost when m is 0")
    assert p.exception_type == "ZeroDivisionError"
    assert "compute_cost" in p.terms()


def test_parse_values_named_numpy_prints() -> None:
    out = (
        "a_next[4] = [-0.66408471  0.24033931 -0.88003245]\n"
        "a_next.shape = (5, 10)\n"
        "dW1 = [[ 0.1 -0.2]\n [ 3.2e-05 4.]]\n"
        "cost = 0.69314718\n"
    )
    values = {v.name: v.numbers for v in parse_values(out)}
    assert values["a_next[4]"] == (-0.66408471, 0.24033931, -0.88003245)
    assert values["a_next.shape"] == (5.0, 10.0)
    assert values["dW1"] == (0.1, -0.2, 3.2e-05, 4.0)
    assert values["cost"] == (0.69314718,)


def test_parse_values_strips_array_and_tensor_wrappers() -> None:
    out = (
        "array([1., 2.5, nan], dtype=float32)\ntf.Tensor([[0.5 0.25]], shape=(1, 2), dtype=float32)"
    )
    values = parse_values(out)
    assert [v.name for v in values] == [None, None]
    assert values[0].numbers[:2] == (1.0, 2.5)
    # The shape and dtype are metadata, not values.
    assert values[1].numbers == (0.5, 0.25)


def test_parse_values_records_printed_precision() -> None:
    (value,) = parse_values("x = [0.123 1.5e-05 3]")
    assert value.ulps == pytest.approx((0.001, 1e-06, 1.0))


def test_parse_values_in_question_ignore_traceback_line_numbers() -> None:
    p = parse(PYTHON_TB + "\nmy dW = [[0.5, 0.25]]")
    assert p.numbers == [0.5, 0.25]


def test_shapes_finds_tuples() -> None:
    assert shapes("expected (5, 10) got (10,)") == [(5, 10), (10,)]


def test_parse_handles_binary_garbage_without_crashing() -> None:
    p = parse("\x00\x01\x02 ÿþ" * 100)
    assert p.exception_type is None
