"""One erratum verified for an assignment with 10,000 followers (figures, not tests).

Starts an SMTP sink (aiosmtpd on loopback) and a throwaway Checkfirst (uvicorn, its mail thread
on), fills an assignment with N followers who want mail at once, then a moderator verifies one
erratum over HTTP. Prints the verify request's latency (it only queues one event row) and the
time until the sink has accepted the last message (fan-out, rendering and SMTP included), with
the server's outbox status at the end.

    .venv/bin/python bench/mail_fanout.py [--followers 10000] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--batch", type=int, default=200, help="CHECKFIRST_MAIL_BATCH")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="checkfirst-mail-bench-"))

    from tests.notify.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    env = {
        "CHECKFIRST_ENV": "test",
        "CHECKFIRST_DATA_DIR": str(tmp / "var"),
        "CHECKFIRST_DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "CHECKFIRST_SECRET_KEY": secrets.token_urlsafe(40),
        "CHECKFIRST_INDEX_ENABLED": "false",
        "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
        "CHECKFIRST_SMTP_URL": sink.url,
        "CHECKFIRST_MAIL_BATCH": str(args.batch),
        "CHECKFIRST_MAIL_POLL_SECONDS": "0.2",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    from sqlalchemy import insert
    from sqlmodel import Session, col, select

    from app.migrate import upgrade
    from core.db import get_engine
    from errata import service as errata_service
    from errata.schemas import ErratumCreate
    from forum.models import Assignment, Course
    from notify.models import FollowKind, Subscription
    from users.auth import create_api_token, create_user
    from users.models import Role, User, UserCreate

    upgrade()
    with Session(get_engine(), expire_on_commit=False) as session:
        course = Course(slug="sequence-models", title="Sequence Models")
        session.add(course)
        session.commit()
        assignment = Assignment(course_id=course.id, slug="rnn", title="Building your RNN")
        session.add(assignment)
        session.commit()
        moderator = create_user(
            session=session,
            user_create=UserCreate(username="moderator", password="bench password 1"),
            role=Role.moderator,
        )
        _, token = create_api_token(session=session, user=moderator, name="bench")
        reporter = create_user(
            session=session, user_create=UserCreate(username="reporter", password="bench pass 1")
        )
        names = [f"fan{i:05d}" for i in range(args.followers)]
        started = time.perf_counter()
        for start in range(0, len(names), 2000):
            part = names[start : start + 2000]
            session.execute(
                insert(User),
                [{"username": n, "username_key": n, "email": f"{n}@example.org"} for n in part],
            )
        session.commit()
        ids = session.exec(select(User.id).where(col(User.username).startswith("fan"))).all()
        session.execute(
            insert(Subscription),
            [
                {"user_id": i, "kind": FollowKind.assignment, "target_id": assignment.id}
                for i in ids
            ],
        )
        session.commit()
        erratum = errata_service.report(
            session=session,
            user=reporter,
            data=ErratumCreate(
                course=course.slug, assignment=assignment.slug,
                title="rnn_forward expected output is wrong", location="rnn_forward",
            ),
        )  # fmt: skip
        print(f"{len(ids)} followers set up in {time.perf_counter() - started:.1f} s")

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        print("server up; verifying", flush=True)
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/api/v1/errata/{erratum.id}/verify", headers=headers, timeout=60)
        verify_ms = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, r.text
        at_return = len(sink.messages)
        # A second request while the worker fans out and sends: is the server still quick?
        t1 = time.perf_counter()
        httpx.get(f"{base}/api/v1/errata/{erratum.id}", timeout=60)
        read_ms = (time.perf_counter() - t1) * 1000
        wanted = len(ids)  # the reporter follows too, but has no address here
        shown = time.perf_counter()
        while len(sink.messages) < wanted and time.perf_counter() - t0 < 900:
            time.sleep(0.05)
            if time.perf_counter() - shown > 10:
                shown = time.perf_counter()
                print(f"  … {len(sink.messages)} messages after {shown - t0:.0f} s", flush=True)
        total = time.perf_counter() - t0
        got = len(sink.messages)
        unique = len({m["Message-ID"] for m in sink.messages})
        print(f"verify request: {verify_ms:.0f} ms (messages sent when it returned: {at_return})")
        print(f"a read during delivery: {read_ms:.0f} ms")
        print(
            f"last of {got} messages handed to SMTP after {total:.1f} s "
            f"({got / total:.0f} msg/s), {unique} distinct Message-IDs"
        )
    finally:
        server.terminate()
        server.wait(10)
        sink.stop()
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "mail", "status"], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True,
    )  # fmt: skip
    print(out.stdout + out.stderr)


if __name__ == "__main__":
    main()
