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
console = Console(stderr=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.migrate import upgrade

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

    from core.auth import create_user
    from core.db import get_engine
    from core.errors import DomainError
    from core.models import CourseRole, Role, UserCreate
    from forum.models import Course

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


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no courses")] = False,
) -> None:
    """Load the demo programme: courses, assignments, users, threads and errata."""
    from core.demo import load_demo

    created = load_demo(only_if_empty=if_empty)
    console.print("[green]Demo data loaded.[/green]" if created else "Demo data already present.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Migrate, then serve the app with uvicorn."""
    import uvicorn

    from core.migrate import upgrade

    upgrade()
    console.print(f"Serving on http://{host}:{port} ({_redacted_url()})")
    uvicorn.run(
        "core.main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True
    )


def _redacted_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().sqlalchemy_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()
