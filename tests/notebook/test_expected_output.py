"""Issue #18 from notebooks: a failing cell's ask carries the notebook's expected output.

The kernel test runs a real notebook on a real kernel against uvicorn on loopback (no index
needed: the failing check is kept whatever the answer) and reads the kept checks back from the
database. The extraction tests read markdown cells as course notebooks write them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from checkfirst_notebook.expected import (
    FromMessage,
    expected_after_cell,
    expected_from_markdown,
    from_message,
)
from nbclient import NotebookClient
from sqlmodel import Session, col, select

from assistant.checks import FailingCheck, with_stated_values
from assistant.schemas import AskRequest
from forum.models import Assignment, Course
from tests.notebook.kernel import ROOT, html_outputs, stream_text

HTML_TABLE = """\
**Expected Output**:

<table>
    <tr>
        <td>**c_next[2]**:</td>
        <td>[ 0.63267805  0.85487948 -0.56917416  0.73562493 -0.18776225]</td>
    </tr>
    <tr>
        <td>**c_next.shape**:</td>
        <td>(5, 10)</td>
    </tr>
</table>
"""

CODE_BLOCK = """\
### Expected output

```
cost = 0.6931471805599453
dW = [[ 0.01  -0.02]]
```

Your cost may differ in the last digits.
"""

MARKDOWN_TABLE = """\
**Expected output**

| **variable** | **value** |
|---|---|
| `cost` | 0.693 |
| dW | [[0.01, -0.02]] |
"""

FUNCTION_CELL = """\
def lstm_c_next(x):
    return [round(v * 0.5, 8) for v in x]
