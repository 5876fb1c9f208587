"""ACCEPTANCE D2: SIGKILL the server at random moments while a client writes; restart; check.

Every write that got a 2xx must be present after the restart, SQLite's integrity check must pass,
each erratum's status must agree with its last history row, and ``checkfirst index check`` must
report no drift once the restarted server has caught up.

    .venv/bin/python bench/kill_test.py --rounds 20                 # SQLite
    .venv/bin/python bench/kill_test.py --rounds 20 --postgresql    # PostgreSQL on 127.0.0.1
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Report:
    rounds: int = 0
    acked_threads: list[int] = field(default_factory=list)
    acked_errata: list[int] = field(default_factory=list)
    acked_verified: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
         "--log-level", "warning", "--no-proxy-headers"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not come up")


def _setup(env: dict[str, str], demo: bool = True) -> tuple[str, str]:
    """Migrate, load the demo (or one course), a moderator with a token; (token, course slug)."""
    code = (
        "from sqlmodel import Session, select\n"
        "from core.db import get_engine\n"
        "from users.auth import create_user, create_api_token\n"
        "from users.models import Role, UserCreate\n"
        "from forum.models import Course\n"
        "with Session(get_engine()) as s:\n"
        "    u = create_user(session=s, user_create=UserCreate(username='killer', "
        "password='kill-test-pw'), role=Role.moderator)\n"
        "    _, t = create_api_token(session=s, user=u, name='kill')\n"
        "    c = s.exec(select(Course)).first()\n"
        "    if c is None:\n"
        "        c = Course(slug='kill-test', title='Kill test'); s.add(c); s.commit()\n"
        "    print(t, c.slug)\n"
    )
    for args in (("db", "upgrade"), ("demo",)) if demo else (("db", "upgrade"),):
        r = _cli(env, *args)
        if r.returncode:
            raise RuntimeError(f"{args}: {r.stderr}")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], out[1]


def _expect(report: Report, r: httpx.Response, status: int) -> None:
    """A reply that arrived must be the expected one (a kill shows up as a transport error)."""
    if r.status_code != status:
        report.problems.append(
            f"round {report.rounds}: {r.request.method} {r.request.url.path} -> "
            f"{r.status_code} {r.text[:200]}"
        )


def _writer(base: str, token: str, course: str, report: Report, stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 3:
                    r = http.post(
                        f"/api/v1/courses/{course}/threads",
                        json={"title": f"Kill test {uuid.uuid4().hex[:8]}", "body": "body " * 20},
                    )
                    _expect(report, r, 201)
                    if r.status_code == 201:
                        report.acked_threads.append(r.json()["thread"]["id"])
                else:
                    r = http.post(
                        "/api/v1/errata",
                        json={"course": course, "title": f"Kill erratum {n}", "description": "x"},
                    )
                    _expect(report, r, 201)
                    if r.status_code == 201:
                        eid = r.json()["id"]
                        report.acked_errata.append(eid)
                        v = http.post(f"/api/v1/errata/{eid}/verify", json={"reason": "checked"})
                        _expect(report, v, 200)
                        if v.status_code == 200 and v.json()["status"] == "verified":
                            report.acked_verified.append(eid)
            except httpx.HTTPError:
                time.sleep(0.05)


def _verify(env: dict[str, str], report: Report) -> None:
    code = (
        "import sys, json\n"
        "from sqlalchemy import text\n"
        "from core.db import get_engine\n"
        "ids = json.loads(sys.stdin.read())\n"
        "e = get_engine()\n"
        "with e.connect() as c:\n"
        "    have = {r[0] for r in c.execute(text('select id from thread'))}\n"
        "    errata = {r[0] for r in c.execute(text('select id from erratum'))}\n"
        '    verified = {r[0] for r in c.execute(text("select id from erratum "\n'
        "        \"where status = 'verified'\"))}\n"
        '    bad = [r[0] for r in c.execute(text("select e.id from erratum e where e.status <> "\n'
        '        "coalesce((select h.to_status from erratum_history h where h.erratum_id = e.id "\n'
        "        \"order by h.id desc limit 1), 'reported')\"))]\n"
        "    integrity = 'ok'\n"
        "    if e.dialect.name == 'sqlite':\n"
        "        integrity = c.execute(text('pragma integrity_check')).scalar()\n"
        "print(json.dumps({'missing_threads': sorted(set(ids['t']) - have),\n"
        "    'missing_errata': sorted(set(ids['e']) - errata), 'status_mismatch': bad,\n"
        "    'lost_verify': sorted(set(ids['v']) - verified),\n"
        "    'integrity': integrity}))\n"
    )
    import json

    payload = json.dumps(
        {"t": report.acked_threads, "e": report.acked_errata, "v": report.acked_verified}
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, input=payload,
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        report.problems.append(f"verify failed: {out.stderr[-500:]}")
        return
    result = json.loads(out.stdout)
    for key in ("missing_threads", "missing_errata", "status_mismatch", "lost_verify"):
        if result[key]:
            report.problems.append(f"round {report.rounds}: {key} {result[key][:10]}")
    if result["integrity"] != "ok":
        report.problems.append(f"round {report.rounds}: integrity {result['integrity']}")


def run(  # type: ignore[no-untyped-def]
    *, rounds: int, postgresql: bool, seed: int = 0, demo: bool = True, index: bool = True,
    log=print,
) -> Report:  # fmt: skip
    rng = random.Random(seed)
    report = Report()
    data_dir = tempfile.mkdtemp(prefix="checkfirst-kill-")
    env = {**os.environ, "CHECKFIRST_DATA_DIR": data_dir, "CHECKFIRST_ENV": "development",
           "CHECKFIRST_RATE_LIMITS_ENABLED": "false", "HF_HUB_OFFLINE": "1",
           "CHECKFIRST_INDEX_POLL_SECONDS": "0.1",
           "CHECKFIRST_INDEX_ENABLED": "true" if index else "false"}  # fmt: skip
    drop = None
    if postgresql:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"checkfirst_kill_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        env["CHECKFIRST_DATABASE_URL"] = (
            make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        )

        def drop() -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    proc: subprocess.Popen[bytes] | None = None
    try:
        token, course = _setup(env, demo=demo)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        for i in range(1, rounds + 1):
            report.rounds = i
            proc = _start(env, port)
            stop = threading.Event()
            writer = threading.Thread(target=_writer, args=(base, token, course, report, stop))
            writer.start()
            time.sleep(rng.uniform(0.3, 2.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            writer.join()
            _verify(env, report)
            log(
                f"round {i}/{rounds}: killed; acked {len(report.acked_threads)} threads, "
                f"{len(report.acked_errata)} errata; problems so far {len(report.problems)}"
            )
        # After the last kill: restart, let the indexer catch up, then the drift check.
        # A graceful stop saves the index once the indexer has caught up with the outbox.
        proc = _start(env, port)
        time.sleep(3)
        proc.terminate()
        try:
            proc.wait(900)
        except subprocess.TimeoutExpired:
            report.problems.append("the server did not stop within 900 s of SIGTERM")
        check = _cli(env, "index", "check")
        if check.returncode != 0:
            report.problems.append(f"index check: {(check.stdout + check.stderr)[-600:]}")
        else:
            log(f"index check: {(check.stdout + check.stderr).strip()[-200:]}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if drop:
            drop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-demo", action="store_true", help="one empty course, not the demo")
    parser.add_argument(
        "--no-index", action="store_true", help="servers without the indexer (faster restarts)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    report = run(
        rounds=args.rounds, postgresql=args.postgresql, seed=args.seed,
        demo=not args.no_demo, index=not args.no_index,
    )  # fmt: skip
    db = "PostgreSQL" if args.postgresql else "SQLite"
    print(
        f"{db}: {report.rounds} kills, {len(report.acked_threads)} acknowledged threads and "
        f"{len(report.acked_errata)} errata ({len(report.acked_verified)} verifies), "
        f"problems: {len(report.problems)} "
        f"({time.monotonic() - started:.0f} s)"
    )
    for p in report.problems:
        print("  ", p)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
