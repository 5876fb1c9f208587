"""The ask parser's work on adversarial inputs of 1k, 10k and 100k characters, per entry point.

Work is the characters the RE2 engine scanned (``core.linear_regex.WORK``) plus the
Python calls made (``sys.setprofile``); time is CPU time, for orientation only. Linear growth
shows as a work ratio near 10 from 1k to 10k; from 10k to 100k the per-field cap
(``MAX_INPUT_CHARS``) bounds it.

    .venv/bin/python bench/parser_bench.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import matching, parsing, versions  # noqa: E402
from core.linear_regex import MAX_INPUT_CHARS, WORK  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
# The reported question's shape, slash runs, repeated frames, number runs, nested brackets,
# a check word with no verdict (assistant.claims).
INPUTS: dict[str, str] = {
    "(1,111…x": "(1,1111111111",
    "////": "/",
    'File "': 'File "',
    "1 1 1": "1 ",
    "[[[(": "[[[(",
    "ansi": "\x1b[31mError\x1b[0m ",
    "test is": "test is ",
}
ENTRY_POINTS: dict[str, Callable[[str], Any]] = {
    "parse": lambda s: parsing.parse(s, traceback=s, output=s),
    "parse_values": parsing.parse_values,
    "shapes": parsing.shapes,
    "prose": parsing.prose,
    "compare": lambda s: matching.compare(s, s),
    "stated_version": versions.stated_version,
}


def measure(fn: Callable[[str], Any], text: str) -> tuple[int, float]:
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        calls += 1

    WORK.reset()
    start = time.process_time()
    sys.setprofile(count)
    try:
        fn(text)
    finally:
        sys.setprofile(None)
    return WORK.chars + calls, time.process_time() - start


def main() -> None:
    print(f"cap per input field: {MAX_INPUT_CHARS:,} characters")
    header = "".join(f"{f'work@{n // 1000}k':>12}" for n in SIZES)
    print(f"{'entry point':<16}{'input':<11}{header}{'x 1k→10k':>10}{'ms@100k':>9}")
    for name, fn in ENTRY_POINTS.items():
        for label, unit in INPUTS.items():
            works = []
            seconds = 0.0
            for n in SIZES:
                text = (unit * (n // len(unit) + 1))[:n] + "x"
                w, seconds = measure(fn, text)
                works.append(w)
            cells = "".join(f"{w:>12,}" for w in works)
            print(f"{name:<16}{label:<11}{cells}{works[1] / works[0]:>10.1f}{seconds * 1000:>9.0f}")


if __name__ == "__main__":
    main()
