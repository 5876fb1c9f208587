"""Run a real notebook on a real kernel (nbclient + ipykernel) with a chosen environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

# A function named like the erratum's location that fails the way the notebook's check does.
RNN_CELL = """\
import numpy as np

def rnn_cell_forward(xt, a_prev):
    a_next = np.tanh(xt + a_prev)
    expected = np.array([0.5, 0.2])
    assert np.allclose(a_next, expected), "Wrong values in a_next"
    return a_next

rnn_cell_forward(np.array([0.1, 0.2]), np.array([0.3, 0.4]))
"""

CHECK_CELL = """\
def rnn_forward_test(target):
    print("a[4][1] = [-0.99999375  0.77911235 -0.99861469 -0.99833267]")
    print("Error: Wrong values in a_next. Expected output does not match.")
    print("0 Tests passed\\n1 Tests failed")

rnn_forward_test(None)
"""


def run_notebook(
    cells: list[str],
    env: dict[str, str],
    workdir: Path,
    metadata: dict[str, Any] | None = None,
    timeout: int = 120,
) -> nbformat.NotebookNode:
    """Execute ``cells`` in order (errors allowed, like a learner running every cell)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    if metadata:
        notebook.metadata.update(metadata)
    path = workdir / "assignment.ipynb"
    nbformat.write(notebook, path)
    kernel_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **env,
    }
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=kernel_env, cwd=str(workdir))
    return notebook


def outputs(cell: Any) -> list[dict[str, Any]]:
    return list(cell.get("outputs", []))


def errors(cell: Any) -> list[dict[str, Any]]:
    return [o for o in outputs(cell) if o.get("output_type") == "error"]


def html_outputs(cell: Any) -> list[str]:
    return [
        o["data"]["text/html"]
        for o in outputs(cell)
        if o.get("output_type") in ("display_data", "execute_result") and "text/html" in o["data"]
    ]


def stream_text(cell: Any) -> str:
    return "".join(o.get("text", "") for o in outputs(cell) if o.get("output_type") == "stream")
