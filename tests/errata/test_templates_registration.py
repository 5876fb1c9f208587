"""Template globals come from the app factory, not from importing a module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.nodb
def test_importing_errata_views_installs_nothing_until_the_app_registers_it() -> None:
    code = (
        "from core.templating import context_processors, templates\n"
        "import errata.views as v\n"
        "assert 'known_errata' not in templates.env.globals, 'import-time global'\n"
        "assert not context_processors, 'import-time context processor'\n"
        "v.register_templates(); v.register_templates()\n"
        "assert templates.env.globals['known_errata'] is v.known_errata_for_banner\n"
        "assert context_processors.count(v._header_context) == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
