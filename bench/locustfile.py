"""ACCEPTANCE L1: learners browsing, posting, reporting and asking. Run by bench/load_test.py."""

from __future__ import annotations

import os
import random
import uuid

from locust import HttpUser, between, task

TOKENS = os.environ.get("LOAD_TOKENS", "").split(",")
COURSES = os.environ.get("LOAD_COURSES", "").split(",")
THREADS = [int(x) for x in os.environ.get("LOAD_THREADS", "").split(",") if x]
QUESTIONS = [
    "AssertionError: Wrong values in a_next",
    "my lstm output is slightly off from the expected output",
    "conv_forward Z mean does not match the expected value",
    "dW1 gradient check fails in L_model_backward",
    "shapes not aligned in linear_forward",
]


class Learner(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {random.choice(TOKENS)}"

    @task(6)
    def browse(self) -> None:
        self.client.get("/", name="GET /")
        course = random.choice(COURSES)
        self.client.get(f"/courses/{course}", name="GET /courses/{slug}")
        if THREADS:
            self.client.get(f"/threads/{random.choice(THREADS)}", name="GET /threads/{id}")

    @task(3)
    def ask(self) -> None:
        self.client.post(
            "/api/v1/ask", json={"question": random.choice(QUESTIONS)}, name="POST /api/v1/ask"
        )

    @task(2)
    def search(self) -> None:
        self.client.get(
            "/api/v1/search", params={"q": random.choice(QUESTIONS)}, name="GET /api/v1/search"
        )

    @task(1)
    def post(self) -> None:
        course = random.choice(COURSES)
        self.client.post(
            f"/api/v1/courses/{course}/threads",
            json={"title": f"Load test question {uuid.uuid4().hex[:6]}",
                  "body": "My output differs:\n\n```\n[[0.1 0.2]]\n```"},
            name="POST /api/v1/courses/{slug}/threads",
        )  # fmt: skip

    @task(1)
    def report(self) -> None:
        self.client.post(
            "/api/v1/errata",
            json={"course": random.choice(COURSES), "title": f"Load report {uuid.uuid4().hex[:6]}",
                  "description": "The expected output seems wrong."},
            name="POST /api/v1/errata",
        )  # fmt: skip
