"""Errata that find themselves: agreement among learners' outputs becomes a suspected erratum.

For each location (assignment, notebook version, test or function), after every countable
failing check (``assistant.checks``):

1. each learner counts once, with their latest check; a brand-new account counts
   ``consensus_new_account_weight``; the learners behind one IP address count for at most
   ``consensus_per_ip`` together;
2. the largest group of matching outputs is a *consensus* when it weighs at least
   ``consensus_min_learners`` and is at least ``consensus_majority`` of the location's weight,
   differs from the published expected output, and no erratum of the assignment already has it
   as its corrected (or claimed) output;
3. a consensus files ONE ``reported`` erratum (``errata.suspects``) for the moderators, with the
   consensus output, the published one, the count, the time span and anonymised samples; later
   checks update that row, never a second one (one row per group, unique).

Scattered outputs (real bugs differ from each other) never reach the majority; one learner
running a cell twenty times is one learner.

The loop closes in ``errata.suspects``: verification publishes the consensus output as the
correction and tells the learners; a rejection's reason reaches later learners with the same
output through ``explain_rejection`` (and ``Verdict.rejected_report`` when the search finds it).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from assistant import checks
from assistant.checks import CheckCluster, CheckLocation, FailingCheck
from assistant.matching import compare
from assistant.parsing import Value, parse_values
from assistant.schemas import AskRequest, AskResponse, Source, Verdict
from core.clock import utcnow
from core.errors import DomainError
from core.markdown import render
from core.settings import get_settings
from errata.models import Erratum, ErratumHistory, ErratumKind, ErratumStatus
from errata.suspects import SuspectedErratum, add_learner, consensus_user, set_learners
from forum.models import Assignment, Course
from index import events
from users.models import User

S = ErratumStatus
SAMPLES = 3
SAMPLE_CHARS = 600
# Rows of a group read to find the published expected output most of its learners pasted.
EXPECTED_ROWS = 200
PURGE_EVERY_SECONDS = 3600.0
_last_purge = 0.0
R = TypeVar("R", bound=AskResponse)


@dataclass
class Group:
    cluster_id: int
    learners: set[int] = field(default_factory=set)
    weight: float = 0.0


@dataclass
class Tally:
    """A location's learners, each counted once, by group."""

    total: float
    groups: dict[int, Group]

    def best(self) -> Group | None:
        return max(self.groups.values(), key=lambda g: (g.weight, -g.cluster_id), default=None)


def _capped(weights_by_ip: dict[str, float], per_ip: float) -> float:
    return sum(min(w, per_ip) for w in weights_by_ip.values())


def tally(session: Session, location_id: int) -> Tally:
    """Each learner once (their latest countable check), weighted by the noise rules."""
    settings = get_settings()
    rows = session.exec(
        select(
            FailingCheck.user_id,
            FailingCheck.cluster_id,
            FailingCheck.ip_key,
            FailingCheck.new_account,
        )
        .where(FailingCheck.location_id == location_id, col(FailingCheck.cluster_id).is_not(None))
        .order_by(col(FailingCheck.created_at), col(FailingCheck.id))
    ).all()
    latest: dict[int, tuple[int, str, bool]] = {}
    for user_id, cluster_id, ip, new in rows:
        assert cluster_id is not None
        latest[user_id] = (cluster_id, ip or f"user:{user_id}", new)
    all_ips: dict[str, float] = defaultdict(float)
    by_group: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    groups: dict[int, Group] = {}
    for user_id, (cluster_id, ip, new) in latest.items():
        w = settings.consensus_new_account_weight if new else 1.0
        all_ips[ip] += w
        by_group[cluster_id][ip] += w
        groups.setdefault(cluster_id, Group(cluster_id)).learners.add(user_id)
    for cluster_id, group in groups.items():
        group.weight = _capped(by_group[cluster_id], settings.consensus_per_ip)
    return Tally(_capped(all_ips, settings.consensus_per_ip), groups)


def _values(text: str) -> list[Value]:
    return [v for v in parse_values(text) if v.numbers]


