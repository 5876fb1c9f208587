"""The ``checkfirst`` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from core.settings import get_settings

app = typer.Typer(
    help="Checkfirst: course help that checks the errata first.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
index_app = typer.Typer(
    help="The search index (a cache rebuilt from the database).", no_args_is_help=True
)
app.add_typer(index_app, name="index")
mail_app = typer.Typer(help="E-mail: the outbox and its delivery.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")
checks_app = typer.Typer(
    help="Failing checks learners' notebooks report (suspected errata).", no_args_is_help=True
)
app.add_typer(checks_app, name="checks")
console = Console(stderr=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app.migrate import upgrade

    upgrade(revision=revision)
    console.print(f"[green]Database at {revision}[/green]: {_redacted_url()}")


@users_app.command("create")
def users_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[str, typer.Option(help="learner, moderator or admin")] = "learner",
    instructor_of: Annotated[
        list[str] | None, typer.Option(help="Course slug; repeat for several courses")
    ] = None,
) -> None:
    """Create a user, optionally as a course's instructor."""
    from sqlmodel import Session, select

    from core.db import get_engine
    from core.errors import DomainError
    from forum.models import Course
    from users.auth import create_user
    from users.models import CourseRole, Role, UserCreate

    try:
        user_role = Role(role)
    except ValueError:
        raise typer.BadParameter("role must be learner, moderator or admin") from None
    with Session(get_engine()) as session:
        try:
            user = create_user(
                session=session,
                user_create=UserCreate(username=username, password=password),
                role=user_role,
            )
        except DomainError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        for slug in instructor_of or []:
            course = session.exec(select(Course).where(Course.slug == slug)).first()
            if course is None:
                console.print(f"[red]No course {slug!r}; create it or load the demo first.[/red]")
                raise typer.Exit(1)
            assert user.id is not None and course.id is not None
            session.add(CourseRole(user_id=user.id, course_id=course.id, role="instructor"))
        session.commit()
    console.print(f"[green]Created {username}[/green] ({user_role.value})")


@mail_app.command("run-once")
def mail_run_once(
    drain: Annotated[bool, typer.Option(help="Repeat until nothing is due")] = False,
    digests: Annotated[bool, typer.Option(help="Also run digests that are due")] = True,
) -> None:
    """Fan out queued events, write due digests and deliver due mail (what the app's mail
    thread does); safe beside running servers: every step claims its work."""
    from app.mail import JOBS, wire
    from core.db import get_engine
    from notify.worker import drain as drain_outbox
    from notify.worker import run_once

    wire()
    settings = get_settings()
    if drain:
        stats = drain_outbox(get_engine(), settings)
    else:
        stats = run_once(get_engine(), settings, jobs=JOBS if digests else (), digests=digests)
    d = stats.delivery
    console.print(
        f"events fanned out {stats.events}, digests {stats.digests}; "
        f"claimed {d.claimed}, sent {d.sent}, retrying {d.retried}, failed {d.failed}"
    )
    where = settings.smtp_url.split("@")[-1] if settings.smtp_url else settings.data_dir / "mail"
    console.print(f"Mail goes to {where}", highlight=False)


@checks_app.command("purge")
def checks_purge() -> None:
    """Delete failing checks older than CHECKFIRST_CHECK_RETENTION_DAYS now (the ask path also
    does it, at most hourly, but only when reports arrive); safe beside running servers."""
    from sqlmodel import Session

    from assistant.checks import purge
    from core.db import get_engine

    with Session(get_engine()) as session:
        deleted = purge(session)
    days = get_settings().check_retention_days
    console.print(f"{deleted} failing checks older than {days} days deleted")


