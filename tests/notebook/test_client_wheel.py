"""The learner's client is its own tiny distribution: a wheel needing only httpx and IPython."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.notebook.conftest import StubAskServer
from tests.notebook.kernel import RNN_CELL, errors, html_outputs, run_notebook, stream_text

pytestmark = pytest.mark.nodb


def test_client_wheel_depends_only_on_httpx_and_ipython(client_wheel: Path) -> None:
    with zipfile.ZipFile(client_wheel) as wheel:
        names = wheel.namelist()
        [meta_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(wheel.read(meta_name).decode())
    assert meta["Name"] == "checkfirst-notebook"
    requires = [re.split(r"[<>=!~; \[]", r)[0].lower() for r in meta.get_all("Requires-Dist")]
    assert sorted(requires) == ["httpx", "ipython"]
    # Only the client's own package is inside: nothing of the server.
    assert {n.split("/")[0] for n in names} == {
        "checkfirst_notebook",
        meta_name.split("/")[0],
    }


def test_client_wheel_alone_works_as_an_extension(
    client_wheel: Path, stub_ask: StubAskServer, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(client_wheel) as wheel:
        wheel.extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    # The wheel's files first on the path, and not the repository: what a learner's kernel has.
    nb = run_notebook(
        [
            "%load_ext checkfirst_notebook",
            RNN_CELL,
            "import checkfirst_notebook, sys\n"
            "print(checkfirst_notebook.__file__)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('core', 'users', 'index', 'forum', 'errata', 'assistant', 'app', 'torch')))",
        ],
        {"CHECKFIRST_URL": stub_ask.url, "PYTHONPATH": str(site)},
        work,
    )
    assert errors(nb.cells[1])[0]["evalue"] == "Wrong values in a_next"
    assert "Known erratum" in html_outputs(nb.cells[1])[0]
    where, loaded = stream_text(nb.cells[2]).splitlines()
    assert where.startswith(str(site))
    assert loaded == "[]"


def test_checkfirst_notebook_imports_no_server_or_torch_modules() -> None:
    code = (
        "import sys, checkfirst_notebook\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'core', 'users', 'app', 'index', 'forum', 'errata', 'assistant',"
        " 'sentence_transformers', 'fastapi', 'sqlmodel')]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_old_extension_name_is_the_same_module() -> None:
    import checkfirst_notebook

    import assistant.notebook

    assert assistant.notebook is checkfirst_notebook