"""

# The learner's output differs from the "Expected output" cell after it.
CHECKED_CELL = """\
%%checkfirst
print("c_next[2] =", lstm_c_next([0.64647994, 1.70975896, -1.13834832, 1.47124986, -0.3755245]))
print("Wrong values in c_next")
"""


# Reading "Expected output" cells


@pytest.mark.nodb
def test_expected_output_from_html_table_names_each_value() -> None:
    assert expected_from_markdown(HTML_TABLE) == (
        "c_next[2] = [ 0.63267805 0.85487948 -0.56917416 0.73562493 -0.18776225]\n"
        "c_next.shape = (5, 10)"
    )


@pytest.mark.nodb
def test_expected_output_from_code_block_is_verbatim() -> None:
    assert expected_from_markdown(CODE_BLOCK) == "cost = 0.6931471805599453\ndW = [[ 0.01  -0.02]]"


@pytest.mark.nodb
def test_expected_output_from_markdown_table_skips_header_row() -> None:
    assert expected_from_markdown(MARKDOWN_TABLE) == "cost = 0.693\ndW = [[0.01, -0.02]]"


@pytest.mark.nodb
def test_markdown_without_expected_output_heading_gives_nothing() -> None:
    assert expected_from_markdown("Now implement `lstm_forward`.\n\n```\nx = 1\n```") == ""


@pytest.mark.nodb
def test_expected_output_is_the_one_after_the_running_cell() -> None:
    cells = [
        {"cell_type": "code", "source": FUNCTION_CELL},
        {"cell_type": "markdown", "source": "Now run the check."},
        {"cell_type": "code", "source": CHECKED_CELL.splitlines(keepends=True)},
        {"cell_type": "markdown", "source": "A note first."},
        {"cell_type": "markdown", "source": HTML_TABLE},
        {"cell_type": "code", "source": "other_test()"},
        {"cell_type": "markdown", "source": CODE_BLOCK},
    ]
    body = CHECKED_CELL.split("\n", 1)[1]  # what %%checkfirst runs
    assert expected_after_cell(cells, body).startswith("c_next[2] = [ 0.63267805")
    # A cell with no "Expected output" before the next code cell has none (not a later one's).
    assert expected_after_cell(cells, FUNCTION_CELL) == ""
    # An edited cell not saved yet is not found.
    assert expected_after_cell(cells, "print('unsaved')") == ""


@pytest.mark.nodb
def test_test_messages_give_expected_and_actual_values() -> None:
    assert from_message("AssertionError: Expected 0.25 but got 0.5") == FromMessage("0.25", "0.5")
    assert from_message("Wrong output for a_next. Expected: [1 2]. Got: [1 3].") == FromMessage(
        "[1 2]", "[1 3]"
    )
    assert from_message("Expected: [0.5, 0.2]\nGot: [0.1, 0.3]") == FromMessage(
        "[0.5, 0.2]", "[0.1, 0.3]"
    )
    assert from_message("Wrong output. expected: (5, 10)") == FromMessage("(5, 10)", "")
    assert from_message("\x1b[91mExpected 3 but got 4\x1b[0m") == FromMessage("3", "4")
    # Words are not a value.
    assert from_message("Error: Wrong values in a_next. Expected output does not match.") is None


@pytest.mark.nodb
def test_server_reads_both_values_only_when_no_expected_output_was_sent() -> None:
    ask = AskRequest(question="cost is wrong", output="Wrong output. Expected 0.693, got 0.7")
    stated = with_stated_values(ask)
    assert (stated.expected, stated.output) == ("0.693", "0.7")
    # What the client sent wins; an output with no stated value is left as it is.
    sent = ask.model_copy(update={"expected": "cost = 0.693"})
    assert with_stated_values(sent) == sent
    plain = AskRequest(question="cost is wrong", output="cost = 0.7\nExpected output differs")
    assert with_stated_values(plain) == plain


# A real kernel against the real server


def _run(cells: list[nbformat.NotebookNode], env: dict[str, str], workdir: Path) -> Any:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    path = workdir / "lstm.ipynb"
    # Saved first, as Jupyter saves it: the kernel reads the expected output from the file.
    nbformat.write(notebook, path)
    kernel_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "JPY_SESSION_NAME": str(path),
        **env,
    }
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=kernel_env, cwd=str(workdir))
    return notebook


def test_notebook_failure_is_kept_with_the_notebooks_expected_output(
    live_server: Any, session: Session, make_user: Any, token_for: Any, tmp_path: Path
) -> None:
    course = Course(slug="dl-seq", title="Sequence Models")
    session.add(course)
    session.commit()
    session.add(Assignment(course_id=course.id, slug="lstm", title="LSTM", notebook_version="4"))
    session.commit()
    learner = make_user("learner_expected")
    token = token_for(learner)["Authorization"].removeprefix("Bearer ")

    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    cells = [
        code("%load_ext checkfirst_notebook"),
        code(FUNCTION_CELL),
        code(CHECKED_CELL),
        md(HTML_TABLE),
        # No "Expected output" cell: the test's message states both values.
        code('r = lstm_c_next([0.5])\nassert r == [0.3], f"Expected [0.3] but got {r}"'),
        code("%%checkfirst\nprint('Wrong output for cost. Expected 0.693 but got 0.7')"),
        # A checked cell whose test raises: its printed output and the code block after it.
        code('%%checkfirst\nprint("cost =", 0.7)\nassert False, "Wrong output for cost"'),
        md(CODE_BLOCK),
    ]
    env = {
        "CHECKFIRST_URL": live_server.url,
        "CHECKFIRST_TOKEN": token,
        "CHECKFIRST_COURSE": "dl-seq",
        "CHECKFIRST_ASSIGNMENT": "lstm",
        "CHECKFIRST_TIMEOUT": "30",
    }
    nb = _run(cells, env, tmp_path)

    # The learner sees their output and the panel, as before.
    checked = nb.cells[2]
    assert "Wrong values in c_next" in stream_text(checked)
    assert len(html_outputs(checked)) == 1, stream_text(checked)

    session.expire_all()
    kept = list(session.exec(select(FailingCheck).order_by(col(FailingCheck.id))).all())
    assert len(kept) == 4, [(c.actual_output, c.expected_output) for c in kept]
    from_cell, from_exception, from_output, raised_in_checked_cell = kept
    assert from_cell.user_id == learner.id
    assert from_cell.notebook_version == "4"
    assert from_cell.location == "c_next"
    assert from_cell.expected_output == (
        "c_next[2] = [ 0.63267805 0.85487948 -0.56917416 0.73562493 -0.18776225]\n"
        "c_next.shape = (5, 10)"
    )
    assert from_cell.actual_output.startswith("c_next[2] = [0.32323997, 0.85487948,")
    assert from_cell.parseable and not from_cell.matches_expected
    # An exception's message: the client sends both values.
    assert (from_exception.expected_output, from_exception.actual_output) == (
        "[0.3]",
        "[0.25]",
    )
    # Printed output stating both values: the server reads them.
    assert (from_output.expected_output, from_output.actual_output) == ("0.693", "0.7")
    assert raised_in_checked_cell.expected_output == (
        "cost = 0.6931471805599453\ndW = [[ 0.01  -0.02]]"
    )
    assert raised_in_checked_cell.actual_output == "cost = 0.7\n"
