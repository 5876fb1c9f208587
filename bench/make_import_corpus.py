"""Write a JSON Lines corpus for ``checkfirst import``: errata and threads across five courses.

    .venv/bin/python bench/make_import_corpus.py --records 5000 --out var/bench/import.jsonl
    export CHECKFIRST_DATA_DIR=var/bench-import
    .venv/bin/checkfirst db upgrade
    time .venv/bin/checkfirst import var/bench/import.jsonl

Deterministic (seeded), so two runs write the same file and a second import is all "unchanged".
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

COURSES = {
    "neural-networks-deep-learning": ("Neural Networks and Deep Learning", [
        "python-basics-numpy", "logistic-regression", "planar-data-classification",
        "deep-nn-step-by-step", "deep-nn-application",
    ]),
    "improving-deep-neural-networks": ("Improving Deep Neural Networks", [
        "initialization", "regularization", "gradient-checking", "optimization-methods",
        "tensorflow-introduction",
    ]),
    "convolutional-neural-networks": ("Convolutional Neural Networks", [
        "convolution-model-step-by-step", "convolution-model-application", "residual-networks",
        "car-detection-yolo", "face-recognition",
    ]),
    "sequence-models": ("Sequence Models", [
        "building-rnn-step-by-step", "dinosaur-island", "jazz-improvisation-lstm",
        "operations-on-word-vectors", "transformers-architecture",
    ]),
    "structuring-ml-projects": ("Structuring Machine Learning Projects", [
        "bird-recognition-case-study", "autonomous-driving-case-study",
    ]),
}  # fmt: skip
FUNCTIONS = [
    "rnn_forward", "rnn_cell_forward", "lstm_forward", "lstm_cell_forward", "lstm_backward",
    "conv_forward", "conv_single_step", "pool_forward", "pool_backward", "zero_pad",
    "L_model_forward", "L_model_backward", "linear_activation_backward", "compute_cost",
    "initialize_parameters_he", "forward_propagation_with_dropout", "gradient_check_n",
    "update_parameters_with_adam", "yolo_filter_boxes", "triplet_loss",
    "scaled_dot_product_attention",
]  # fmt: skip
KINDS = ["wrong_expected_output", "wrong_test", "instructions", "grader_mismatch", "environment"]
STATUSES = ["reported"] * 4 + ["verified"] * 3 + ["fixed"] * 2 + ["rejected", "duplicate"]


def array(rng: random.Random, n: int = 4) -> str:
    return "[" + " ".join(f"{rng.uniform(-1, 1): .8f}" for _ in range(n)) + "]"


def erratum(rng: random.Random, i: int, earlier: list[str]) -> dict[str, object]:
    course = rng.choice(list(COURSES))
    title, assignments = COURSES[course]
    assignment = rng.choice(assignments)
    fn = rng.choice(FUNCTIONS)
    status = rng.choice(STATUSES)
    record: dict[str, object] = {
        "type": "erratum",
        "external_id": f"bench-erratum-{i:06d}",
        "course": course,
        "course_title": title,
        "assignment": assignment,
        "assignment_title": assignment.replace("-", " ").title(),
        "title": f"{fn}: expected output {rng.choice(['a_next', 'dW1', 'Z', 'cache', 'cost'])} "
        f"disagrees with the formula (case {i})",
        "body": f"Running `{fn}` with the notebook's seed prints a different value than the "
        f"expected output cell. Checked against a NumPy reference implementation.",
        "status": status,
        "kind": rng.choice(KINDS),
        "published_output": f"{fn} output = {array(rng)}",
        "corrected_output": f"{fn} output = {array(rng)}",
        "fixed_in": rng.choice(["2", "3", "3a", "4"]) if status == "fixed" else None,
        "location": fn,
    }
    if status == "rejected":
        record["resolution_note"] = "The expected output is right; check the transpose of Wax."
    if status == "duplicate" and earlier:
        record["duplicate_of"] = rng.choice(earlier[-50:])
    return record


def thread(rng: random.Random, i: int) -> dict[str, object]:
    course = rng.choice(list(COURSES))
    title, assignments = COURSES[course]
    assignment = rng.choice(assignments)
    fn = rng.choice(FUNCTIONS)
    n = rng.randint(0, 4)
    accepted = rng.randrange(n) if n and rng.random() < 0.5 else -1
    return {
        "type": "thread",
        "external_id": f"bench-thread-{i:06d}",
        "course": course,
        "course_title": title,
        "assignment": assignment,
        "assignment_title": assignment.replace("-", " ").title(),
        "title": f"{fn} fails the test: AssertionError: Wrong values (question {i})",
        "body": f"```\nAssertionError: Wrong values in {fn}\nExpected {array(rng)}\n```",
        "replies": [
            {
                "body": f"Check the shapes in `{fn}`; reply {k}.",
                "accepted": k == accepted,
                "endorsed": k == accepted and rng.random() < 0.5,
            }
            for k in range(n)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--errata-share", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("var/bench/import.jsonl"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    earlier: list[str] = []
    with args.out.open("w", encoding="utf-8") as fh:
        for i in range(args.records):
            if rng.random() < args.errata_share:
                record = erratum(rng, i, earlier)
                if record["status"] != "duplicate":
                    earlier.append(str(record["external_id"]))
            else:
                record = thread(rng, i)
            fh.write(json.dumps(record) + "\n")
    print(f"wrote {args.records} records to {args.out}")


if __name__ == "__main__":
    main()
