"""Words -> identifiers, learned from the course's own content (issue #13).

A learner who writes "the first-layer weight gradient is slightly off" means ``dW1``; the forum
threads and errata of the course use those words near that name. No list is written by hand:
for each course, every thread (title, question and replies) and erratum (title, description,
location, workaround) is one document; a word *links* to an identifier when they appear in the
same documents more often than chance (lift = P(both) / P(word) P(identifier) > 1, seen together
in at least ``MIN_TOGETHER`` documents). A question's links are the identifiers with the largest
sum of log-lifts over its words (``TOP``, each above ``MIN_SCORE``).

The re-ranker's ``linked_overlap`` feature is the share of those identifiers a candidate's text
uses (``assistant.ranking``). Statistics are built once per course and process (about a second
for 3,000 threads), and rebuilt when the course has new posts or errata, at most every
``REFRESH_SECONDS`` for a large course (a rebuild costs about a second per 3,000 threads):
links are soft evidence, a few minutes stale is fine.

The same pass counts, for each short reply's words (``assistant.terms.words_key``), how many
threads carry it word for word: a reply found under ``BOILERPLATE_THREADS`` or more threads of
the course ("same here, following", "check the pinned FAQ", "solved it, thanks") explains none
of them, even when someone marked it accepted (``assistant.ranking``'s ``specific_answer``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from assistant.parsing import identifiers_in
from assistant.terms import words_key
from errata.models import Erratum
from forum.models import Post, Thread
from index.text import token_set

MIN_TOGETHER = 2
# A word in more than this share of the documents says nothing about any one name (judged
# once there are enough documents to tell).
MAX_WORD_SHARE = 0.2
MIN_DOCUMENTS = 50
TOP = 3
MIN_SCORE = 1.0
REFRESH_SECONDS = 300.0
# Below this many documents a rebuild is cheap: always current.
SMALL = 500
# A reply under this many threads of a course, word for word, is boilerplate; replies longer
# than BOILERPLATE_CHARS are not compared (a long reply is rarely repeated verbatim, and
# skipping them keeps the pass cheap).
BOILERPLATE_THREADS = 3
BOILERPLATE_CHARS = 300


@dataclass
class LinkStats:
    """Document counts of words, identifiers and the two together."""

    documents: int = 0
    words: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)
    together: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # The reply texts (``terms.words_key``) found under BOILERPLATE_THREADS or more threads.
    boilerplate: frozenset[str] = frozenset()

    def add(self, text: str) -> None:
        names = {n.lower() for n in identifiers_in(text)}
        words = {w for w in token_set(text) if len(w) > 2 and w.isalpha()} - names
        self.documents += 1
        self.words.update(words)
        self.names.update(names)
        for w in words:
            self.together[w].update(names)

    def telling(self, word: str) -> bool:
        """Whether the course's content ties ``word`` to some identifier (a log-lift of at least
        ``MIN_SCORE``, seen together ``MIN_TOGETHER`` times): a word about the course's code,
        not one every post might say. Every word tells before anything is counted."""
        n = self.documents
        if not n:
            return True
        seen = self.words.get(word, 0)
        if not seen or (n >= MIN_DOCUMENTS and seen > MAX_WORD_SHARE * n):
            return False
        return any(
            both >= MIN_TOGETHER and both * n / (seen * self.names[name]) >= math.e**MIN_SCORE
            for name, both in self.together[word].items()
        )

    def link(self, words: Iterable[str], top: int = TOP) -> set[str]:
        """The identifiers these words point to most, by summed log-lift."""
        n = self.documents
        scores: dict[str, float] = defaultdict(float)
        for w in set(words):
            seen = self.words.get(w, 0)
            if not seen or (n >= MIN_DOCUMENTS and seen > MAX_WORD_SHARE * n):
                continue
            for name, both in self.together[w].items():
                if both < MIN_TOGETHER:
                    continue
                lift = both * n / (seen * self.names[name])
                if lift > 1.0:
                    scores[name] += math.log(lift)
        best = sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:top]
        return {name for name, s in best if s >= MIN_SCORE}


def learn(texts: Iterable[str], replies: Iterable[Iterable[str]] = ()) -> LinkStats:
    """Statistics of documents ``texts`` and of ``replies`` (each thread's reply bodies)."""
    stats = LinkStats()
    for text in texts:
        stats.add(text)
    stats.boilerplate = boilerplate(replies)
    return stats


def boilerplate(replies: Iterable[Iterable[str]]) -> frozenset[str]:
    """The short replies (as ``words_key``) found under ``BOILERPLATE_THREADS`` or more of these
    threads (each thread's replies one iterable); only those are kept, not every reply's key."""
    threads: Counter[str] = Counter()
    for thread_replies in replies:
        threads.update({words_key(r) for r in thread_replies if len(r) <= BOILERPLATE_CHARS} - {""})
    return frozenset(k for k, n in threads.items() if n >= BOILERPLATE_THREADS)


def learn_course(session: Session, course_id: int | None) -> LinkStats:
    texts, replies = course_content(session, course_id)
    return learn(texts, replies)


def course_content(session: Session, course_id: int | None) -> tuple[list[str], list[list[str]]]:
    """One text per public thread (title, question, replies) and per erratum of the course
    (every course when ``course_id`` is None), and each thread's reply bodies."""
    threads = select(Thread.id, Thread.title).where(
        col(Thread.deleted_at).is_(None), col(Thread.is_private).is_(False)
    )
    posts = (
        select(Post.thread_id, Post.body, Post.is_question)
        .join(Thread, col(Thread.id) == col(Post.thread_id))
        .where(
            col(Post.deleted_at).is_(None),
            col(Thread.deleted_at).is_(None),
            col(Thread.is_private).is_(False),
        )
    )
    errata = select(Erratum.title, Erratum.description, Erratum.location, Erratum.workaround)
    if course_id is not None:
        threads = threads.where(Thread.course_id == course_id)
        posts = posts.where(Thread.course_id == course_id)
        errata = errata.where(Erratum.course_id == course_id)
    bodies: dict[int | None, list[str]] = defaultdict(list)
    replies: dict[int | None, list[str]] = defaultdict(list)
    for thread_id, title in session.exec(threads).all():
        bodies[thread_id].append(title)
    for thread_id, body, is_question in session.exec(posts).all():
        if thread_id in bodies:
            bodies[thread_id].append(body)
            if not is_question:
                replies[thread_id].append(body)
    texts = ["\n".join(parts) for parts in bodies.values()]
    texts += ["\n".join(row) for row in session.exec(errata).all()]
    return texts, list(replies.values())


def _signature(session: Session) -> tuple[object, ...]:
    """Changes when posts or errata are added or errata edited (index lookups, no scan)."""
    return (
        session.exec(select(func.max(Post.id))).one(),
        session.exec(select(func.max(Post.created_at))).one(),
        session.exec(select(func.max(Erratum.id))).one(),
        session.exec(select(func.max(Erratum.updated_at))).one(),
    )


Key = tuple[str, int | None]  # (database, course)
Signature = tuple[object, ...]
_lock = threading.Lock()
_cache: dict[Key, tuple[Signature, float, LinkStats]] = {}  # -> (signature, built at, stats)


def stats_for(session: Session, course_id: int | None) -> LinkStats:
    """The course's link statistics, rebuilt when its content changed. A large course is
    checked at most every ``REFRESH_SECONDS`` and rebuilt in a background thread while asks use
    the previous statistics (a rebuild of a big course takes seconds: never on an ask's path
    once there is something to answer with)."""
    bind = session.get_bind()
    key = (str(getattr(bind, "url", "")), course_id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    large = hit is not None and hit[2].documents >= SMALL
    if hit is not None and large and now - hit[1] < REFRESH_SECONDS:
        return hit[2]
    signature = _signature(session)
    if hit is not None and hit[0] == signature:
        with _lock:
            _cache[key] = (signature, now, hit[2])
        return hit[2]
    if hit is not None and large and isinstance(bind, Engine):
        with _lock:
            _cache[key] = (hit[0], now, hit[2])  # one rebuild at a time
        threading.Thread(
            target=_rebuild, args=(bind, key, course_id, signature), daemon=True
        ).start()
        return hit[2]
    stats = learn_course(session, course_id)
    with _lock:
        _cache[key] = (signature, now, stats)
    return stats


def _rebuild(engine: Engine, key: Key, course_id: int | None, signature: Signature) -> None:
    with Session(engine) as session:
        stats = learn_course(session, course_id)
    with _lock:
        _cache[key] = (signature, time.monotonic(), stats)


def clear() -> None:
    with _lock:
        _cache.clear()


def linked(session: Session, course_id: int | None, words: Iterable[str]) -> set[str]:
    """The identifiers the course's content links to the learner's words (the statistics are
    not built for a question without such words)."""
    words = _linkable(words)
    return stats_for(session, course_id).link(words) if words else set()


def linked_in(stats: LinkStats, words: Iterable[str]) -> set[str]:
    """``linked`` with the course's statistics already at hand."""
    words = _linkable(words)
    return stats.link(words) if words else set()


def _linkable(words: Iterable[str]) -> list[str]:
    """The words that can link to a name: alphabetic, longer than two letters."""
    return [w for w in words if len(w) > 2 and w.isalpha()]
