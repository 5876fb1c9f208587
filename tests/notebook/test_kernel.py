"""End to end: a real notebook on a real kernel asks the real server, which searches its index.

The server is uvicorn on loopback with the index enabled; the database holds a verified erratum
about ``rnn_cell_forward``; the notebook's cell reproduces it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.notebook.conftest import ERRATUM_TITLE, start_help_server
from tests.notebook.kernel import (
    CHECK_CELL,
    RNN_CELL,
    errors,
    html_outputs,
    run_notebook,
    stream_text,
)

pytestmark = pytest.mark.model

LOAD = "%load_ext assistant.notebook"


def test_failing_cell_shows_erratum_panel_then_notice_when_server_stops(
    test_env: dict[str, str], known_erratum: dict[str, Any], tmp_path: Path
) -> None:
    server = start_help_server(test_env, tmp_path / "server")
    work = tmp_path / "notebook"
    work.mkdir()
    # The learner's kernel has the server's URL and nothing else: anonymous asking.
    env = {"CHECKFIRST_URL": server.url, "CHECKFIRST_TIMEOUT": "30"}
    cells = [LOAD, "%checkfirst_config course=dl assignment=rnn", RNN_CELL]
    cells.append("%%checkfirst\n" + CHECK_CELL)
    try:
        nb = run_notebook(cells, env, work)
    finally:
        server.stop()

    failing = nb.cells[2]
    [error] = errors(failing)
    assert error["ename"] == "AssertionError"
    assert error["evalue"] == "Wrong values in a_next"
    [panel] = html_outputs(failing)
    assert ERRATUM_TITLE in panel
    assert f'href="{server.url}/errata/{known_erratum["erratum_id"]}' in panel
    assert ">verified</span>" in panel

    checked = nb.cells[3]
    assert "Error: Wrong values in a_next" in stream_text(checked)
    [panel] = html_outputs(checked)
    assert ERRATUM_TITLE in panel

    # The same notebook with the server stopped: the error still shows, one quiet line follows,
    # and the kernel goes on to the next cell.
    nb = run_notebook([LOAD, RNN_CELL, "print('next cell ran')"], env, work)
    failing = nb.cells[1]
    assert errors(failing)[0]["evalue"] == "Wrong values in a_next"
    assert html_outputs(failing) == []
    notice = stream_text(failing)
    assert notice.startswith("Checkfirst: couldn't reach the help server (")
    assert notice.endswith("your error is shown above.\n")
    assert stream_text(nb.cells[2]) == "next cell ran\n"
