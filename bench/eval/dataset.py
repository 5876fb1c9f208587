"""The evaluation data: corpus and question files under ``bench/eval/data``, the dev/test split,
and checks that keep the questions honest (see README.md for the format and writing rules)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
STYLES = ("pasted", "described")
ANSWERS = ("erratum", "own_bug", "none")


def split_of(question_id: str) -> str:
    """``test`` when sha1(id) starts with 0-7, else ``dev``: fixed by the id, so nobody can
    move a question between splits by editing a field, and new questions land ~50/50."""
    return "test" if hashlib.sha1(question_id.encode()).hexdigest()[0] in "01234567" else "dev"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return out


def data_files(data: Path = DATA) -> list[Path]:
    return sorted(data.glob("corpus/*.jsonl")) + sorted(data.glob("questions/*.jsonl"))


def load_corpus(data: Path = DATA) -> list[dict[str, Any]]:
    """Every corpus record; duplicate reports last, since they name the erratum they duplicate
    and the importer needs that one first."""
    records = [r for p in sorted(data.glob("corpus/*.jsonl")) for r in _read_jsonl(p)]
    return sorted(records, key=lambda r: bool(r.get("duplicate_of")))


@dataclass
class Question:
    raw: dict[str, Any]
    file: str

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def expect(self) -> list[str]:
        return list(self.raw.get("expect") or [])

    @property
    def split(self) -> str:
        return split_of(self.id)

    @property
    def style(self) -> str:
        return str(self.raw.get("style", ""))

    @property
    def answer(self) -> str:
        return str(self.raw.get("answer", ""))

    @property
    def hard_negative(self) -> bool:
        return bool(self.raw.get("hard_negative"))


def load_questions(data: Path = DATA) -> list[Question]:
    return [
        Question(raw, path.name)
        for path in sorted(data.glob("questions/*.jsonl"))
        for raw in _read_jsonl(path)
    ]


# A described question has words only: no error line, no traceback, no number from the output.
_ERROR_WORD = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|Traceback|-{10,}")
_NUMBER = re.compile(r"(?<![A-Za-z_])\d+\.\d+|\(\s*\d+\s*,")


def problems(questions: list[Question], corpus: list[dict[str, Any]]) -> list[str]:
    """What breaks the format or the writing rules, one line per problem (empty when clean)."""
    known = {r.get("external_id") for r in corpus}
    kinds = {r.get("external_id"): r.get("type") for r in corpus}
    out: list[str] = []
    seen: set[str] = set()
    for q in questions:
        where = f"{q.file} {q.raw.get('id', '?')}"
        if "id" not in q.raw or "question" not in q.raw:
            out.append(f"{where}: needs id and question")
            continue
        if q.id in seen:
            out.append(f"{where}: duplicate id")
        seen.add(q.id)
        if q.raw.get("split") not in (None, q.split):
            out.append(f"{where}: split says {q.raw['split']!r}, the sha1 rule says {q.split!r}")
        if q.style not in STYLES:
            out.append(f"{where}: style must be one of {STYLES}")
        if q.answer not in ANSWERS:
            out.append(f"{where}: answer must be one of {ANSWERS}")
        missing = [e for e in q.expect if e not in known]
        if missing:
            out.append(f"{where}: expect names unknown ids {missing}")
        if (q.answer == "none") != (not q.expect):
            out.append(f"{where}: answer 'none' exactly when expect is empty")
        if q.answer == "erratum" and not any(kinds.get(e) == "erratum" for e in q.expect):
            out.append(f"{where}: answer 'erratum' but expect names no erratum")
        if q.hard_negative and q.answer != "own_bug":
            out.append(f"{where}: a hard negative is an own_bug question")
        if q.style == "described":
            text = q.raw["question"]
            if q.raw.get("traceback") or q.raw.get("output"):
                out.append(f"{where}: described but has a traceback or output")
            elif _ERROR_WORD.search(text) or _NUMBER.search(text):
                out.append(f"{where}: described but quotes an error line or a number")
    return out
