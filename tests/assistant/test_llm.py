"""LLM phrasing against a fake OpenAI-compatible server over real HTTP (SSE streaming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant import llm
from assistant.schemas import Source
from core.settings import Settings
from tests.assistant.conftest import World
from tests.assistant.fake_llm import FakeLLM
from tests.conftest import free_port

SOURCES = [
    Source(type="erratum", id=1, title="rnn_cell_forward sign", url="/errata/1",
           status="verified", score=1.0, snippet="a_next[4][0] should be 0.59584544"),
    Source(type="thread", id=2, title="shapes not aligned", url="/threads/2", status="answered",
           score=0.5, snippet="index x at time t"),
]  # fmt: skip
DRAFT = "**Verified erratum**: the sign is wrong. [1]\n\nIndex x at time t. [2]"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM(free_port()) as server:
        yield server


def _settings(fake: FakeLLM, model: str, timeout: float = 5.0) -> Settings:
    return Settings(
        llm_base_url=fake.base_url, llm_model=model, llm_api_key="sk-test",
        llm_timeout_seconds=timeout,
    )  # fmt: skip


@pytest.mark.nodb
def test_phrase_streams_and_keeps_markers(fake: FakeLLM) -> None:
    text = llm.phrase(
        question="why?", answer=DRAFT, sources=SOURCES, settings=_settings(fake, "echo")
    )
    assert text is not None and text.startswith("In short: **Verified erratum**")
    assert "[1]" in text and "[2]" in text
    request = fake.received[-1]
    assert request["body"]["stream"] is True
    assert request["authorization"] == "Bearer sk-test"
    prompt = request["body"]["messages"][-1]["content"]
    # The prompt carries the retrieved sources and nothing else to draw on.
    assert "[1] (erratum, verified) rnn_cell_forward sign" in prompt
    assert "[2] (thread, answered) shapes not aligned" in prompt


@pytest.mark.nodb
def test_phrase_slow_server_times_out_to_extractive(fake: FakeLLM) -> None:
    # The slow model would finish a perfectly cited answer, one word a second.
    settings = _settings(fake, "slow", timeout=1.0)
    assert llm.phrase(question="why?", answer=DRAFT, sources=SOURCES, settings=settings) is None


@pytest.mark.nodb
def test_phrase_dropping_citations_is_refused(fake: FakeLLM) -> None:
    settings = _settings(fake, "drop")
    assert llm.phrase(question="why?", answer=DRAFT, sources=SOURCES, settings=settings) is None


@pytest.mark.nodb
def test_phrase_inventing_a_source_is_refused(fake: FakeLLM) -> None:
    settings = _settings(fake, "invent")
    assert llm.phrase(question="why?", answer=DRAFT, sources=SOURCES, settings=settings) is None


@pytest.mark.nodb
def test_phrase_server_error_falls_back(fake: FakeLLM) -> None:
    settings = _settings(fake, "error")
    assert llm.phrase(question="why?", answer=DRAFT, sources=SOURCES, settings=settings) is None


@pytest.mark.nodb
def test_phrase_unreachable_server_falls_back() -> None:
    settings = Settings(llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_seconds=2)
    assert llm.phrase(question="why?", answer=DRAFT, sources=SOURCES, settings=settings) is None


@pytest.mark.nodb
def test_phrase_off_by_default() -> None:
    assert not llm.enabled(Settings(llm_base_url=""))
    assert llm.phrase(question="q", answer=DRAFT, sources=SOURCES, settings=Settings()) is None


@pytest.mark.nodb
def test_verify_requires_a_marker_in_every_paragraph() -> None:
    assert llm.verify(DRAFT, 2)
    assert not llm.verify(DRAFT + "\n\nAn uncited claim.", 2)
    assert not llm.verify("No markers at all.", 2)
    assert not llm.verify("Cites a ghost. [3]", 2)
    assert llm.verify("Output [1]:\n\n```\n[[0.1 0.2]]\n```", 1)


@pytest.mark.model
@pytest.mark.parametrize(("model", "phrased"), [("echo", True), ("drop", False)])
def test_ask_uses_llm_only_when_citations_survive(
    client: TestClient, world: World, fake: FakeLLM, monkeypatch: Any, model: str, phrased: bool
) -> None:
    from core.settings import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "llm_base_url", fake.base_url)
    monkeypatch.setattr(settings, "llm_model", model)
    r = client.post("/api/v1/ask", json={"question": "lstm_backward_test Wrong values for dWf"})
    assert r.status_code == 200
    data = r.json()
    assert data["phrased_by_llm"] is phrased
    assert data["answer"].startswith("In short: ") is phrased
    assert "[1]" in data["answer"]