def _same(a: list[Value], b: list[Value]) -> bool:
    return bool(a and b) and (compare(a, b).matched or compare(b, a).matched)


def _published(session: Session, cluster_id: int) -> str:
    """The expected output most of the group's checks pasted (the notebook's published one)."""
    texts = session.exec(
        select(FailingCheck.expected_output)
        .where(FailingCheck.cluster_id == cluster_id)
        .order_by(col(FailingCheck.id).desc())
        .limit(EXPECTED_ROWS)
    ).all()
    counted = Counter(t.strip() for t in texts if t.strip())
    return counted.most_common(1)[0][0] if counted else ""


def _covered(session: Session, assignment_id: int, proposed: list[Value]) -> bool:
    """An erratum of the assignment already has this output as its corrected (or claimed)
    output, or a suspected erratum already proposes it (another version or location)."""
    corrected = session.exec(
        select(Erratum.corrected_output).where(
            Erratum.assignment_id == assignment_id,
            col(Erratum.corrected_output) != "",
            col(Erratum.status) != S.duplicate,
        )
    ).all()
    proposals = session.exec(
        select(SuspectedErratum.proposed_output).where(
            SuspectedErratum.assignment_id == assignment_id
        )
    ).all()
    return any(_same(proposed, _values(text)) for text in [*corrected, *proposals])


def _refresh(
    session: Session,
    suspect: SuspectedErratum,
    group: Group | None,
    total: float,
    *,
    new_reporter: int | None = None,
) -> None:
    """Counts, time span and samples from the group's checks as they are now; who to tell grows
    by ``new_reporter``, or (None) is rebuilt from every check of the group."""
    reports, first, last = session.exec(
        select(
            func.count(col(FailingCheck.id)),
            func.min(FailingCheck.created_at),
            func.max(FailingCheck.created_at),
        ).where(FailingCheck.cluster_id == suspect.cluster_id)
    ).one()
    recent = session.exec(
        select(
            FailingCheck.learner_key,
            FailingCheck.notebook_version,
            FailingCheck.created_at,
            FailingCheck.actual_output,
        )
        .where(FailingCheck.cluster_id == suspect.cluster_id)
        .order_by(col(FailingCheck.id).desc())
        .limit(10 * SAMPLES)
    ).all()
    samples: list[dict[str, str]] = []
    seen: set[str] = set()
    for key, version, at, output in recent:
        if key in seen or len(samples) >= SAMPLES:
            continue
        seen.add(key)
        samples.append(
            {
                "learner": f"learner-{key[:8]}",
                "version": version,
                "at": at.strftime("%Y-%m-%d %H:%M"),
                "output": output[:SAMPLE_CHARS],
            }
        )
    suspect.learners = len(group.learners) if group else 0
    suspect.weight = round(group.weight, 3) if group else 0.0
    suspect.share = round(group.weight / total, 3) if group and total else 0.0
    suspect.reports = int(reports)
    if first is not None and last is not None:
        suspect.first_seen, suspect.last_seen = first, last
    suspect.samples = json.dumps(samples)
    suspect.updated_at = utcnow()
    session.add(suspect)
    assert suspect.id is not None
    if new_reporter is not None:
        add_learner(session=session, suspect_id=suspect.id, user_id=new_reporter)
    else:
        reporters = session.exec(
            select(FailingCheck.user_id)
            .where(FailingCheck.cluster_id == suspect.cluster_id)
            .distinct()
        ).all()
        set_learners(session=session, suspect_id=suspect.id, user_ids=list(reporters))


def _title(location: str, assignment: Assignment, version: str) -> str:
    where = f"{location}" if location else "a cell"
    title = (
        f"Suspected: the expected output of {where} in “{assignment.title}” "
        f"(version {version}) may be wrong"
    )
    return title if len(title) <= 200 else title[:199] + "…"


