"""A stand-in OpenAI-compatible chat-completions server, spoken to over real HTTP.

It streams server-sent events exactly as the real protocol does (``data: {chunk}`` lines, then
``data: [DONE]``). The requested ``model`` picks its behaviour: ``echo`` rephrases the draft
answer keeping the markers, ``slow`` does the same one word every second, ``drop`` strips the
markers, ``invent`` cites a source that does not exist, ``error`` answers 500.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

DRAFT = "Draft answer (every statement cites a source):\n"


def make_app(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        received.append({"body": body, "authorization": request.headers.get("authorization")})
        model = body.get("model")
        if model == "error":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        draft = body["messages"][-1]["content"].split(DRAFT, 1)[1]
        if model == "drop":
            text = re.sub(r"\s*\[\d+\]", "", draft)
        elif model == "invent":
            text = draft + "\n\nAlso, reinstall numpy. [7]"
        else:
            text = "In short: " + draft
        words = re.split(r"(\s+)", text)

        async def events() -> AsyncIterator[bytes]:
            first = {"id": "c1", "object": "chat.completion.chunk", "model": model,
                     "choices": [{"index": 0, "delta": {"role": "assistant"}}]}  # fmt: skip
            yield f"data: {json.dumps(first)}\n\n".encode()
            for word in words:
                if model == "slow":
                    await asyncio.sleep(1.0)
                chunk = {"id": "c1", "object": "chat.completion.chunk", "model": model,
                         "choices": [{"index": 0, "delta": {"content": word}}]}  # fmt: skip
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            done = {"id": "c1", "object": "chat.completion.chunk", "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
            yield f"data: {json.dumps(done)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class FakeLLM:
    def __init__(self, port: int) -> None:
        self.received: list[dict[str, Any]] = []
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"
        config = uvicorn.Config(
            make_app(self.received), host="127.0.0.1", port=port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(port: int) -> Iterator[FakeLLM]:
    with FakeLLM(port) as fake:
        yield fake
