"""Issue #14: every process that serves must sign with the same secret key. On PostgreSQL several
servers may serve the same users, so serving refuses to start without CHECKFIRST_SECRET_KEY; the
workers of one server over one data dir share the key kept there (created once, atomically)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql+psycopg://nobody@127.0.0.1:1/never_reached"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKFIRST_")}
    return {
        **env, "CHECKFIRST_DATA_DIR": str(tmp_path), "CHECKFIRST_ENV": "development",
        "CHECKFIRST_INDEX_ENABLED": "false", "CHECKFIRST_MAIL_WORKER": "false", **extra,
    }  # fmt: skip


def test_serve_on_postgresql_without_secret_key_refuses_naming_the_setting(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2"],
        cwd=ROOT, env=_env(tmp_path, CHECKFIRST_DATABASE_URL=PG_URL),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "CHECKFIRST_SECRET_KEY must be set" in done.stdout + done.stderr
    assert not (tmp_path / "secret_key").exists()  # no per-server key was made to paper over it


def test_uvicorn_started_directly_on_postgresql_without_secret_key_does_not_serve(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", "0", "--no-proxy-headers"],
        cwd=ROOT, env=_env(tmp_path, CHECKFIRST_DATABASE_URL=PG_URL),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "CHECKFIRST_SECRET_KEY must be set" in done.stderr


def test_workers_starting_together_over_one_data_dir_share_one_key(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; from core.settings import Settings\n"
        "while not Path(sys.argv[1]).exists(): time.sleep(0.001)\n"
        "print(Settings().effective_secret_key())"
    )
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(go)],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(6)
    ]
    go.touch()  # all six read the (missing) key file at the same moment
    keys = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(keys) == 1 and "" not in keys
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
