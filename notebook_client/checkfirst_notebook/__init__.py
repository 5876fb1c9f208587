"""Checkfirst in the notebook: an IPython extension that checks the errata before and after a
failure.

Load it with ``%load_ext checkfirst_notebook``. On load, a compact banner lists the verified
errata of this notebook's assignment and version (nothing when there are none). When a cell
raises, the normal traceback is shown and, right under it, a compact panel with the best
matching errata and answers from the Checkfirst server. ``%%checkfirst`` runs a cell, captures
what it prints and asks when the output looks like a failed check; ``%ask …`` asks a free
question; ``%checkfirst_errata`` lists the known errata; ``%checkfirst_config`` shows or sets the
configuration.

This package imports only the standard library, httpx and IPython (never torch, never the
server's packages), so it installs fast into a learner's kernel: ``pip install
checkfirst-notebook``.

Configuration, later sources override earlier ones, key by key:

1. environment variables ``CHECKFIRST_URL``, ``CHECKFIRST_TOKEN``, ``CHECKFIRST_COURSE``,
   ``CHECKFIRST_ASSIGNMENT``, ``CHECKFIRST_NOTEBOOK_VERSION``, ``CHECKFIRST_TIMEOUT``;
2. a ``.checkfirst.json`` file in the kernel's working directory (the notebook's folder);
3. the notebook's own metadata, key ``checkfirst``, when the kernel can find the notebook file
   (Jupyter Server >= 2 tells it through ``JPY_SESSION_NAME``; VS Code through
   ``__vsc_ipynb_file__``); the kernel is never sent notebook metadata otherwise;
4. ``%checkfirst_config course=… assignment=… version=…`` in the notebook itself.

A token is only ever sent to the URL set by the same source (a shared notebook's metadata or
config file can't redirect the learner's ``CHECKFIRST_TOKEN`` elsewhere), and never over plain
``http://`` except to this machine (loopback); when a token is held back, one line says why.
The known-errata lookup is a public read and sends no token.
"""

from __future__ import annotations

from checkfirst_notebook.banner import render_banner, render_banner_text
from checkfirst_notebook.config import (
    ALIASES,
    CONFIG_FILE,
    DEFAULT_TIMEOUT,
    METADATA_KEY,
    SOURCE_ENV,
    SOURCE_MAGIC,
    SOURCE_METADATA,
    Config,
    config_from_env,
    load_config,
    notebook_path,
    sendable_token,
)
from checkfirst_notebook.extension import (
    FAILURE_MARKERS,
    NOT_FAILURE,
    Checkfirst,
    CheckfirstMagics,
    failure_lines,
    format_traceback,
    keep_question_marks,
    known_errata_notice,
    load_ipython_extension,
    question_from_exception,
    unload_ipython_extension,
)
from checkfirst_notebook.panel import (
    MAX_SOURCES,
    VERDICT_LINES,
    plain_markdown,
    render_panel,
    render_text,
    safe_link,
    summary_line,
    verdict_line,
)
from checkfirst_notebook.transport import (
    ASK_PATH,
    KNOWN_ERRATA_TIMEOUT,
    MAX_FIELD_CHARS,
    LookupFailed,
    ask,
    known_errata,
    known_errata_url,
    notice,
)

__version__ = "0.1.0"

__all__ = [
    "ALIASES",
    "ASK_PATH",
    "CONFIG_FILE",
    "DEFAULT_TIMEOUT",
    "FAILURE_MARKERS",
    "KNOWN_ERRATA_TIMEOUT",
    "MAX_FIELD_CHARS",
    "MAX_SOURCES",
    "METADATA_KEY",
    "NOT_FAILURE",
    "SOURCE_ENV",
    "SOURCE_MAGIC",
    "SOURCE_METADATA",
    "VERDICT_LINES",
    "Checkfirst",
    "CheckfirstMagics",
    "Config",
    "LookupFailed",
    "ask",
    "config_from_env",
    "failure_lines",
    "format_traceback",
    "keep_question_marks",
    "known_errata",
    "known_errata_notice",
    "known_errata_url",
    "load_config",
    "load_ipython_extension",
    "notebook_path",
    "notice",
    "plain_markdown",
    "question_from_exception",
    "render_banner",
    "render_banner_text",
    "render_panel",
    "render_text",
    "safe_link",
    "sendable_token",
    "summary_line",
    "unload_ipython_extension",
    "verdict_line",
]
