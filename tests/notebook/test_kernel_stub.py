"""The extension in a real kernel (nbclient + ipykernel) against a stand-in ask server.

The end-to-end version against the real server and index is ``test_kernel.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.notebook.conftest import StubAskServer, closed_port_url
from tests.notebook.kernel import (
    CHECK_CELL,
    RNN_CELL,
    errors,
    html_outputs,
    run_notebook,
    stream_text,
)

pytestmark = pytest.mark.nodb

LOAD = "%load_ext assistant.notebook"


def test_failing_cell_shows_traceback_then_panel(stub_ask: StubAskServer, tmp_path: Path) -> None:
    nb = run_notebook(
        [LOAD, RNN_CELL, "print('still alive')"],
        {"CHECKFIRST_URL": stub_ask.url, "CHECKFIRST_COURSE": "dl"},
        tmp_path,
    )
    cell = nb.cells[1]
    [error] = errors(cell)
    assert error["ename"] == "AssertionError"
    assert error["evalue"] == "Wrong values in a_next"
    assert any("rnn_cell_forward" in line for line in error["traceback"])
    kinds = [o["output_type"] for o in cell.outputs]
    assert kinds.index("error") < kinds.index("display_data")
    [panel] = html_outputs(cell)
    assert "rnn_cell_forward: expected a_next values are wrong in v2" in panel
    assert f'href="{stub_ask.url}/errata/7"' in panel
    sent = stub_ask.requests[0]["body"]
    assert sent["question"] == "AssertionError: Wrong values in a_next"
    assert sent["course"] == "dl"
    assert "in rnn_cell_forward" in sent["traceback"]
    assert stream_text(nb.cells[2]) == "still alive\n"


def test_server_down_cell_fails_normally_with_one_line_notice(tmp_path: Path) -> None:
    nb = run_notebook(
        [LOAD, RNN_CELL, "print('still alive')"], {"CHECKFIRST_URL": closed_port_url()}, tmp_path
    )
    cell = nb.cells[1]
    assert errors(cell)[0]["evalue"] == "Wrong values in a_next"
    assert html_outputs(cell) == []
    notice = stream_text(cell)
    assert notice.startswith("Checkfirst: couldn't reach the help server (")
    assert notice.count("\n") == 1
    assert stream_text(nb.cells[2]) == "still alive\n"


def test_checkfirst_cell_magic_asks_with_captured_output(
    stub_ask: StubAskServer, tmp_path: Path
) -> None:
    nb = run_notebook(
        [LOAD, "%%checkfirst\n" + CHECK_CELL, "%%checkfirst\nprint('All tests passed')"],
        {"CHECKFIRST_URL": stub_ask.url},
        tmp_path,
    )
    checked = nb.cells[1]
    assert "Error: Wrong values in a_next" in stream_text(checked)
    [panel] = html_outputs(checked)
    assert "Known erratum" in panel
    [request] = stub_ask.requests
    assert request["body"]["question"].startswith("Error: Wrong values in a_next")
    assert "a[4][1] = [-0.99999375" in request["body"]["output"]
    assert html_outputs(nb.cells[2]) == []


def test_config_magic_and_notebook_files_set_context(
    stub_ask: StubAskServer, tmp_path: Path
) -> None:
    (tmp_path / ".checkfirst.json").write_text(json.dumps({"course": "dl", "version": "2"}))
    nb = run_notebook(
        [
            LOAD,
            "%checkfirst_config assignment=rnn version=3a",
            "%ask why is my a_next wrong?",
        ],
        {"CHECKFIRST_URL": stub_ask.url, "CHECKFIRST_TOKEN": "cfw_example"},
        tmp_path,
    )
    assert "notebook_version=3a" in stream_text(nb.cells[1])
    assert "Known erratum" in html_outputs(nb.cells[2])[0]
    request = stub_ask.requests[0]
    assert request["auth"] == "Bearer cfw_example"
    assert request["body"] == {
        "question": "why is my a_next wrong?",
        "course": "dl",
        "assignment": "rnn",
        "notebook_version": "3a",
    }


def test_syntax_error_shows_normally_without_asking(
    stub_ask: StubAskServer, tmp_path: Path
) -> None:
    nb = run_notebook(
        [LOAD, "def broken(:\n    pass", "print(1 + 1)"], {"CHECKFIRST_URL": stub_ask.url}, tmp_path
    )
    assert errors(nb.cells[1])[0]["ename"] == "SyntaxError"
    assert html_outputs(nb.cells[1]) == []
    assert stub_ask.requests == []
    assert stream_text(nb.cells[2]) == "2\n"


def test_checkfirst_cell_that_raises_sends_its_output_too(
    stub_ask: StubAskServer, tmp_path: Path
) -> None:
    cell = (
        "%%checkfirst\nprint('a_next[4] =', [0.5, 0.2])\nraise ValueError('shapes (5,10) and (3,)')"
    )
    nb = run_notebook([LOAD, cell], {"CHECKFIRST_URL": stub_ask.url}, tmp_path)
    assert errors(nb.cells[1])[0]["ename"] == "ValueError"
    assert len(html_outputs(nb.cells[1])) == 1
    [request] = stub_ask.requests
    assert request["body"]["question"] == "ValueError: shapes (5,10) and (3,)"
    assert request["body"]["output"] == "a_next[4] = [0.5, 0.2]\n"
