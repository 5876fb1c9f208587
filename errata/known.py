"""Known errata of one assignment for one notebook version: what the notebook banner lists.

A class of thousands opens the same notebook at once, so the answer is built to be cached: its
content depends only on the errata rows (no viewer, no clock), so a proxy may keep it for the
``max-age`` the route sets, and ``etag`` gives a strong validator over the exact bytes sent
(a kernel asking again with ``If-None-Match`` gets a 304 with no body; the server still runs
the one query to know the answer is unchanged).
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel
from sqlmodel import Session, col, select

from errata import present
from errata import service as errata_service
from errata.models import Erratum, ErratumKind, ErratumStatus
from errata.versions import affects, at_or_after

# Versions as course authors write them: "3", "3a", "2.1", "v4-beta".
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"
WORKAROUND_CHARS = 240
# An assignment with more known errata than this has a bigger problem than a banner.
MAX_ROWS = 200


# One erratum as the banner shows it.
class KnownErratum(BaseModel):
    id: int
    title: str
    # Where in the notebook: a function, cell or test name ("" when not given).
    location: str
    kind: ErratumKind
    status: ErratumStatus
    # The first line of the workaround, shortened ("" when there is none).
    workaround: str
    # The erratum's page, relative to the server.
    url: str
    # The notebook version that fixes it, when one does.
    fixed_in: str | None
    # True when the learner's version is that version or a later one.
    fixed_in_your_version: bool


# The answer: the assignment, the version asked about, and its known errata.
class KnownErrata(BaseModel):
    course: str
    assignment: str
    version: str | None
    # The assignment's newest notebook version.
    current_version: str
    data: list[KnownErratum]
    count: int


def _one_line(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = " ".join(first.split())
    if len(first) <= WORKAROUND_CHARS:
        return first
    return first[: WORKAROUND_CHARS - 1].rstrip() + "…"


def known_errata(
    *, session: Session, course: str, assignment: str, version: str | None
) -> KnownErrata:
    """Verified and fixed errata of the assignment that concern ``version``.

    Listed: verified errata affecting the version; fixed ones affecting it (the learner's copy
    still has the mistake: "fixed in N"); and fixed ones whose fix the version already has
    (so the banner can say the learner's version has the fix). Without a version, every
    verified and fixed erratum of the assignment. Order: still wrong in this version first.

    Raises:
        NotFound: no such course, or the course has no such assignment.
    """
    course_row = errata_service.get_course(session=session, slug=course)
    assignment_row = errata_service.get_assignment(
        session=session, course=course_row, slug=assignment
    )
    rows = session.exec(
        select(Erratum)
        .where(
            col(Erratum.assignment_id) == assignment_row.id,
            col(Erratum.status).in_((ErratumStatus.verified, ErratumStatus.fixed)),
        )
        .order_by(col(Erratum.id))
        .limit(MAX_ROWS)
    ).all()
    items = []
    for erratum in rows:
        fixed = erratum.status == ErratumStatus.fixed
        has_fix = fixed and at_or_after(version or "", erratum.fixed_in or "")
        if version and not has_fix and not affects(erratum.affected_versions, version):
            continue
        assert erratum.id is not None
        items.append(
            KnownErratum(
                id=erratum.id,
                title=erratum.title,
                location=erratum.location,
                kind=erratum.kind,
                status=erratum.status,
                workaround=_one_line(erratum.workaround),
                url=present.erratum_url(erratum.id),
                fixed_in=erratum.fixed_in if fixed else None,
                fixed_in_your_version=has_fix,
            )
        )
    # Still wrong in this version (verified, then fixed later) before those already fixed.
    items.sort(key=lambda k: (k.fixed_in_your_version, k.status == ErratumStatus.fixed, k.id))
    return KnownErrata(
        course=course_row.slug,
        assignment=assignment_row.slug,
        version=version,
        current_version=assignment_row.notebook_version,
        data=items,
        count=len(items),
    )


def etag(body: bytes) -> str:
    """A strong entity tag over the exact bytes sent."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, current: str) -> bool:
    """Whether an ``If-None-Match`` header names ``current`` (RFC 9110: weak comparison)."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == current for t in tags)
