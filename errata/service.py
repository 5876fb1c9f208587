"""The errata record: report, edit, the status lifecycle, "affects me too", links and queries.

Lifecycle: ``reported`` → ``verified`` | ``rejected`` | ``duplicate``; ``verified`` → ``fixed``.
Every transition is a compare-and-set on the status (``UPDATE … WHERE status = :expected``) in
the same transaction as its history row, its notifications and its index event, so of two
moderators acting at once exactly one wins and the other gets a 409 (ACCEPTANCE A4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.ratelimit import is_new_account, limiter
from core.settings import get_settings
from core.throttle import throttle
from errata import notifications, suspects
from errata.models import (
    Erratum,
    ErratumAffect,
    ErratumHistory,
    ErratumLink,
    ErratumStatus,
)
from errata.schemas import ErratumCreate, ErratumUpdate
from errata.versions import affects, version_key
from forum.models import Assignment, Course, Post, Thread
from forum.service import clean_title, visible_post, visible_thread
from index import events
from index import service as index_service
from notify import service as notify_service
from notify.models import FollowKind
from users.models import Role, User
from users.policy import ensure_may_moderate, may_moderate, moderated_course_ids

S = ErratumStatus

# Which status may follow which; anything else is a 409.
TRANSITIONS: dict[ErratumStatus, frozenset[ErratumStatus]] = {
    S.reported: frozenset({S.verified, S.rejected, S.duplicate}),
    S.verified: frozenset({S.fixed}),
    S.rejected: frozenset(),
    S.duplicate: frozenset(),
    S.fixed: frozenset(),
}
# What learners see by default: errata a course stands behind.
DEFAULT_STATUSES: tuple[ErratumStatus, ...] = (S.verified, S.fixed)
# Statuses worth suggesting to someone about to report a duplicate.
SUGGEST_STATUSES: tuple[ErratumStatus, ...] = (S.reported, S.verified, S.fixed)


# Lookups


def get(*, session: Session, erratum_id: int) -> Erratum:
    """The erratum, or NotFound."""
    erratum = session.get(Erratum, erratum_id)
    if erratum is None:
        raise NotFound(f"There is no erratum {erratum_id}; check the link.")
    return erratum


def get_course(*, session: Session, slug: str) -> Course:
    course = session.exec(select(Course).where(Course.slug == slug)).first()
    if course is None:
        raise NotFound(f"There is no course {slug!r}; check the course name.")
    return course


def get_assignment(*, session: Session, course: Course, slug: str) -> Assignment:
    assignment = session.exec(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.slug == slug)
    ).first()
    if assignment is None:
        raise NotFound(f"The course {course.slug!r} has no assignment {slug!r}.")
    return assignment


# Reporting and editing


NO_TITLE = "Give the erratum a title that says what is wrong."


def _check_lengths(values: dict[str, Any]) -> None:
    limit = get_settings().max_post_chars
    for name in ("description", "published_output", "corrected_output", "workaround"):
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            label = name.replace("_", " ")
            raise InvalidInput(f"The {label} is longer than {limit} characters; shorten it.")


def _check_rate(user: User, ip: str | None) -> None:
    """Reports per user and per IP (ACCEPTANCE B1); staff are not limited."""
    settings = get_settings()
    if settings.rate_limits_enabled and user.role == Role.learner:
        if is_new_account(user.created_at, settings.new_account_seconds):
            limiter.hit(
                f"report-new:{user.id}", settings.rate_report_new_account, what="erratum reports"
            )
        limiter.hit(f"report-user:{user.id}", settings.rate_report, what="erratum reports")
        if ip:
            limiter.hit(f"report-ip:{ip}", settings.rate_report, what="erratum reports")


def report(*, session: Session, user: User, data: ErratumCreate, ip: str | None = None) -> Erratum:
    """A learner reports an erratum; it starts as ``reported`` whatever the body says (A3)."""
    assert user.id is not None
    course = get_course(session=session, slug=data.course)
    assert course.id is not None
    assignment_id: int | None = None
    if data.assignment:
        assignment_id = get_assignment(session=session, course=course, slug=data.assignment).id
    thread_id, post_id = _resolve_source(
        session=session,
        course_id=course.id,
        thread_id=data.source_thread_id,
        post_id=data.source_post_id,
        viewer=user,
    )
    values = data.model_dump(exclude={"course", "assignment", "source_thread_id", "source_post_id"})
    values["title"] = clean_title(values["title"], empty=NO_TITLE)
    _check_lengths(values)
    _check_rate(user, ip)
    erratum = Erratum(
        **values,
        course_id=course.id,
        assignment_id=assignment_id,
        reporter_id=user.id,
        source_thread_id=thread_id,
        source_post_id=post_id,
        status=S.reported,
    )
    session.add(erratum)
    session.flush()
    assert erratum.id is not None
    session.add(
        ErratumHistory(
            erratum_id=erratum.id, actor_id=user.id, from_status=None, to_status=S.reported
        )
    )
    if assignment_id is not None:
        # Reporting in an assignment follows it (issue #15): its errata reach the reporter.
        notify_service.follow(
            session=session, user_id=user.id, kind=FollowKind.assignment,
            target_id=assignment_id, commit=False,
        )  # fmt: skip
    events.record(session, doc_type="erratum", doc_id=erratum.id)
    session.commit()
    session.refresh(erratum)
    return erratum


def _resolve_source(
    *, session: Session, course_id: int, thread_id: int | None, post_id: int | None,
    viewer: User | None = None,
) -> tuple[int | None, int | None]:  # fmt: skip
    """Check the thread or reply a report comes from; a reply implies its thread."""
    if post_id is not None:
        post = visible_post(session=session, post_id=post_id, viewer=viewer)
        if post is None:
            raise InvalidInput("The reply this report comes from no longer exists.")
        if thread_id is not None and thread_id != post.thread_id:
            raise InvalidInput("That reply belongs to another thread.")
        thread_id = post.thread_id
    if thread_id is not None:
        # A private thread the reporter may not see is as absent as a deleted one (issue #17).
        thread = visible_thread(session=session, thread_id=thread_id, viewer=viewer)
        if thread is None:
            raise InvalidInput("The thread this report comes from no longer exists.")
        if thread.course_id != course_id:
            raise InvalidInput("The thread belongs to another course; report it in that course.")
    return thread_id, post_id


@dataclass
class Prefill:
    """What a report form starts with when it comes from a thread or reply."""

    course: Course
    assignment: Assignment | None
    title: str
    # The question's (or the reply's) text, quoted in the report's description.
    body: str
    thread_id: int
    post_id: int | None


def prefill_from_source(
    *, session: Session, thread_id: int | None = None, post_id: int | None = None,
    viewer: User | None = None,
) -> Prefill:  # fmt: skip
    """Prefill a report from a thread (its title and question) or from one reply."""
    post: Post | None = None
    if post_id is not None:
        post = visible_post(session=session, post_id=post_id, viewer=viewer)
        if post is None:
            raise NotFound("That reply no longer exists.")
        thread_id = post.thread_id
    if thread_id is None:
        raise InvalidInput("Say which thread or reply to report from.")
    thread = visible_thread(session=session, thread_id=thread_id, viewer=viewer)
    if thread is None:
        raise NotFound("That thread no longer exists.")
    if post is None:
        post = session.exec(
            select(Post).where(Post.thread_id == thread_id, col(Post.is_question).is_(True))
        ).first()
    course = session.get(Course, thread.course_id)
    assert course is not None and thread.id is not None
    assignment = session.get(Assignment, thread.assignment_id) if thread.assignment_id else None
    body = post.body if post is not None else ""
    return Prefill(
        course=course,
        assignment=assignment,
        title=thread.title,
        body=body,
        thread_id=thread.id,
        post_id=post_id,
    )


def can_edit(*, session: Session, user: User | None, erratum: Erratum) -> bool:
    """The reporter while the report is pending; moderators and the course's instructors always."""
    if user is None:
        return False
    if may_moderate(session, user, erratum.course_id):
        return True
    return erratum.reporter_id == user.id and erratum.status == S.reported


