"""Make docs/notebook-panel.png and docs/widget.png from the real thing.

Runs a throwaway Checkfirst (SQLite in a temp dir, index enabled) on loopback, seeds a verified
erratum, executes a notebook on a real kernel with ``%load_ext assistant.notebook``, renders the
failing cell's outputs in Debian's chromium, then opens a course page on another origin that
embeds the widget and asks a question.

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="checkfirst-shots-"))
    env = {
        "CHECKFIRST_ENV": "test",
        "CHECKFIRST_DATA_DIR": str(tmp / "var"),
        "CHECKFIRST_DATABASE_URL": f"sqlite:///{tmp / 'shots.db'}",
        "CHECKFIRST_SECRET_KEY": secrets.token_urlsafe(40),
        "CHECKFIRST_INDEX_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    (tmp / "var").mkdir()

    from core.auth import create_api_token, create_user
    from core.migrate import upgrade
    from core.models import Role, TokenScope, UserCreate
    from sqlmodel import Session

    from core.db import get_engine
    from forum import service as forum_service
    from forum.models import Assignment
    from tests.notebook.conftest import (
        CHROMIUM_ARGS,
        StaticSite,
        host_page,
        seed_known_erratum,
        start_help_server,
    )
    from tests.notebook.kernel import RNN_CELL, run_notebook

    upgrade()
    with Session(get_engine(), expire_on_commit=False) as session:

        def user(name: str, role: Role = Role.learner):  # type: ignore[no-untyped-def]
            body = UserCreate(username=name, password="correct horse 1", display_name=name)
            return create_user(session=session, user_create=body, role=role)

        instructor, learner = user("prof_ng", Role.moderator), user("ada")
        seeded = seed_known_erratum(session, instructor=instructor, learner=learner)
        assignment = session.get(Assignment, 1)
        forum_service.create_thread(
            session=session,
            user=user("grace"),
            course=forum_service.get_course(session=session, slug="dl"),
            assignment=assignment,
            title="rnn_cell_forward test says Wrong values in a_next but my formula matches",
            body="I use tanh(Wax x + Waa a_prev + ba) exactly as written, still the check fails.",
        )
        _, token = create_api_token(
            session=session, user=seeded["learner"], name="course page", scope=TokenScope.widget
        )

    site_root = tmp / "site"
    site_root.mkdir()
    with StaticSite(site_root) as site:
        server = start_help_server(
            env, tmp / "server-var", {"CHECKFIRST_CORS_ORIGINS": json.dumps([site.origin])}
        )
        try:
            work = tmp / "nb"
            work.mkdir()
            cells = ["%load_ext assistant.notebook", RNN_CELL]
            nb = run_notebook(
                cells,
                {
                    "CHECKFIRST_URL": server.url,
                    "CHECKFIRST_COURSE": "dl",
                    "CHECKFIRST_ASSIGNMENT": "rnn",
                    "CHECKFIRST_TIMEOUT": "30",
                },
                work,
            )
            (site_root / "notebook.html").write_text(notebook_page(cells[1], nb.cells[1]))
            (site_root / "index.html").write_text(host_page(server.url, token))
            shoot(site.origin, CHROMIUM_ARGS)
        finally:
            server.stop()
    print("wrote", DOCS / "notebook-panel.png", "and", DOCS / "widget.png")


def notebook_page(source: str, cell: dict) -> str:  # type: ignore[type-arg]
    """A Jupyter-like rendering of one executed cell: input, traceback, then the panel."""
    parts = []
    for out in cell["outputs"]:
        kind = out["output_type"]
        if kind == "error":
            text = ANSI.sub("", "\n".join(out["traceback"]))
            parts.append(f'<pre class="err">{html.escape(text)}</pre>')
        elif kind == "display_data" and "text/html" in out["data"]:
            # The panel exactly as the kernel sent it (it escapes all server text itself).
            parts.append(out["data"]["text/html"])
        elif kind == "stream":
            parts.append(f"<pre>{html.escape(out['text'])}</pre>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>assignment.ipynb</title>
<style>
 body {{ margin: 0; background: #fff; font-family: system-ui, sans-serif; }}
 .cell {{ display: grid; grid-template-columns: 70px 1fr; gap: 6px; padding: 14px 18px; }}
 .prompt {{ color: #303f9f; font: 13px monospace; text-align: right; padding-top: 8px; }}
 .in {{ background: #f5f5f5; border: 1px solid #e0e0e0; border-radius: 2px; padding: 8px;
        font: 13px/1.4 monospace; white-space: pre; margin: 0; }}
 .out pre {{ font: 12.5px/1.35 monospace; margin: 4px 0; white-space: pre-wrap; }}
 .out pre.err {{ background: #fdd; padding: 6px 8px; }}
</style></head><body>
<div class="cell"><div class="prompt">In&nbsp;[2]:</div><pre class="in">{html.escape(source)}</pre>
<div></div><div class="out">{"".join(parts)}</div></div>
</body></html>"""


def shoot(origin: str, args: list[str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 980, "height": 700}, device_scale_factor=1)
        page.goto(origin + "/notebook.html")
        page.locator(".cell").screenshot(path=str(DOCS / "notebook-panel.png"))

        page = browser.new_page(viewport={"width": 1000, "height": 760})
        page.goto(origin + "/index.html")
        page.get_by_role("button", name="Stuck? Ask").click()
        page.get_by_label("Your question, error message or traceback").fill(
            "rnn_cell_forward_test fails: AssertionError: Wrong values in a_next"
        )
        page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.get_by_text("Known erratum")).to_be_visible(timeout=60_000)
        page.screenshot(path=str(DOCS / "widget.png"))
        browser.close()


def pages(base: str) -> None:
    """docs/ask.png, docs/search-no-results.png, docs/composer.png and docs/erratum.png from a
    running server with the demo loaded (``checkfirst demo`` then ``checkfirst serve``):

        .venv/bin/python docs/make_screenshots.py pages http://127.0.0.1:8000
    """
    from playwright.sync_api import expect, sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1100, "height": 820})
        page.goto(base + "/login?next=/")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", "checkfirst-demo")
        page.locator("form:has(input[name=password]) button").click()
        page.wait_for_url(base + "/")

        page.goto(base + "/ask")
        page.fill("#ask-question", "rnn_forward: AssertionError: Wrong values in a_next")
        page.keyboard.press("Control+Enter")
        expect(page.locator(".ask-answer .ask-full")).to_be_visible(timeout=60_000)
        page.locator(".ask-answer").scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / "ask.png"), full_page=True)

        page.goto(base + "/search?q=kubernetes+helm+chart+deployment")
        page.screenshot(path=str(DOCS / "search-no-results.png"))

        page.goto(base + "/threads/new")
        page.select_option("select[name=course]", value="sequence-models/rnn-step-by-step")
        page.fill(
            "input[name=title]", "lstm_forward: my a[4][3][6] differs from the expected output"
        )
        page.wait_for_timeout(3000)  # suggestions arrive while typing (debounced)
        page.screenshot(path=str(DOCS / "composer.png"))

        page.goto(base + "/errata/3")
        page.screenshot(path=str(DOCS / "erratum.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["pages"]:
        pages(sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8000")
    else:
        main()