DESCRIPTION = (
    "Filed by Checkfirst: learners' outputs for {where} agree with each other and differ from "
    "the notebook's published expected output. The count, the time span and anonymised samples "
    "are in the moderator queue.\n\n"
    "**Verify** to publish the learners' output as the corrected expected output: everyone who "
    "reported it is told their code was right. **Reject** with the reason if it is a common "
    "mistake: later learners with this output get your reason in their answer."
)


def _fenced(output: str) -> str:
    fence = "````" if "```" in output else "```"
    return f"\n\nThe learners' output:\n\n{fence}\n{output[:2000]}\n{fence}"


def _file(
    session: Session, loc: CheckLocation, cluster: CheckCluster, published: str, reporter: User
) -> SuspectedErratum:
    """A reported erratum and its suspect row, in the caller's transaction."""
    assignment = session.get(Assignment, loc.assignment_id)
    assert assignment is not None and reporter.id is not None and cluster.id is not None
    where = f"`{loc.location}`" if loc.location else "one cell"
    erratum = Erratum(
        course_id=loc.course_id,
        assignment_id=loc.assignment_id,
        title=_title(loc.location, assignment, loc.notebook_version),
        description=DESCRIPTION.format(where=where) + _fenced(cluster.representative),
        location=loc.location,
        kind=ErratumKind.wrong_expected_output,
        affected_versions=loc.notebook_version,
        published_output=published,
        corrected_output="",  # set on verification (errata.suspects.transition_values)
        reporter_id=reporter.id,
        status=S.reported,
    )
    session.add(erratum)
    session.flush()
    assert erratum.id is not None
    session.add(
        ErratumHistory(
            erratum_id=erratum.id,
            actor_id=reporter.id,
            from_status=None,
            to_status=S.reported,
            reason="Learners' outputs agree and differ from the published expected output.",
        )
    )
    suspect = SuspectedErratum(
        erratum_id=erratum.id,
        cluster_id=cluster.id,
        course_id=loc.course_id,
        assignment_id=loc.assignment_id,
        notebook_version=loc.notebook_version,
        location=loc.location,
        proposed_output=cluster.representative,
        published_output=published,
    )
    session.add(suspect)
    session.flush()
    events.record(session, doc_type="erratum", doc_id=erratum.id)
    return suspect


def evaluate(
    session: Session, *, location_id: int, check: FailingCheck | None = None
) -> SuspectedErratum | None:
    """Update the location's suspected errata and file one when a consensus appears (in the
    caller's transaction); returns the suspect of the location's largest group, if any.

    ``check``: the check just kept (its learner joins its group's suspect); None after checks
    were deleted (every suspect's learners are rebuilt)."""
    settings = get_settings()
    t = tally(session, location_id)
    cluster_ids = select(CheckCluster.id).where(CheckCluster.location_id == location_id)
    existing = {
        s.cluster_id: s
        for s in session.exec(
            select(SuspectedErratum).where(col(SuspectedErratum.cluster_id).in_(cluster_ids))
        ).all()
    }
    for cluster_id, suspect in existing.items():
        if check is None:
            _refresh(session, suspect, t.groups.get(cluster_id), t.total)
        else:
            joined = check.user_id if check.cluster_id == cluster_id else None
            if joined is not None or cluster_id in t.groups:
                _refresh(session, suspect, t.groups.get(cluster_id), t.total, new_reporter=joined)
    best = t.best()
    if best is None:
        return None
    if best.cluster_id in existing:
        return existing[best.cluster_id]
    if best.weight < settings.consensus_min_learners - 1e-9:
        return None
    if t.total <= 0 or best.weight / t.total < settings.consensus_majority - 1e-9:
        return None
    cluster = session.get(CheckCluster, best.cluster_id)
    loc = session.get(CheckLocation, location_id)
    assert cluster is not None and loc is not None
    proposed = _values(cluster.representative)
    published = _published(session, best.cluster_id)
    if not published or _same(proposed, _values(published)):
        return None  # agreeing with the notebook is no erratum
    if _covered(session, loc.assignment_id, proposed):
        return None
    reporter = consensus_user(session)
    try:
        with session.begin_nested():
            suspect = _file(session, loc, cluster, published, reporter)
    except IntegrityError:  # filed by a concurrent check of the same group
        return session.exec(
            select(SuspectedErratum).where(SuspectedErratum.cluster_id == best.cluster_id)
        ).first()
    _refresh(session, suspect, best, t.total)
    return suspect