def edit(*, session: Session, user: User, erratum_id: int, data: ErratumUpdate) -> Erratum:
    """Change the describing fields; never the status (that is what transitions are for)."""
    throttle("edit", rate=get_settings().rate_edit, user_id=user.id, ip=None, what="edits")
    erratum = get(session=session, erratum_id=erratum_id)
    is_moderator = may_moderate(session, user, erratum.course_id)
    if not is_moderator:
        if erratum.reporter_id != user.id:
            raise PermissionDenied("Only the reporter and the course's moderators can edit this.")
        if erratum.status != S.reported:
            raise Conflict(
                f"This erratum is already {erratum.status.value}; ask a moderator to change it."
            )
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "title" in changes:
        changes["title"] = clean_title(changes["title"], empty=NO_TITLE)
    _check_lengths(changes)
    changes = {k: v for k, v in changes.items() if getattr(erratum, k) != v}
    if not changes:
        return erratum
    changes["updated_at"] = utcnow()
    stmt = update(Erratum).where(col(Erratum.id) == erratum_id)
    if not is_moderator:
        # The reporter's edit only lands while the report is still pending, even if a
        # moderator verifies it in the same instant.
        stmt = stmt.where(col(Erratum.status) == S.reported)
    result = session.execute(stmt.values(**changes).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("A moderator changed this erratum just now; reload it and try again.")
    events.record(session, doc_type="erratum", doc_id=erratum_id)
    session.commit()
    session.refresh(erratum)
    return erratum


# Transitions


def allowed_transitions(status: ErratumStatus) -> frozenset[ErratumStatus]:
    return TRANSITIONS[status]


def _ensure_released(session: Session, erratum: Erratum, version: str) -> None:
    """A fix is in a notebook learners can open: "fixed in 4" while the current notebook is 3
    would tell version-3 learners their notebook has the fix."""
    assignment = session.get(Assignment, erratum.assignment_id) if erratum.assignment_id else None
    if assignment is None or not assignment.notebook_version:
        return
    current = assignment.notebook_version
    if version_key(version) > version_key(current):
        raise InvalidInput(
            f"Version {version} is newer than the current notebook ({current}). Publish the "
            f"fixed notebook first (or mark it fixed in {current} if that has the fix)."
        )


def transition(
    *,
    session: Session,
    user: User,
    erratum_id: int,
    to_status: ErratumStatus,
    reason: str = "",
    duplicate_of_id: int | None = None,
    fixed_in: str | None = None,
) -> Erratum:
    """Move an erratum along its lifecycle; one history row per change.

    Raises:
        NotFound: no such erratum (or duplicate target).
        PermissionDenied: the user moderates neither the site nor this course.
        InvalidInput: a missing reason, version or duplicate target.
        Conflict: the move isn't allowed from the current status, or someone else moved it first.
    """
    assert user.id is not None
    erratum = _load_for_transition(session, erratum_id)
    ensure_may_moderate(session, user, erratum.course_id)
    current = ErratumStatus(erratum.status)
    if to_status not in TRANSITIONS[current]:
        raise Conflict(_refusal(current, to_status))
    reason = reason.strip()
    values: dict[str, Any] = {"status": to_status, "updated_at": utcnow()}
    # A suspected erratum (issue #18) gets the learners' consensus output as its correction.
    values.update(suspects.transition_values(session=session, erratum=erratum, to_status=to_status))
    if to_status == S.verified:
        values["verifier_id"] = user.id
    elif to_status == S.rejected:
        if not reason:
            raise InvalidInput("Explain why this isn't an erratum; learners will see the reason.")
        values["resolution_note"] = reason
    elif to_status == S.duplicate:
        original = _check_duplicate_target(session, erratum, duplicate_of_id)
        values["duplicate_of_id"] = original.id
        values["resolution_note"] = reason or f"Duplicate of erratum #{original.id}."
    elif to_status == S.fixed:
        version = (fixed_in or "").strip()
        if not version:
            raise InvalidInput("Say which notebook version fixes it, e.g. 3a.")
        if len(version) > 20:
            raise InvalidInput("The version is longer than 20 characters; shorten it.")
        _ensure_released(session, erratum, version)
        values["fixed_in"] = version
        if reason:
            values["resolution_note"] = reason
    move_status(
        session=session,
        erratum_id=erratum_id,
        expected=current,
        values=values,
        actor_id=user.id,
        reason=reason if to_status != S.fixed else _fixed_reason(values["fixed_in"], reason),
    )
    events.record(session, doc_type="erratum", doc_id=erratum_id)
    session.refresh(erratum)
    # A suspected erratum's reporters get their own notice ("your code was right"), not both.
    specific = suspects.reporters_to_tell(session=session, erratum=erratum, actor_id=user.id)
    notifications.notify_transition(
        session=session, erratum=erratum, actor_id=user.id, exclude=specific
    )
    suspects.after_transition(session=session, erratum=erratum, actor_id=user.id)
    session.commit()
    session.refresh(erratum)
    return erratum


def move_status(
    *,
    session: Session,
    erratum_id: int,
    expected: ErratumStatus,
    values: dict[str, Any],
    actor_id: int,
    reason: str,
) -> None:
    """Write ``values`` (with the new ``status``) and one history row, in the caller's transaction.

    Compare-and-set: only the transaction that still sees ``expected`` wins (ACCEPTANCE A4).

    Raises:
        Conflict: someone else moved the erratum first (the transaction is rolled back).
    """
    result = session.execute(
        update(Erratum)
        .where(col(Erratum.id) == erratum_id, col(Erratum.status) == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("Someone else changed this erratum's status just now; reload to see it.")
    session.add(
        ErratumHistory(
            erratum_id=erratum_id,
            actor_id=actor_id,
            from_status=expected,
            to_status=values["status"],
            reason=reason,
        )
    )


def _load_for_transition(session: Session, erratum_id: int) -> Erratum:
    # A seam for the race tests: both racers load the same status before either writes.
    return get(session=session, erratum_id=erratum_id)


def _fixed_reason(version: str, reason: str) -> str:
    return f"Fixed in {version}." + (f" {reason}" if reason else "")


def _refusal(current: ErratumStatus, to_status: ErratumStatus) -> str:
    verbs = {
        S.verified: "verified",
        S.rejected: "rejected",
        S.duplicate: "marked duplicate",
        S.fixed: "marked fixed",
        S.reported: "reopened",
    }
    if current == to_status:
        return f"This erratum is already {current.value}; reload to see its history."
    hint = {
        S.reported: "",
        S.verified: " Only a fix (with its version) can follow.",
    }.get(current, " It is closed.")
    return f"A {current.value} erratum can't be {verbs[to_status]}.{hint}".strip()


def _check_duplicate_target(
    session: Session, erratum: Erratum, duplicate_of_id: int | None
) -> Erratum:
    if duplicate_of_id is None:
        raise InvalidInput("Say which erratum this one duplicates.")
    if duplicate_of_id == erratum.id:
        raise InvalidInput("An erratum can't be a duplicate of itself; pick the original.")
    original = session.get(Erratum, duplicate_of_id)
    if original is None:
        raise NotFound(f"There is no erratum {duplicate_of_id} to point the duplicate at.")
    if original.course_id != erratum.course_id:
        raise InvalidInput("The original erratum belongs to another course; pick one in this one.")
    if original.status == S.duplicate and original.duplicate_of_id is not None:
        # Point at the root, so that chains never form.
        root = session.get(Erratum, original.duplicate_of_id)
        if root is not None and root.id != erratum.id:
            return root
    if original.status == S.rejected:
        raise InvalidInput("That erratum was rejected; reject this one with the same reason.")
    return original


# "Affects me too" and linked threads


def toggle_affects(*, session: Session, user: User, erratum_id: int) -> tuple[bool, int]:
    """Mark or unmark "affects me too"; returns (marked now, the new count)."""
    throttle("vote", rate=get_settings().rate_vote, user_id=user.id, ip=None, what="votes")
    erratum = get(session=session, erratum_id=erratum_id)
    assert user.id is not None
    existing = session.exec(
        select(ErratumAffect).where(
            ErratumAffect.erratum_id == erratum_id, ErratumAffect.user_id == user.id
        )
    ).first()
    if existing is not None:
        session.execute(delete(ErratumAffect).where(col(ErratumAffect.id) == existing.id))
        marked = False
    else:
        session.add(ErratumAffect(erratum_id=erratum_id, user_id=user.id))
        try:
            session.flush()
        except IntegrityError:
            # A double click raced us: the mark exists, which is what the user wanted.
            session.rollback()
        marked = True
    _recount_affects(session, erratum_id)
    session.commit()
    session.refresh(erratum)
    return marked, erratum.affects_count


def set_affects(*, session: Session, user: User, erratum_id: int, affected: bool) -> int:
    """Idempotent form of the toggle; returns the new count."""
    marked = affects_me(session=session, user=user, erratum_id=erratum_id)
    if marked != affected:
        return toggle_affects(session=session, user=user, erratum_id=erratum_id)[1]
    return get(session=session, erratum_id=erratum_id).affects_count


def _recount_affects(session: Session, erratum_id: int) -> None:
    # Recount rather than increment: the count can never drift from the marks.
    count = (
        select(func.count())
        .select_from(ErratumAffect)
        .where(col(ErratumAffect.erratum_id) == erratum_id)
        .scalar_subquery()
    )
    session.execute(
        update(Erratum)
        .where(col(Erratum.id) == erratum_id)
        .values(affects_count=count)
        .execution_options(synchronize_session=False)
    )


def affects_me(*, session: Session, user: User | None, erratum_id: int) -> bool:
    if user is None:
        return False
    row = session.exec(
        select(ErratumAffect.id).where(
            ErratumAffect.erratum_id == erratum_id, ErratumAffect.user_id == user.id
        )
    ).first()
    return row is not None


def link_thread(*, session: Session, user: User, erratum_id: int, thread_id: int) -> Erratum:
    """Link a thread that discusses the erratum; returns the erratum.

    The course's moderators link any thread; a reporter links only threads they wrote: a linked
    thread's followers are notified of the erratum's changes, so linking someone else's thread
    would let a learner message its followers (issue #11).
    """
    erratum = get(session=session, erratum_id=erratum_id)
    is_moderator = may_moderate(session, user, erratum.course_id)
    if not is_moderator and erratum.reporter_id != user.id:
        ensure_may_moderate(session, user, erratum.course_id)
    thread = visible_thread(session=session, thread_id=thread_id, viewer=user)
    if thread is None:
        raise NotFound(f"There is no thread {thread_id}; check the link.")
    if not is_moderator and thread.author_id != user.id:
        raise PermissionDenied(
            "You can link only threads you started; ask a moderator to link this one."
        )
    if thread.course_id != erratum.course_id:
        raise InvalidInput("That thread belongs to another course.")
    if thread_id in linked_thread_ids(session=session, erratum=erratum):
        return erratum
    session.add(ErratumLink(erratum_id=erratum_id, thread_id=thread_id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # linked by a concurrent request: the outcome is the same
    return erratum


def unlink_thread(*, session: Session, user: User, erratum_id: int, thread_id: int) -> Erratum:
    """Remove a thread's link; returns the erratum."""
    erratum = get(session=session, erratum_id=erratum_id)
    ensure_may_moderate(session, user, erratum.course_id)
    session.execute(
        delete(ErratumLink).where(
            col(ErratumLink.erratum_id) == erratum_id, col(ErratumLink.thread_id) == thread_id
        )
    )
    session.commit()
    return erratum


def linked_thread_ids(*, session: Session, erratum: Erratum) -> list[int]:
    """The source thread first, then the linked ones."""
    ids = [erratum.source_thread_id] if erratum.source_thread_id else []
    for tid in session.exec(
        select(ErratumLink.thread_id)
        .where(ErratumLink.erratum_id == erratum.id)
        .order_by(col(ErratumLink.id))
    ).all():
        if tid not in ids:
            ids.append(tid)
    return ids


def linked_threads(*, session: Session, erratum: Erratum) -> list[Thread]:
    ids = linked_thread_ids(session=session, erratum=erratum)
    if not ids:
        return []
    rows = session.exec(
        select(Thread).where(
            col(Thread.id).in_(ids),
            col(Thread.deleted_at).is_(None),
            # An erratum's page is public: a private thread is never listed on it (issue #17).
            col(Thread.is_private).is_(False),
        )
    ).all()
    by_id = {t.id: t for t in rows}
    return [by_id[i] for i in ids if i in by_id]


def history(*, session: Session, erratum_id: int) -> list[ErratumHistory]:
    return list(
        session.exec(
            select(ErratumHistory)
            .where(ErratumHistory.erratum_id == erratum_id)
            .order_by(col(ErratumHistory.created_at), col(ErratumHistory.id))
        ).all()
    )


# Queries


def list_errata(
    *,
    session: Session,
    course_id: int | None = None,
    assignment_id: int | None = None,
    statuses: Sequence[ErratumStatus] | None = None,
    version: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Erratum], int]:
    """Errata of a course (or assignment), verified and fixed by default; newest first."""
    statuses = tuple(statuses) if statuses else DEFAULT_STATUSES
    conditions: list[Any] = [col(Erratum.status).in_(statuses)]
    if course_id is not None:
        conditions.append(col(Erratum.course_id) == course_id)
    if assignment_id is not None:
        conditions.append(col(Erratum.assignment_id) == assignment_id)
    if version and version.strip():
        # Which versions an erratum concerns is a rule of version order ("v3" is "3", "3A" is
        # "3a"), not of spelling: the list is narrowed in Python (errata.versions.affects), the
        # rule the notebook banner and the assistant use; a course has hundreds of errata, not
        # millions.
        listed = session.exec(
            select(Erratum.id, Erratum.affected_versions).where(*conditions)
        ).all()
        ids = [i for i, affected in listed if affects(affected, version)]
        conditions.append(col(Erratum.id).in_(ids))
    count = session.exec(select(func.count()).select_from(Erratum).where(*conditions)).one()
    rows = session.exec(
        select(Erratum)
        .where(*conditions)
        .order_by(col(Erratum.created_at).desc(), col(Erratum.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(count)


def moderation_queue(
    *, session: Session, user: User, statuses: Sequence[ErratumStatus] = (S.reported,)
) -> list[Erratum]:
    """Errata awaiting this moderator: most "affects me" first, then oldest first."""
    query = select(Erratum).where(col(Erratum.status).in_(tuple(statuses)))
    courses = moderated_course_ids(session, user)
    if courses is not None:
        query = query.where(col(Erratum.course_id).in_(courses))
    query = query.order_by(
        col(Erratum.affects_count).desc(), col(Erratum.created_at), col(Erratum.id)
    )
    return list(session.exec(query.limit(500)).all())


def known_errata(
    *, session: Session, course_id: int, assignment_id: int | None = None, limit: int = 5
) -> list[Erratum]:
    """For banners: verified errata first, then those fixed in a version newer learners may lack.

    Errata fixed in the assignment's current notebook version come last; rejected, duplicate and
    pending reports never show.
    """
    query = select(Erratum).where(
        col(Erratum.course_id) == course_id, col(Erratum.status).in_(DEFAULT_STATUSES)
    )
    current: str | None = None
    if assignment_id is not None:
        query = query.where(col(Erratum.assignment_id) == assignment_id)
        assignment = session.get(Assignment, assignment_id)
        current = assignment.notebook_version if assignment else None
    rows = list(session.exec(query.limit(200)).all())

    def rank(e: Erratum) -> tuple[int, int, float]:
        group = 0 if e.status == S.verified else (2 if e.fixed_in == current else 1)
        return (group, -e.affects_count, -e.created_at.timestamp())

    return sorted(rows, key=rank)[:limit]


# Duplicate suggestions


def suggest_similar(
    *,
    session: Session,
    course_id: int,
    assignment_id: int | None,
    title: str,
    text: str = "",
    limit: int = 5,
    exclude_id: int | None = None,
) -> list[tuple[Erratum, float]]:
    """Existing errata of the same course and assignment that look like the one being
    reported, best first.

    Always through the search index (meaning and identifiers), in every mode: with the index
    thread off (tests, the CLI) the search first applies pending events in this thread, so
    what is suggested is what production suggests.
    """
    found = index_service.similar_errata(
        session=session, title=title, text=text, course_id=course_id,
        assignment_id=assignment_id, statuses=tuple(s.value for s in SUGGEST_STATUSES),
        limit=limit, exclude_id=exclude_id,
    )  # fmt: skip
    if not found:
        return []
    rows = {e.id: e for e in session.exec(
        select(Erratum).where(col(Erratum.id).in_([i for i, _ in found]))
    ).all()}  # fmt: skip
    return [(rows[i], score) for i, score in found if i in rows]
