"""Filler threads for the evaluation: plausible forum noise that answers no question.

A real course forum is mostly threads that share the words of the one that answers a question
(the same function names, the same test names, the same ``AssertionError``) but say nothing
useful about it: "same here", "restart the kernel", "please post the traceback", a missing
submission button. Retrieval that only works on a tidy 100-document corpus is not evidence of
anything, so the eval mixes thousands of these in.

Everything course-shaped is taken from the corpus itself (assignments, identifiers, test names,
error lines), so new courses get filler without code changes. The output is a pure function of
(corpus, count, seed): the same inputs give byte-identical records, which the eval cache relies on.

    .venv/bin/python bench/eval/filler.py --count 5 | head   # look at a few
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_COUNT = 3000
DEFAULT_SEED = 13
ID_PREFIX = "fill-t"

_IDENT = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]\b")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\(")
_ERROR = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning): [^\n]{3,160}")
_WRONG = re.compile(r"\bWrong (?:values|shape|type|output)s? for [^\s.,;:]+")


@dataclass
class _Assignment:
    course: str
    course_title: str
    slug: str
    title: str
    functions: set[str] = field(default_factory=set)
    tests: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)


def _texts(record: dict[str, Any]) -> list[str]:
    parts = [record.get("title") or "", record.get("body") or ""]
    parts += [r.get("body") or "" for r in record.get("replies") or []]
    return parts


def _error_line(raw: str) -> str:
    # Keep the message, drop the learner's commentary after it ("... A2. I used np.tanh").
    line = re.split(r"(?<=[^\s.])\.(?:\s|$)", raw, maxsplit=1)[0]
    return line.strip().rstrip(".")


def vocabulary(records: Iterable[dict[str, Any]]) -> list[_Assignment]:
    """Per assignment: its function, test and variable names and the error lines seen in it."""
    found: dict[tuple[str, str], _Assignment] = {}
    for rec in records:
        if not rec.get("assignment"):
            continue
        key = (rec["course"], rec["assignment"])
        a = found.setdefault(
            key,
            _Assignment(
                rec["course"],
                rec.get("course_title") or rec["course"],
                rec["assignment"],
                rec.get("assignment_title") or rec["assignment"],
            ),
        )
        text = "\n".join(_texts(rec))
        calls = set(_CALL.findall(text))
        if rec.get("location"):
            calls.add(rec["location"])
        first = (rec.get("title") or "").split(":")[0].split("(")[0].strip()
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", first) and ("_" in first or first in calls):
            calls.add(first)
        for name in set(_IDENT.findall(text)) | calls:
            if "test" in name.lower():
                a.tests.add(name)
            elif name in calls or name == rec.get("location"):
                a.functions.add(name)
            else:
                a.variables.add(name)
        a.errors.update(_error_line(m.group(0)) for m in _ERROR.finditer(text))
        a.errors.update(f"AssertionError: {m.group(0)}" for m in _WRONG.finditer(text))
    # numpy/builtins picked up as calls ("np.dot(") are not the course's functions.
    for a in found.values():
        a.functions = {f for f in a.functions if "_" in f or f[:1].isupper()}
        a.errors = {e for e in a.errors if len(e) < 160}
    return [found[k] for k in sorted(found)]


# Templates. None of them explains a cause or a fix: they are the noise around real answers.
_TITLES = [
    "{func}: {error}",
    "{error}",
    "{error} in {func}",
    "Question about {func}",
    "{func} kernel keeps dying",
    "Stuck on {func} for hours",
    "{test} fails",
    "{test} failing, please help",
    "{assignment_title}: submission not graded",
    "Is {func} supposed to take this long?",
    "{func} - any hints?",
    "Can't open the {assignment} notebook",
    "{error} after restarting the kernel",
    "Lab doesn't save my {func} work",
    "{func} {var} question",
    "help with {func} pls",
    "{func} passes but grader fails",
    "what does {var} mean in {func}",
    "{assignment_title} week deadline extension?",
    "same error as everyone in {func}?",
]

_BODIES = [
    "I'm working on {func} in {assignment_title} and get this:\n\n{traceback}\n\nAny idea?",
    "{traceback}\n\nI have been on this for two days.",
    "When I run {test} I get\n\n{error}\n\nI already restarted the kernel twice.",
    "My {func} cell has been running for 20 minutes and nothing prints. Is that normal?",
    "Where do I find the hint for {func}? The instructions mention {var} but I can't see where "
    "it is defined.",
    "I submitted {assignment_title} yesterday and the grader still shows nothing.",
    "Not sure if this is a bug: {error}. I'll keep trying.",
    "The {assignment} notebook won't open, it says the kernel is busy.",
    "{error}\n\nI checked {var} and it looks fine to me. Also my {func} printed:\n\n"
    "{var} = {number}",
    "Is it OK to use a for loop in {func} or do we have to vectorise everything?",
    "Quick question about {var} in {func}: should it be a numpy array or a list?",
    "I get {error} only when I run all cells, not one by one.",
    "My output for {func} is {var} = {number}, I'm not sure it is right.",
    "Everything passed locally but {test} gives me\n\n{traceback}",
    "Does anyone else get {error}? Asking before I post my code.",
]

_REPLIES = [
    "Please don't post solution code on the forum; send it to a mentor in a direct message.",
    "Did you restart the kernel and run all the cells from the top?",
    "Same here, following.",
    "Please post the full traceback, not just the last line.",
    "Moving this to the {assignment_title} category.",
    "Solved it, thanks everyone.",
    "Check the pinned FAQ at the top of the forum.",
    "The lab had an outage yesterday; try again now.",
    "Try another browser or clear the browser cache.",
    "I would re-read the instructions for {func} carefully.",
    "I have the same problem with {test}.",
    "Any update on this?",
    "Which version of the notebook are you on?",
    "I'm a mentor: please open a new thread with your question so others can find it.",
    "It works for me. Maybe save your work and get a fresh copy of the notebook.",
    "Have a look at the other threads about {func}, there are many.",
]

_ANSI_RED, _ANSI_GREEN, _ANSI_RESET = "\u001b[0;31m", "\u001b[0;32m", "\u001b[0m"


def _traceback(rnd: random.Random, *, test: str, func: str, error: str) -> str:
    """An IPython-style traceback, sometimes with the colour codes a terminal copy keeps."""
    kind, _, message = error.partition(": ")
    cell, line, frame = rnd.randint(2, 60), rnd.randint(1, 9), rnd.randint(12, 400)
    call = f"{test}({func})" if test else f"{func}(parameters)"
    where = test or func
    colour = rnd.random() < 0.25
    red, green, reset = (_ANSI_RED, _ANSI_GREEN, _ANSI_RESET) if colour else ("", "", "")
    lines = [
        f"{red}---------------------------------------------------------------------------{reset}",
        f"{red}{kind:<42}{reset}Traceback (most recent call last)",
        f"Cell {green}In[{cell}], line {line}{reset}",
        f"{green}----> {line}{reset} {call}",
        f"File {green}~/work/public_tests.py:{frame}{reset}, in {where}(target)",
        f"{red}{kind}{reset}: {message}",
    ]
    if rnd.random() < 0.3:  # learners often paste only the last lines
        lines = lines[-2:]
    return "\n".join(lines)


def _pick(rnd: random.Random, items: Iterable[str], fallback: str) -> str:
    pool = sorted(items)
    return rnd.choice(pool) if pool else fallback


def generate(
    records: Iterable[dict[str, Any]], count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED
) -> list[dict[str, Any]]:
    """``count`` filler thread records in the import format, deterministic in (records, seed)."""
    assignments = vocabulary(records)
    if not assignments or count <= 0:
        return []
    all_errors = sorted({e for a in assignments for e in a.errors})
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        a = rnd.choice(assignments)
        func = _pick(rnd, a.functions, a.slug)
        test = _pick(rnd, a.tests, "")
        # Mostly this assignment's errors, sometimes another's: learners cross-post.
        pool = a.errors if a.errors and rnd.random() < 0.8 else all_errors
        error = _pick(rnd, pool, "AssertionError: Wrong values")
        values = {
            "func": func,
            "test": test or f"{func}_test",
            "var": _pick(rnd, a.variables, "parameters"),
            "error": error,
            "assignment": a.slug,
            "assignment_title": a.title,
            "number": f"{rnd.uniform(-3, 3):.8f}",
        }
        values["traceback"] = _traceback(rnd, test=test, func=func, error=error)
        replies = [
            {
                "body": rnd.choice(_REPLIES).format(**values),
                "accepted": False,
                "endorsed": rnd.random() < 0.1,
            }
            for _ in range(rnd.choice((0, 1, 1, 2, 2, 3)))
        ]
        if replies and rnd.random() < 0.3:
            replies[-1]["accepted"] = True  # "solved, thanks" gets accepted too, in real forums
        out.append(
            {
                "type": "thread",
                "external_id": f"{ID_PREFIX}{n}",
                "course": a.course,
                "course_title": a.course_title,
                "assignment": a.slug,
                "assignment_title": a.title,
                "title": rnd.choice(_TITLES).format(**values)[:200],
                "body": rnd.choice(_BODIES).format(**values),
                "replies": replies,
            }
        )
    return out


def main() -> int:
    from dataset import load_corpus  # type: ignore[import-not-found]  # run as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for rec in generate(load_corpus(), args.count, args.seed):
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