# The ask hook


def after_ask(
    session: Session,
    *,
    request: AskRequest,
    response: R,
    user: User | None,
    ip: str | None,
) -> R:
    """Keep the ask's failing check (if it is one), update its location's consensus, and add a
    rejected suspected erratum's explanation to the answer when the output is the one rejected.

    An unknown course, assignment or version in an API ask was refused before the answer
    (``checks.refuse_unknown_target``); one remembered by a chat is simply not recorded.
    """
    try:
        check = checks.record(session, request=request, user=user, ip=ip)
    except DomainError:
        session.rollback()
        check = None
    if check is not None and check.cluster_id is not None:
        evaluate(session, location_id=check.location_id, check=check)
    session.commit()
    _maybe_purge(session)
    return explain_rejection(session, request=request, response=response)


def _maybe_purge(session: Session) -> None:
    global _last_purge
    now = time.monotonic()
    if now - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = now
        checks.purge(session)


def _assignment_id(session: Session, request: AskRequest) -> int | None:
    if not request.assignment:
        return None
    stmt = select(Assignment.id).where(Assignment.slug == request.assignment)
    if request.course:
        stmt = stmt.join(Course, col(Course.id) == col(Assignment.course_id)).where(
            Course.slug == request.course
        )
    ids = session.exec(stmt.limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def explain_rejection(session: Session, *, request: AskRequest, response: R) -> R:
    """The staff's reason, when the learner's output is one a rejected suspected erratum
    proposed and the answer does not already lead with it."""
    actual = _values(request.output or "")
    assignment_id = _assignment_id(session, request) if actual else None
    if assignment_id is None:
        return response
    rows = session.exec(
        select(Erratum, SuspectedErratum)
        .join(SuspectedErratum, col(SuspectedErratum.erratum_id) == col(Erratum.id))
        .where(SuspectedErratum.assignment_id == assignment_id, Erratum.status == S.rejected)
        .limit(50)
    ).all()
    for erratum, suspect in rows:
        if not _same(actual, _values(suspect.proposed_output)):
            continue
        cited = [s for s in response.sources if s.type == "erratum" and s.id == erratum.id]
        if cited and response.verdict == Verdict.rejected_report:
            return response
        assert erratum.id is not None
        n = len(response.sources) + 1
        where = f" for `{suspect.location}`" if suspect.location else ""
        note = erratum.resolution_note.strip() or "the notebook's expected output is right."
        text = (
            f"**The course staff have already checked this output.** {suspect.learners} "
            f"learners reported the same output{where}, and the staff kept the notebook's "
            f"expected output: {note} [{n}]"
        )
        source = Source(
            type="erratum",
            id=erratum.id,
            external_id=erratum.external_id,
            title=erratum.title,
            url=f"/errata/{erratum.id}",
            status=S.rejected.value,
            score=1.0,
            snippet=note[:300],
            labels=["rejected"],
        )
        answer = f"{text}\n\n{response.answer}" if response.answer else text
        verdict = Verdict.rejected_report if response.verdict == Verdict.no_match else None
        return response.model_copy(
            update={
                "answer": answer,
                "answer_html": str(render(answer)),
                "sources": [*response.sources, source],
                "verdict": verdict or response.verdict,
            }
        )
    return response


# Opting out


def set_opt_out(*, session: Session, user: User, opt_out: bool) -> bool:
    """Opt out of (or back into) keeping failing checks; opting out deletes those kept and
    recounts their locations. Returns whether the user's checks are kept from now on."""
    assert user.id is not None
    locations = checks.set_opt_out(session=session, user_id=user.id, opt_out=opt_out)
    if opt_out:
        # Their learners, counts and samples are rebuilt without this learner's checks.
        for location_id in locations:
            evaluate(session, location_id=location_id)
    session.commit()
    return not opt_out
