"""Issue #15: known errata when the notebook opens, on a real kernel against the real server.

uvicorn on loopback (no index needed: the known-errata read is a database query); the database
holds, for dl/rnn, a verified erratum of version 2, one fixed in version 3, and one whose title
carries a script tag; dl/lstm has none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.notebook.conftest import closed_port_url
from tests.notebook.kernel import html_outputs, outputs, run_notebook, stream_text

LOAD = "%load_ext checkfirst_notebook"
VERIFIED = "rnn_cell_forward: expected a_next values are wrong in notebook version 2"
FIXED = "rnn_forward_test compares with the old seed"
HOSTILE = "<script>alert('x')</script> rnn_backward gradient check"


@pytest.fixture()
def banner_errata(session: Session, make_user: Any) -> dict[str, Any]:
    from errata import service
    from errata.models import ErratumStatus as S
    from errata.schemas import ErratumCreate
    from forum.models import Assignment, Course

    course = Course(slug="dl", title="Deep Learning")
    session.add(course)
    session.commit()
    session.add_all(
        [
            Assignment(course_id=course.id, slug="rnn", title="RNN", notebook_version="3"),
            Assignment(course_id=course.id, slug="lstm", title="LSTM"),
        ]
    )
    session.commit()
    learner, moderator = make_user("learner_b"), make_user("mod_b", "moderator")

    def verified(title: str, **fields: Any) -> Any:
        e = service.report(
            session=session,
            user=learner,
            data=ErratumCreate(course="dl", assignment="rnn", title=title, **fields),
        )
        return service.transition(
            session=session, user=moderator, erratum_id=e.id, to_status=S.verified, reason="Yes."
        )

    first = verified(
        VERIFIED,
        location="rnn_cell_forward",
        affected_versions="2",
        workaround="Ignore the check; compare with the corrected values in the erratum.",
    )
    fixed = verified(FIXED, location="rnn_forward_test", affected_versions="2")
    service.transition(
        session=session,
        user=moderator,
        erratum_id=fixed.id,
        to_status=S.fixed,
        fixed_in="3",
        reason="New seed.",
    )
    verified(HOSTILE, location="rnn_backward", affected_versions="2")
    return {"verified": first, "fixed": fixed}


def _banner(cell: Any) -> str:
    [html] = html_outputs(cell)
    assert 'class="checkfirst-banner"' in html
    return html


def test_banner_lists_errata_of_the_notebooks_version(
    live_server: Any, banner_errata: dict[str, Any], tmp_path: Path
) -> None:
    # The context comes from the notebook's own metadata, as Jupyter Server tells the kernel.
    nb = run_notebook(
        [LOAD, "print('next cell ran')", "%reload_ext checkfirst_notebook", "%checkfirst_errata"],
        {
            "CHECKFIRST_URL": live_server.url,
            "JPY_SESSION_NAME": str(tmp_path / "assignment.ipynb"),
        },
        tmp_path,
        metadata={"checkfirst": {"course": "dl", "assignment": "rnn", "version": "2"}},
    )
    banner = _banner(nb.cells[0])
    assert "3 known errata in rnn v2" in banner
    assert VERIFIED in banner
    assert "<code>rnn_cell_forward</code>" in banner
    assert "Ignore the check; compare with the corrected values in the erratum." in banner
    assert f'href="{live_server.url}/errata/{banner_errata["verified"].id}"' in banner
    # Version 2 still has the fixed mistake: the banner says which version fixes it.
    assert FIXED in banner
    assert "Fixed in version 3: get the new notebook for the fix." in banner
    # A title with markup is shown as text.
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; rnn_backward" in banner
    assert "<script" not in banner
    assert stream_text(nb.cells[0]) == ""
    assert stream_text(nb.cells[1]) == "next cell ran\n"
    # Once per kernel: reloading the extension shows nothing; the magic lists them on demand.
    assert outputs(nb.cells[2]) == []
    assert VERIFIED in _banner(nb.cells[3])


def test_banner_says_fixed_in_when_the_version_has_the_fix(
    live_server: Any, banner_errata: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / ".checkfirst.json").write_text(
        json.dumps({"course": "dl", "assignment": "rnn", "version": "3"})
    )
    nb = run_notebook([LOAD], {"CHECKFIRST_URL": live_server.url}, tmp_path)
    banner = _banner(nb.cells[0])
    assert "known errata of rnn v3 are fixed in your version" in banner
    assert FIXED in banner
    assert "Fixed in version 3: your version has the fix." in banner
    assert VERIFIED not in banner


def test_no_errata_no_banner(
    live_server: Any, banner_errata: dict[str, Any], tmp_path: Path
) -> None:
    env = {
        "CHECKFIRST_URL": live_server.url,
        "CHECKFIRST_COURSE": "dl",
        "CHECKFIRST_ASSIGNMENT": "lstm",
        "CHECKFIRST_NOTEBOOK_VERSION": "1",
    }
    nb = run_notebook([LOAD, "%checkfirst_errata"], env, tmp_path)
    assert outputs(nb.cells[0]) == []
    assert stream_text(nb.cells[1]) == "Checkfirst: No known errata for lstm v1.\n"


@pytest.mark.nodb
def test_server_down_one_quiet_line_on_load(tmp_path: Path) -> None:
    env = {
        "CHECKFIRST_URL": closed_port_url(),
        "CHECKFIRST_COURSE": "dl",
        "CHECKFIRST_ASSIGNMENT": "rnn",
        "CHECKFIRST_NOTEBOOK_VERSION": "2",
    }
    nb = run_notebook([LOAD, "print('next cell ran')"], env, tmp_path)
    assert html_outputs(nb.cells[0]) == []
    line = stream_text(nb.cells[0])
    # The reason is the refused connection, or the 1.5 s bound when a loaded machine (two suites
    # on two cores) does not schedule the request's thread in time: either way, one line.
    assert re.match(
        r"Checkfirst: couldn't check the known errata \((ConnectError|no answer within 1\.5 s)\)",
        line,
    ), line
    assert line.count("\n") == 1
    assert stream_text(nb.cells[1]) == "next cell ran\n"
