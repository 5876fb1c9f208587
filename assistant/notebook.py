"""Checkfirst in the notebook: an IPython extension that checks the errata when a cell fails.

Load it with ``%load_ext assistant.notebook``. When a cell raises, the normal traceback is shown
and, right under it, a compact panel with the best matching errata and answers from the
Checkfirst server. ``%%checkfirst`` runs a cell, captures what it prints and asks when the output
looks like a failed check; ``%ask …`` asks a free question; ``%checkfirst_config`` shows or sets
the configuration.

This file imports only the standard library, httpx and IPython (never torch, never the server's
packages), so it installs fast into a learner's kernel and can be copied on its own.

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
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import os
import re
import shlex
import sys
import threading
import traceback as tb_module
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

import httpx

ASK_PATH = "/api/v1/ask"
CONFIG_FILE = ".checkfirst.json"
METADATA_KEY = "checkfirst"
DEFAULT_TIMEOUT = 2.0
MAX_SOURCES = 3
# The server refuses longer fields (422); keep the end, where the exception is.
MAX_FIELD_CHARS = 19_000

# What a failed check prints, for %%checkfirst (matched line by line, case-insensitively).
FAILURE_MARKERS = re.compile(
    r"wrong values?|wrong output|error:|assertionerror|traceback \(most recent call last\)"
    r"|\bfailed\b|\bfail\b|expected output|tests? did not pass|incorrect",
    re.IGNORECASE,
)
# "0 tests failed" is a pass.
NOT_FAILURE = re.compile(r"\b0 (?:tests? )?failed\b|\bno (?:tests? )?failed\b", re.IGNORECASE)

VERDICT_LINES = {
    "known_erratum": "Known erratum: the notebook is wrong here, not necessarily your code.",
    "output_matches_correction": (
        "Your output matches the corrected expected output: your code is most likely right."
    ),
    "output_matches_published": "Your output matches the notebook's published expected output.",
    "rejected_report": "Reported before, but not an erratum: see the instructor's explanation.",
    "fixed_in_your_version": "A matching erratum is already fixed in your notebook version.",
    "unconfirmed_report": "Others reported this; an instructor has not confirmed it yet.",
    "answered_before": "Answered before on the forum.",
    "no_match": "No known erratum or answer matches this yet.",
}

# Config keys, as the magic and the JSON file spell them, mapped to Config fields.
ALIASES = {
    "url": "url",
    "token": "token",
    "course": "course",
    "assignment": "assignment",
    "version": "notebook_version",
    "notebook_version": "notebook_version",
    "timeout": "timeout",
}


@dataclass
class Config:
    """Where the help server is and what this notebook is."""

    url: str = ""
    token: str = ""
    course: str = ""
    assignment: str = ""
    notebook_version: str = ""
    timeout: float = DEFAULT_TIMEOUT
    # Which source set the url and the token ("" for values given to the constructor): a token
    # goes only to a url from its own source.
    url_source: str = field(default="", compare=False)
    token_source: str = field(default="", compare=False)

    def update(self, values: dict[str, Any], source: str = "") -> list[str]:
        """Apply known keys (aliases allowed), noting ``source`` for url and token; return the
        unknown keys."""
        unknown = []
        for key, value in values.items():
            name = ALIASES.get(str(key).strip().lower())
            if name is None:
                unknown.append(str(key))
                continue
            if value is None or value == "":
                continue
            if name == "timeout":
                try:
                    self.timeout = max(0.1, float(value))
                except (TypeError, ValueError):
                    unknown.append(str(key))
            else:
                setattr(self, name, str(value).strip())
                if name in ("url", "token"):
                    setattr(self, f"{name}_source", source)
        return unknown

    def context(self) -> dict[str, str]:
        """The course context to send with every ask."""
        pairs = {
            "course": self.course,
            "assignment": self.assignment,
            "notebook_version": self.notebook_version,
        }
        return {k: v for k, v in pairs.items() if v}

    def describe(self) -> str:
        shown = []
        for f in fields(self):
            if f.name.endswith("_source"):
                continue
            value = getattr(self, f.name)
            if f.name == "token" and value:
                value = value[:8] + "…"
            shown.append(f"{f.name}={value if value != '' else '(unset)'}")
        return "Checkfirst: " + ", ".join(shown)


SOURCE_ENV = "the environment"
SOURCE_METADATA = "the notebook's metadata"
SOURCE_MAGIC = "%checkfirst_config"


def config_from_env(env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    config = Config()
    config.update(
        {
            "url": env.get("CHECKFIRST_URL", ""),
            "token": env.get("CHECKFIRST_TOKEN", ""),
            "course": env.get("CHECKFIRST_COURSE", ""),
            "assignment": env.get("CHECKFIRST_ASSIGNMENT", ""),
            "version": env.get("CHECKFIRST_NOTEBOOK_VERSION", ""),
            "timeout": env.get("CHECKFIRST_TIMEOUT", ""),
        },
        SOURCE_ENV,
    )
    return config


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def notebook_path(user_ns: dict[str, Any] | None = None) -> Path | None:
    """The notebook file this kernel runs, when the front end tells the kernel (often it can't)."""
    candidates = []
    if user_ns and isinstance(user_ns.get("__vsc_ipynb_file__"), str):
        candidates.append(user_ns["__vsc_ipynb_file__"])
    session_name = os.environ.get("JPY_SESSION_NAME", "")
    if session_name:
        candidates.append(session_name)
    for candidate in candidates:
        path = Path(candidate)
        if path.suffix == ".ipynb" and path.is_file():
            return path
    return None


def load_config(cwd: Path | None = None, user_ns: dict[str, Any] | None = None) -> Config:
    """Environment, then ``.checkfirst.json``, then the notebook's ``checkfirst`` metadata."""
    config = config_from_env()
    folder = cwd or Path.cwd()
    config.update(_read_json(folder / CONFIG_FILE), str(folder / CONFIG_FILE))
    nb = notebook_path(user_ns)
    if nb is not None:
        if nb.parent.resolve() != folder.resolve():
            config.update(_read_json(nb.parent / CONFIG_FILE), str(nb.parent / CONFIG_FILE))
        meta = _read_json(nb).get("metadata", {})
        if isinstance(meta, dict) and isinstance(meta.get(METADATA_KEY), dict):
            config.update(meta[METADATA_KEY], SOURCE_METADATA)
    return config


def _loopback(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sendable_token(config: Config) -> tuple[str, str | None]:
    """The token to send to ``config.url``, or "" and the one line saying why it is held back."""
    if not config.token or not config.url:
        return config.token, None
    if config.token_source != config.url_source:
        return "", (
            f"Checkfirst: your token (from {config.token_source or 'settings'}) was not sent: the "
            f"server URL comes from {config.url_source or 'settings'}; set the URL and the token "
            "in the same place to sign in."
        )
    parts = urlsplit(config.url)
    if parts.scheme != "https" and not _loopback(parts.hostname or ""):
        return "", (
            f"Checkfirst: your token was not sent over plain http:// to {parts.hostname}; use "
            "an https:// URL to sign in (http is only trusted for this machine)."
        )
    return config.token, None


# Talking to the server


class LookupFailed(Exception):
    """The help server could not be asked; ``reason`` is a few words for the one-line notice."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _post_within(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
) -> httpx.Response:
    """POST with a bound on the whole exchange, not only on each read (httpx's timeouts are
    per phase, so a server that trickles bytes could otherwise hold the learner's cell)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["response"] = httpx.post(
                url, json=body, headers=headers, timeout=httpx.Timeout(timeout)
            )
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="checkfirst-ask", daemon=True)
    worker.start()
    worker.join(timeout + 0.25)
    if worker.is_alive():
        raise LookupFailed(f"no answer within {timeout:g} s")
    error = outcome.get("error")
    if isinstance(error, httpx.TimeoutException):
        raise LookupFailed(f"no answer within {timeout:g} s")
    if isinstance(error, httpx.HTTPError):
        raise LookupFailed(type(error).__name__)
    if error is not None:
        raise LookupFailed(f"unexpected {type(error).__name__}")
    response: httpx.Response = outcome["response"]
    return response


def ask(config: Config, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the question to the server's ask API within ``config.timeout`` seconds."""
    if not config.url:
        raise LookupFailed("CHECKFIRST_URL is not set")
    if urlsplit(config.url).scheme not in ("http", "https"):
        raise LookupFailed("CHECKFIRST_URL must start with http:// or https://")
    body = {k: v for k, v in {**config.context(), **payload}.items() if v}
    for key in ("question", "traceback", "output", "expected"):
        if isinstance(body.get(key), str) and len(body[key]) > MAX_FIELD_CHARS:
            body[key] = body[key][-MAX_FIELD_CHARS:]
    headers = {"Accept": "application/json"}
    token, _ = sendable_token(config)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = _post_within(config.url.rstrip("/") + ASK_PATH, body, headers, config.timeout)
    if response.status_code >= 400:
        detail = ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(response.json().get("detail", ""))
        raise LookupFailed(f"HTTP {response.status_code}" + (f": {detail[:120]}" if detail else ""))
    try:
        data = response.json()
    except ValueError:
        raise LookupFailed("the server's answer was not JSON") from None
    if not isinstance(data, dict):
        raise LookupFailed("the server's answer was not understood")
    return data


def notice(reason: str, after_error: bool = True) -> str:
    """The one quiet line shown when the lookup fails."""
    tail = "; your error is shown above." if after_error else ". Try again later."
    return f"Checkfirst: couldn't reach the help server ({reason}){tail}"


# Rendering the panel: all server text is escaped; only http(s) links are made.


def safe_link(href: Any, base: str) -> str | None:
    """An absolute http(s) URL for ``href`` (relative ones resolve against ``base``), else None."""
    if not isinstance(href, str) or not href.strip():
        return None
    absolute = urljoin(base.rstrip("/") + "/", href.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _text(value: Any, limit: int) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# The server escapes user text in answers with CommonMark backslash escapes ("\\[" for "[").
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_HIDDEN = 0xE000  # escaped characters are parked in the private-use area while marks go


def _hide_escapes(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(_HIDDEN + ord(m.group(1))), text)


def _restore(text: str) -> str:
    return "".join(chr(ord(c) - _HIDDEN) if _HIDDEN < ord(c) < _HIDDEN + 128 else c for c in text)


def plain_markdown(text: str) -> str:
    """Markdown as it reads, for text output: backslash escapes dropped."""
    return _ESCAPED.sub(r"\1", text)


def summary_line(answer: Any, limit: int = 220) -> str:
    """The answer's first paragraph as plain text, without Markdown marks or citation markers."""
    first = re.split(r"\n\s*\n", _hide_escapes(str(answer or "").strip()), maxsplit=1)[0]
    # A whitespace run is tried once, from its start (a bare "\s*" retried it from every
    # position: quadratic on a long run). This file stays stdlib-only, so no RE2 here.
    first = re.sub(r"(?:(?<!\s)\s+)?\[\d+\]", "", first)
    # Emphasis and code marks, but not the underscores inside identifiers like a_next.
    first = re.sub(r"\*\*|`|(?<!\w)__?|__?(?!\w)|^[#>\s]+", "", first)
    return _restore(_text(first, limit))


def _sources(result: dict[str, Any]) -> list[Any]:
    sources = result.get("sources")
    return sources if isinstance(sources, list) else []


def verdict_line(verdict: Any) -> str:
    key = str(verdict or "")
    return VERDICT_LINES.get(key, key.replace("_", " ").capitalize() or "Checkfirst answered.")


_STATUS_COLOURS = {
    "verified": "#1c7c43",
    "fixed": "#2457c5",
    "rejected": "#b3261e",
    "reported": "#a35a00",
    "duplicate": "#5f6b7a",
    "answered": "#1c7c43",
}


def render_panel(result: dict[str, Any], base_url: str, *, full_answer: bool = False) -> str:
    """The compact HTML panel for an ask result."""
    e = html.escape
    verdict = e(verdict_line(result.get("verdict")))
    answer = str(result.get("answer") or "")
    if full_answer:
        answer_html = "".join(
            f'<p style="margin:4px 0">{e(_text(plain_markdown(p), 2000))}</p>'
            for p in re.split(r"\n\s*\n", answer.strip())
            if p.strip()
        )
    else:
        line = summary_line(answer)
        answer_html = f'<div style="margin:2px 0 6px;color:#3b4452">{e(line)}</div>' if line else ""
    items = []
    sources = _sources(result)
    for source in sources[:MAX_SOURCES]:
        if not isinstance(source, dict):
            continue
        title = e(_text(source.get("title") or "Untitled", 160))
        status = _text(source.get("status"), 30)
        kind = _text(source.get("type"), 20)
        labels = [_text(x, 40) for x in source.get("labels") or [] if isinstance(x, str)]
        colour = _STATUS_COLOURS.get(status, "#5f6b7a")
        badge = (
            f'<span class="checkfirst-badge" style="display:inline-block;padding:0 6px;'
            f"border-radius:9px;font-size:11px;color:#fff;background:{colour};"
            f'margin-right:6px">{e(status)}</span>'
            if status
            else ""
        )
        link = safe_link(source.get("url"), base_url)
        if link:
            heading = (
                f'<a href="{e(link, quote=True)}" target="_blank" rel="noopener noreferrer" '
                f'style="color:#2457c5;font-weight:600">{title}</a>'
            )
        else:
            heading = f'<span style="font-weight:600">{title}</span>'
        extra = " · ".join(x for x in [kind, *labels] if x)
        snippet = _text(source.get("snippet"), 180)
        items.append(
            f'<li style="margin:3px 0">{badge}{heading}'
            f'<span style="color:#5f6b7a"> · {e(extra)}</span>'
            + (f'<div style="color:#3b4452">{e(snippet)}</div>' if snippet else "")
            + "</li>"
        )
    listing = f'<ol style="margin:0;padding-left:20px">{"".join(items)}</ol>' if items else ""
    more = ""
    new_thread = safe_link(result.get("new_thread_url"), base_url)
    if new_thread and not items:
        more = (
            f'<div style="margin-top:4px"><a href="{e(new_thread, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer" style="color:#2457c5">Ask on the forum</a></div>'
        )
    return (
        '<div class="checkfirst-panel" style="border-left:4px solid #2457c5;background:#f5f8fd;'
        "padding:8px 12px;margin:6px 0;font:13px/1.45 system-ui,-apple-system,'Segoe UI',"
        'sans-serif;color:#1d2430">'
        f'<div style="font-weight:700">✓ Checkfirst: {verdict}</div>'
        f"{answer_html}{listing}{more}</div>"
    )


def render_text(result: dict[str, Any], base_url: str, *, full_answer: bool = False) -> str:
    """The plain-text fallback of the panel, for consoles and text-only front ends."""
    lines = [f"Checkfirst: {verdict_line(result.get('verdict'))}"]
    answer = plain_markdown(str(result.get("answer") or "").strip()) if full_answer else ""
    summary = answer or summary_line(result.get("answer"))
    if summary:
        lines.append(summary)
    sources = _sources(result)
    for n, source in enumerate(sources[:MAX_SOURCES], 1):
        if not isinstance(source, dict):
            continue
        title = _text(source.get("title") or "Untitled", 160)
        status = _text(source.get("status"), 30)
        link = safe_link(source.get("url"), base_url) or ""
        lines.append(f"  [{n}] [{status}] {title} {link}".rstrip())
        snippet = _text(source.get("snippet"), 180)
        if snippet:
            lines.append(f"      {snippet}")
    return "\n".join(lines)


# Building questions from failures


def question_from_exception(etype: type[BaseException], value: BaseException) -> str:
    message = str(value).strip()
    return f"{etype.__name__}: {message}" if message else etype.__name__


def format_traceback(etype: type[BaseException], value: BaseException, tb: Any) -> str:
    try:
        return "".join(tb_module.format_exception(etype, value, tb))
    except Exception:
        return question_from_exception(etype, value)


def failure_lines(output: str) -> list[str]:
    """Lines of captured output that look like a failed check."""
    found = []
    for line in output.splitlines():
        if FAILURE_MARKERS.search(line) and not NOT_FAILURE.search(line):
            found.append(line.strip())
    return found


class _Tee:
    """Writes to the real stream (the learner still sees the output) and keeps a copy."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


# The question is stripped in Python: "(.*?)\s*$" retried the trailing "\s*" at every space
# of the line, quadratic on a long run of spaces.
_ASK_LINE = re.compile(r"^(\s*)%ask\b[ \t]*(.*)")


def keep_question_marks(lines: list[str]) -> list[str]:
    """Turn ``%ask why is a_next wrong?`` into a magic call before IPython reads the trailing
    ``?`` as a request for help on ``wrong``."""
    out = []
    for line in lines:
        match = _ASK_LINE.match(line)
        text = match.group(2).rstrip() if match else ""
        if match and text.endswith("?"):
            indent = match.group(1)
            line = f"{indent}get_ipython().run_line_magic('ask', {text!r})\n"
        out.append(line)
    return out


# The extension


class Checkfirst:
    """The extension's state in one kernel: configuration, magic overrides and display."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.overrides: dict[str, Any] = {}
        # While a %%checkfirst cell runs: what it has printed so far.
        self._capture: tuple[_Tee, _Tee] | None = None

    def config(self) -> Config:
        config = load_config(user_ns=getattr(self.shell, "user_ns", None))
        config.update(self.overrides, SOURCE_MAGIC)
        return config

    def show(self, result: dict[str, Any], config: Config, *, full_answer: bool = False) -> None:
        from IPython.display import display

        bundle = {
            "text/html": render_panel(result, config.url, full_answer=full_answer),
            "text/plain": render_text(result, config.url, full_answer=full_answer),
        }
        display(bundle, raw=True)

    def lookup(
        self, payload: dict[str, Any], *, full_answer: bool = False, after_error: bool = True
    ) -> None:
        """Ask and show the panel, or print one quiet line; never raises."""
        try:
            config = self.config()
            withheld = sendable_token(config)[1]
            if withheld:
                print(withheld)
            result = ask(config, payload)
            self.show(result, config, full_answer=full_answer)
        except LookupFailed as exc:
            print(notice(exc.reason, after_error))
        except Exception as exc:  # the learner's kernel must never be harmed by the helper
            print(notice(f"unexpected {type(exc).__name__}", after_error))

    # The custom exception handler (IPython makes it a method of the shell)
    def on_exception(
        self,
        shell: Any,
        etype: type[BaseException],
        value: BaseException,
        tb: Any,
        tb_offset: int | None = None,
    ) -> None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        from IPython.core.error import UsageError

        # A magic's usage error or a typo in the cell is not something the errata explain.
        if issubclass(etype, UsageError | SyntaxError):
            return None
        payload = {
            "question": question_from_exception(etype, value),
            "traceback": format_traceback(etype, value, tb),
        }
        if self._capture is not None:
            payload["output"] = "".join(self._capture[0].parts + self._capture[1].parts)
        self.lookup(payload)
        return None

    def install(self) -> None:
        shell = self.shell

        def handler(
            shell: Any,
            etype: type[BaseException],
            value: BaseException,
            tb: Any,
            tb_offset: int | None = None,
        ) -> None:
            return self.on_exception(shell, etype, value, tb, tb_offset)

        shell.set_custom_exc((Exception,), handler)
        magics = CheckfirstMagics(shell, self)
        shell.register_magics(magics)
        cleanup = getattr(shell, "input_transformers_cleanup", None)
        if isinstance(cleanup, list) and keep_question_marks not in cleanup:
            cleanup.insert(0, keep_question_marks)

    def uninstall(self) -> None:
        self.shell.set_custom_exc((), None)
        cleanup = getattr(self.shell, "input_transformers_cleanup", None)
        if isinstance(cleanup, list) and keep_question_marks in cleanup:
            cleanup.remove(keep_question_marks)

    # Magics' work
    def configure(self, line: str) -> str:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return f"Checkfirst: {exc}; write key=value pairs, e.g. course=dl assignment=rnn."
        values: dict[str, Any] = {}
        for word in words:
            key, sep, value = word.partition("=")
            if not sep:
                return f"Checkfirst: {word!r} is not key=value; e.g. course=dl version=3a."
            values[key] = value
        probe = Config()
        unknown = probe.update(values)
        if unknown:
            known = ", ".join(sorted(set(ALIASES)))
            return f"Checkfirst: unknown setting {', '.join(unknown)}; use one of {known}."
        for key, value in values.items():
            self.overrides[ALIASES[key.strip().lower()]] = value
        return self.config().describe()

    def run_checked_cell(self, line: str, cell: str) -> None:
        always = any(w in ("always", "--always", "-a") for w in line.split())
        out, err = _Tee(sys.stdout), _Tee(sys.stderr)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
        self._capture = (out, err)
        try:
            result = self.shell.run_cell(cell, store_history=False)
        finally:
            sys.stdout, sys.stderr = saved
            self._capture = None
        if getattr(result, "error_in_exec", None) is not None:
            # The exception handler has already looked it up.
            return
        if getattr(result, "error_before_exec", None) is not None:
            return
        output = "".join(out.parts) + "".join(err.parts)
        failures = failure_lines(output)
        if not failures and not always:
            return
        question = failures[0] if failures else (output.strip().splitlines() or ["(no output)"])[0]
        self.lookup({"question": question, "output": output})

    def ask_free(self, line: str) -> None:
        question = line.strip()
        if not question:
            print("Checkfirst: write your question after %ask, e.g. %ask why is a_next wrong?")
            return
        self.lookup({"question": question}, full_answer=True, after_error=False)


def _magics_class() -> Any:
    from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

    @magics_class
    class _CheckfirstMagics(Magics):  # type: ignore[misc]
        def __init__(self, shell: Any, ext: Checkfirst) -> None:
            super().__init__(shell)
            self.ext = ext

        @line_magic
        def checkfirst_config(self, line: str) -> None:
            """Show or set: %checkfirst_config course=dl assignment=rnn version=3a url=… token=…"""
            print(self.ext.configure(line))

        @cell_magic
        def checkfirst(self, line: str, cell: str) -> None:
            """Run the cell; ask Checkfirst if its output shows a failed check (or `always`)."""
            self.ext.run_checked_cell(line, cell)

        @line_magic
        def ask(self, line: str) -> None:
            """Ask Checkfirst a free question: %ask why does rnn_forward give wrong values?"""
            self.ext.ask_free(line)

    return _CheckfirstMagics


def CheckfirstMagics(shell: Any, ext: Checkfirst) -> Any:  # noqa: N802 - reads like a class
    return _magics_class()(shell, ext)


_EXTENSION: Checkfirst | None = None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext assistant.notebook``"""
    global _EXTENSION
    if _EXTENSION is not None:
        _EXTENSION.uninstall()
    _EXTENSION = Checkfirst(ipython)
    _EXTENSION.install()


def unload_ipython_extension(ipython: Any) -> None:
    global _EXTENSION
    if _EXTENSION is not None:
        _EXTENSION.uninstall()
        _EXTENSION = None