@mail_app.command("status")
def mail_status() -> None:
    """What waits in the outbox, what went out, what failed (and the last error)."""
    from sqlmodel import Session

    from core.db import get_engine
    from notify.worker import status

    with Session(get_engine()) as session:
        counts = status(session)
    for name, value in counts.items():
        console.print(f"{name.replace('_', ' ')}: {value if value not in (None, '') else '-'}")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no courses")] = False,
) -> None:
    """Load the demo programme: courses, assignments, users, threads and errata."""
    from app.demo import load_demo

    created = load_demo(only_if_empty=if_empty)
    console.print("[green]Demo data loaded.[/green]" if created else "Demo data already present.")


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="A JSON Lines file of errata and threads")],
    show_rejected: Annotated[int, typer.Option(help="How many rejected lines to list")] = 50,
    nice: Annotated[
        int, typer.Option(help="Lower this import's CPU priority by this much (0: as is)")
    ] = 10,
) -> None:
    """Import errata and threads from JSON Lines; idempotent by external_id.

    A bulk import is background work: by default it yields the CPU to the servers answering
    learners beside it (``--nice 0`` to run it at full priority, e.g. before opening)."""
    import os

    if nice > 0:
        os.nice(nice)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from app.importer import count_lines, import_file

    try:
        total = count_lines(file)
    except OSError as exc:
        console.print(f"[red]Can't read {file}: {exc.strerror}[/red]")
        raise typer.Exit(1) from None
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress("[progress.description]{task.description}", *columns, console=console) as bar:
        task = bar.add_task("Importing", total=total)
        report = import_file(file, on_line=lambda _n, _o: bar.advance(task))
    console.print(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    for number, reason in report.rejected[:show_rejected]:
        console.print(f"  line {number}: {reason}", markup=False, highlight=False)
    if len(report.rejected) > show_rejected:
        console.print(f"  … and {len(report.rejected) - show_rejected} more rejected lines")
    if report.rejected:
        raise typer.Exit(2)


@app.command()
def export(
    output: Annotated[str, typer.Option("--output", "-o", help="File; - for stdout")] = "-",
    course: Annotated[str | None, typer.Option(help="Only this course (slug)")] = None,
) -> None:
    """Export threads and errata as JSON Lines, in the format `checkfirst import` reads."""
    import sys

    from sqlmodel import Session

    from app.importer import export_records
    from core.db import get_engine
    from core.importing import RejectedLine, dump_line

    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    count = 0
    try:
        with Session(get_engine()) as session:
            for record in export_records(session, course=course):
                out.write(dump_line(record))
                count += 1
    except RejectedLine as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        if out is not sys.stdout:
            out.close()
    console.print(f"Exported {count} records" + ("" if output == "-" else f" to {output}"))


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Migrate, then serve the app with uvicorn."""
    import uvicorn

    from app.migrate import upgrade

    problem = get_settings().shared_secret_problem()
    if problem:
        console.print(f"[red]{problem}[/red]", highlight=False)
        raise typer.Exit(2)
    upgrade()
    console.print(f"Serving on http://{host}:{port} ({_redacted_url()})")
    # uvicorn's own X-Forwarded-For handling believes any loopback peer; the app reads the
    # header itself, only from CHECKFIRST_TRUSTED_PROXIES (core/security.py forwarded_client).
    uvicorn.run(
        "app.main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=False
    )


lti_app = typer.Typer(
    help="LTI 1.3: course platforms that launch Checkfirst.", no_args_is_help=True
)
app.add_typer(lti_app, name="lti")


@lti_app.command("add-platform")
def lti_add_platform(
    issuer: Annotated[str, typer.Option(help="The platform's issuer (iss)")],
    client_id: Annotated[str, typer.Option(help="The client id the platform gave Checkfirst")],
    auth_url: Annotated[str, typer.Option(help="OIDC authorisation (auth login) URL")],
    token_url: Annotated[str, typer.Option(help="OAuth2 access token URL")],
    jwks_url: Annotated[str, typer.Option(help="The platform's public keyset URL")],
    deployment: Annotated[list[str], typer.Option(help="Deployment id; repeat for several")],
    frame_origin: Annotated[
        list[str] | None,
        typer.Option(help="Origin whose pages frame Checkfirst (default: issuer, auth URL)"),
    ] = None,
) -> None:
    """Register a course platform (or add deployments to a registered one)."""
    from sqlmodel import Session

    from core.db import get_engine
    from core.errors import DomainError
    from lti.registry import add_platform

    with Session(get_engine()) as session:
        try:
            platform = add_platform(
                session=session, issuer=issuer, client_id=client_id, auth_login_url=auth_url,
                auth_token_url=token_url, key_set_url=jwks_url, deployment_ids=deployment,
                frame_origins=frame_origin,
            )  # fmt: skip
        except DomainError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    base = get_settings().base_url.rstrip("/")
    console.print(f"[green]Registered {platform.issuer}[/green] (client id {platform.client_id})")
    console.print(f"Login URL {base}/lti/login, launch and redirect URL {base}/lti/launch, "
                  f"keyset {base}/lti/jwks")  # fmt: skip


@lti_app.command("rotate-key")
def lti_rotate_key() -> None:
    """A new signing key for the tool; the previous one stays in /lti/jwks until the next."""
    from sqlmodel import Session

    from core.db import get_engine
    from lti.keys import rotate_key

    with Session(get_engine()) as session:
        key = rotate_key(session=session)
    console.print(f"[green]New signing key[/green] {key.kid}")


def _redacted_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().sqlalchemy_url).render_as_string(hide_password=True)


def _index_runtime():  # type: ignore[no-untyped-def]
    from app.indexing import register_loaders
    from index.runtime import Runtime

    register_loaders()
    return Runtime(get_settings())


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Embed every searchable document again and save the index (resumes if interrupted).

    Stop the server first, or restart it afterwards: each server keeps its own copy in memory.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from sqlmodel import Session

    from core.db import get_engine
    from index.indexer import rebuild

    runtime = _index_runtime()
    encoder = runtime.encoder()
    if runtime.checkpoint.exists():
        console.print(f"Resuming from {runtime.checkpoint}")
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("Embedding documents", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with Session(get_engine()) as session:
            state = rebuild(
                session, encoder, runtime.kind,
                checkpoint=runtime.checkpoint, progress=progress,
            )  # fmt: skip
    state.save(runtime.path)
    runtime.checkpoint.unlink(missing_ok=True)
    console.print(
        f"[green]Index rebuilt[/green]: {len(state.docs)} documents, "
        f"{state.chunk_count()} chunks, up to event {state.seq} → {runtime.path}"
    )


@index_app.command("check")
def index_check(
    limit: Annotated[int, typer.Option(help="Ids to list per kind of drift")] = 50,
) -> None:
    """Compare the saved index (caught up from the outbox) with the database; exit 1 on drift."""
    from sqlmodel import Session

    from core.db import get_engine
    from index.indexer import check

    runtime = _index_runtime()
    state = runtime.state()
    with Session(get_engine()) as session:
        drift = check(session, state)
    for label, keys in (("missing", drift.missing), ("extra", drift.extra)):
        shown = ", ".join(f"{t}:{i}" for t, i in keys[:limit])
        more = f" … and {len(keys) - limit} more" if len(keys) > limit else ""
        console.print(f"{label}: {len(keys)}" + (f" ({shown}{more})" if keys else ""))
    if not drift.ok:
        console.print("[red]Index drift[/red]: run `checkfirst index rebuild` to repair it.")
        raise typer.Exit(1)
    console.print(f"[green]Index in step[/green]: {len(state.docs)} documents, 0 drift")


@index_app.command("gc")
def index_gc(
    keep_model: Annotated[
        list[str] | None,
        typer.Option(help="Keep this model's vectors too (a server not yet switched uses it)"),
    ] = None,
) -> None:
    """Delete stored chunk vectors nothing loads again: other models, deleted documents and
    chunks past a document's end. Safe while servers run (they encode a chunk again, at
    worst); run it after every server has switched to a new model."""
    from core.db import get_engine
    from index.embeddings import ChunkCounts, collect_garbage
    from index.encoder import Encoder

    runtime = _index_runtime()
    settings = runtime.settings
    current = Encoder.identity_of(settings.embedding_model, settings.embedding_backend)

    def chunk_counts() -> ChunkCounts:
        state = runtime.state()  # loaded (or rebuilt) and caught up with the outbox
        runtime.sync()
        with state.lock.read():
            return {key: len(entry.labels) for key, entry in state.docs.items()}

    garbage = collect_garbage(get_engine(), [current, *(keep_model or [])], chunk_counts)
    runtime.save()
    console.print(
        f"[green]Deleted[/green] {garbage.other_models} vectors of other models, "
        f"{garbage.gone_documents} of deleted or hidden documents, "
        f"{garbage.gone_chunks} past a document's end"
    )


@index_app.command("status")
def index_status() -> None:
    """Where the saved index is, what it holds and how far behind the outbox it is."""
    from sqlmodel import Session

    from core.db import get_engine
    from index.indexer import max_seq
    from index.store import saved_counts

    runtime = _index_runtime()
    settings = runtime.settings
    with Session(get_engine()) as session:
        latest = max_seq(session)
    console.print(
        f"model: {settings.embedding_model} ({settings.embedding_backend})   kind: {runtime.kind}"
    )
    console.print(f"file: {runtime.path}")
    if not runtime.path.exists():
        console.print(f"saved index: none (built on first start)   outbox at event {latest}")
        return
    try:
        header, documents, chunks = saved_counts(runtime.path)
    except Exception as exc:
        console.print(f"[red]saved index unreadable[/red] ({exc}); it is rebuilt on next start")
        raise typer.Exit(1) from None
    size = runtime.path.stat().st_size
    console.print(
        f"saved index: {documents} documents, {chunks} chunks, {size / 1e6:.1f} MB, "
        f"model {header.get('model')} (dim {header.get('dim')})"
    )
    console.print(
        f"last applied event: {header.get('seq')}   outbox at event {latest}   "
        f"pending: {max(0, latest - int(header.get('seq', 0)))}"
    )
    if runtime.checkpoint.exists():
        console.print(f"an interrupted rebuild can resume from {runtime.checkpoint}")


if __name__ == "__main__":
    app()
