"""Moderators' view of asks that found nothing: recent no-match asks, grouped by similarity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from assistant.models import AskLog
from assistant.schemas import Verdict
from forum.models import Course
from index.text import token_set


@dataclass
class AskGroup:
    size: int
    example: str
    asks: list[AskLog]
    terms: list[str]


def _tokens(text: str) -> set[str]:
    """The one tokenizer's words (``index.text``), without the short and conversational ones
    that would group unrelated asks."""
    return {t for t in token_set(text) if len(t) > 2 and t not in _CHATTER}


# Conversation filler beyond the tokenizer's stop words.
_CHATTER = frozenset(
    "get getting still just like some about any also again".split()  # noqa: SIM905
)


def no_match_asks(
    session: Session, *, course_ids: Sequence[int] | None = None, limit: int = 200
) -> list[AskLog]:
    stmt = (
        select(AskLog)
        .where(AskLog.verdict == Verdict.no_match.value)
        .order_by(col(AskLog.created_at).desc(), col(AskLog.id).desc())
        .limit(limit)
    )
    if course_ids is not None:
        slugs = session.exec(select(Course.slug).where(col(Course.id).in_(course_ids))).all()
        stmt = stmt.where(col(AskLog.course).in_(list(slugs)))
    return list(session.exec(stmt).all())


def group_asks(asks: Sequence[AskLog], *, threshold: float = 0.6) -> list[AskGroup]:
    """Greedy clustering by embedding cosine (the index's encoder); lexical Jaccard fallback."""
    vectors: Any = None
    try:
        from index.encoder import get_encoder

        vectors = get_encoder().encode([a.question[:1000] for a in asks]) if asks else None
    except Exception:  # noqa: BLE001 — the encoder is optional here; fall back to words.
        vectors = None
    tokens = [_tokens(a.question + "\n" + a.terms) for a in asks]
    groups: list[list[int]] = []
    for i in range(len(asks)):
        placed = False
        for g in groups:
            j = g[0]
            if vectors is not None:
                sim = float(vectors[i] @ vectors[j])
                same = sim >= max(threshold, 0.6)
            else:
                union = tokens[i] | tokens[j]
                sim = len(tokens[i] & tokens[j]) / len(union) if union else 0.0
                same = sim >= 0.35
            if same:
                g.append(i)
                placed = True
                break
        if not placed:
            groups.append([i])
    out: list[AskGroup] = []
    for g in groups:
        members = [asks[i] for i in g]
        common = set.intersection(*(tokens[i] for i in g)) if len(g) > 1 else tokens[g[0]]
        out.append(
            AskGroup(
                size=len(members),
                example=members[0].question,
                asks=members,
                terms=sorted(common)[:8],
            )  # fmt: skip
        )
    return sorted(out, key=lambda grp: -grp.size)
