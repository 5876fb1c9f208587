"""Suspected errata from simulated reports: does detection keep up, and is the queue right?
(Figures, not a test; issue #18.)

A throwaway database (SQLite in a temp dir, or ``--database-url``) gets ``--assignments``
assignments with ``--learners`` learners each. Every assignment is one scenario:

- ``erratum``   the published expected output is wrong: ~70% of its reporting learners print
                the right (consensus) output, in varied precision and formatting; the rest are
                real bugs (scattered) or unparseable;
- ``few``       only 4 learners share an output; the rest are scattered;
- ``scattered`` every output differs (real bugs);
- ``sybil``     30 accounts behind one IP agree; the rest are scattered;
- ``repeater``  one learner reports the same output 20 times; the rest are scattered;

plus re-runs (10% of learners report twice or three times). The reports arrive interleaved
across assignments and each goes through exactly what the ask API runs after the answer
(``assistant.consensus.after_ask``: record, group, tally, file or update, commit). Prints the
time per report (mean, p50, p95, max, and per 1,000-report block so a slowdown as the tables
fill shows) and compares the moderator queue (``errata.suspects.queue``) with the scenarios:
exactly the ``erratum`` assignments, each with the consensus output and the published one.

    .venv/bin/python bench/consensus_bench.py [--assignments 100] [--learners 200]
        [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = ["erratum"] * 4 + ["few"] * 2 + ["scattered"] * 2 + ["sybil", "repeater"]
VERSION = "2"


def _values(rng: random.Random, n: int = 6) -> list[float]:
    return [round(rng.uniform(-1, 1), 8) for _ in range(n)]


def _print(name: str, values: list[float], style: int) -> str:
    if style == 0:
        return f"{name} = [" + "  ".join(f"{v: .8f}" for v in values) + "]"
    if style == 1:
        return f"{name} = array([" + ", ".join(f"{v:.6f}" for v in values) + "])"
    return f"{name}:\n[" + " ".join(f"{v:.5f}" for v in values) + "]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignments", type=int, default=100)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="checkfirst-consensus-bench-"))
    os.environ.update(
        {
            "CHECKFIRST_ENV": "test",
            "CHECKFIRST_DATA_DIR": str(tmp / "var"),
            "CHECKFIRST_DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
            "CHECKFIRST_SECRET_KEY": secrets.token_urlsafe(40),
            "CHECKFIRST_INDEX_ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from app.migrate import upgrade
    from assistant import consensus
    from assistant.schemas import AskRequest, AskResponse, Verdict
    from core.clock import utcnow
    from core.db import get_engine
    from core.settings import get_settings
    from errata import suspects
    from forum.models import Assignment, Course
    from users.models import User

    settings = get_settings()
    upgrade(settings)
    engine = get_engine()
    rng = random.Random(args.seed)
    print(f"database: {engine.dialect.name}; {args.assignments} assignments x "
          f"{args.learners} learners")  # fmt: skip

    # The world: 10 assignments per course, learners made in bulk (no passwords: no sign-in).
    old = utcnow() - timedelta(days=60)
    with Session(engine, expire_on_commit=False) as session:
        courses = []
        for c in range(max(1, -(-args.assignments // 10))):
            course = Course(slug=f"course-{c}", title=f"Course {c}")
            session.add(course)
            courses.append(course)
        session.flush()
        assignments = []
        for a in range(args.assignments):
            course = courses[a // 10]
            assert course.id is not None
            row = Assignment(course_id=course.id, slug=f"a{a}", title=f"Assignment {a}",
                             notebook_version=VERSION, position=a)  # fmt: skip
            session.add(row)
            assignments.append((course.slug, row))
        session.flush()
        n_users = args.assignments * args.learners
        for start in range(0, n_users, 5000):
            session.execute(
                insert(User),
                [{"username": f"u{i}", "display_name": "", "password_hash": "", "role": "learner",
                  "is_active": True, "is_system": False, "created_at": old}
                 for i in range(start, min(n_users, start + 5000))],
            )  # fmt: skip
        session.commit()
        users = {u.username: u for u in session.exec(select(User)).all()}
        session.expunge_all()

    # The reports, per scenario.
    reports: list[tuple[str, str, User, str, str, str]] = []  # course, assignment, who, ip, ...
    expected_suspects: dict[str, tuple[str, str]] = {}  # assignment slug -> (published, right)
    published_of: dict[str, str] = {}  # what the notebook prints, and learners paste
    for a, (course_slug, assignment) in enumerate(assignments):
        scenario = SCENARIOS[a % len(SCENARIOS)]
        name = f"out{a}"
        location = f"step_{a}_test"
        right = _values(rng)
        published_values = list(right)
        published_values[0] = round(published_values[0] + 0.25, 8)
        published = _print(name, published_values, 0)
        if scenario == "erratum":
            expected_suspects[assignment.slug] = (published, _print(name, right, 0))
        published_of[assignment.slug] = published
        learners = [users[f"u{a * args.learners + i}"] for i in range(args.learners)]
        for i, user in enumerate(learners):
            ip = f"10.{a % 250}.{i // 250}.{i % 250 + 1}"
            roll = rng.random()
            if scenario == "erratum" and roll < 0.7:
                output = _print(name, right, rng.randrange(3))
            elif scenario == "few" and i < 4:
                output = _print(name, right, 0)
            elif scenario == "sybil" and i < 30:
                output, ip = _print(name, right, 0), f"192.0.2.{a % 250 + 1}"
            elif roll > 0.95:
                output = "Kernel died, restarting"  # kept, never counted
            else:
                output = _print(name, _values(rng), 0)  # a real bug: everyone's differs
            question = f"{location}: Wrong values for {name}"
            runs = rng.choice((2, 3)) if rng.random() < 0.1 else 1
            if scenario == "repeater" and i == 0:
                output, runs = _print(name, right, 0), 20
            for _ in range(runs):
                reports.append((course_slug, assignment.slug, user, ip, question, output))
    rng.shuffle(reports)

    empty = AskResponse(answer="", verdict=Verdict.no_match, sources=[])
    times: list[float] = []
    cpu_times: list[float] = []
    with Session(engine, expire_on_commit=False) as session:
        for course_slug, slug, user, ip, question, output in reports:
            request = AskRequest(question=question, course=course_slug, assignment=slug,
                                 notebook_version=VERSION, output=output,
                                 expected=published_of[slug])  # fmt: skip
            t0, c0 = time.perf_counter(), time.process_time()
            consensus.after_ask(session, request=request, response=empty, user=user, ip=ip)
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)

        queue = suspects.queue(session=session, course_ids=None)

    ms = [t * 1000 for t in times]
    q = statistics.quantiles(ms, n=100)
    print(f"reports: {len(ms)}; per report: mean {statistics.mean(ms):.2f} ms, p50 {q[49]:.2f} ms,"
          f" p95 {q[94]:.2f} ms, max {max(ms):.1f} ms; total {sum(ms) / 1000:.1f} s"
          f" ({len(ms) / (sum(ms) / 1000):.0f} reports/s)")  # fmt: skip
    # Wall time includes waiting for the disk (each report is one commit) and for the CPU on a
    # busy machine; this process's CPU time is the work itself.
    print(f"CPU per report (this process): mean {statistics.mean(cpu_times) * 1000:.2f} ms")
    blocks = [statistics.mean(ms[i : i + 1000]) for i in range(0, len(ms), 1000)]
    print("mean per 1,000-report block (ms):", " ".join(f"{b:.1f}" for b in blocks))

    slug_of = {row.id: row.slug for _, row in assignments}
    found = {slug_of[x.suspect.assignment_id]: x for x in queue}
    missing = sorted(set(expected_suspects) - set(found), key=lambda s: int(s[1:]))
    extra = sorted(set(found) - set(expected_suspects), key=lambda s: int(s[1:]))
    from assistant.matching import compare

    wrong_values = [
        slug for slug, x in found.items() if slug in expected_suspects
        and not (compare(x.suspect.proposed_output, expected_suspects[slug][1]).matched
                 and x.suspect.published_output == expected_suspects[slug][0])
    ]  # fmt: skip
    per_assignment = {slug: 0 for slug in found}
    for x in queue:
        per_assignment[slug_of[x.suspect.assignment_id]] += 1
    duplicates = [s for s, n in per_assignment.items() if n > 1]
    print(f"queue: {len(queue)} suspected errata; expected {len(expected_suspects)}; "
          f"missing {len(missing)} {missing[:10]}; unexpected {len(extra)} {extra[:10]}; "
          f"wrong values {len(wrong_values)}; duplicates {len(duplicates)}")  # fmt: skip
    if queue:
        counts = [x.suspect.learners for x in queue]
        shares = [x.suspect.share for x in queue]
        print(f"learners per suspect: min {min(counts)}, median {statistics.median(counts)},"
              f" max {max(counts)}; share of their location: min {min(shares):.2f},"
              f" max {max(shares):.2f}")  # fmt: skip
    ok = not missing and not extra and not wrong_values and not duplicates
    print("queue shows exactly the right suspects:", "yes" if ok else "NO")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
