"""Where the help server is and what this notebook is: settings from four sources, and the rule
that a token only goes to the URL set next to it."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG_FILE = ".checkfirst.json"
METADATA_KEY = "checkfirst"
DEFAULT_TIMEOUT = 2.0

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
    # VS Code names the file; recent ipykernels set ``__session__`` (JPY_SESSION_NAME) too.
    for name in ("__vsc_ipynb_file__", "__session__"):
        if user_ns and isinstance(user_ns.get(name), str):
            candidates.append(user_ns[name])
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
