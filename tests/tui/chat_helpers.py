"""Helpers for the chat tests: open the chat, send a prompt, read what is shown and stored, and
`Script`, a deterministic SSE reply (real `ChatStream` decoding, a fixed clock and request id) that
can hold mid-way until the test releases it — the way to look at, stop or "crash" a stream at a
known point."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import httpx
import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from tm_tui.api.streaming import ChatStream
from tm_tui.screens.chat import ChatScreen
from tm_tui.widgets.chat_message import AssistantMessage
from tm_tui.widgets.prompt_input import PromptInput

from .helpers import settle

REASONING_MODEL = "MiniMaxAI/MiniMax-M2.5"
PLAIN_MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"


async def open_chat(pilot: Pilot) -> ChatScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    return screen


async def send(pilot: Pilot, text: str, *, wait: bool = True) -> None:
    screen = pilot.app.screen
    screen.query_one(PromptInput).replace_text(text)
    screen.query_one(PromptInput).focus()
    await pilot.press("enter")
    if wait:
        await settle(pilot)


def rows(app) -> list[dict]:
    """Every stored message of the open conversation, read from the file with a separate connection."""
    screen = app.screen if isinstance(app.screen, ChatScreen) else app.get_screen("chat")
    with sqlite3.connect(screen.store.path) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute(
            "SELECT role, content, reasoning, status, error, metrics FROM messages"
            " WHERE conversation_id = ? ORDER BY position",
            (screen.chat.conversation_id,),
        ).fetchall()
    return [dict(row) | {"metrics": json.loads(row["metrics"])} for row in found]


def answers(screen) -> list[AssistantMessage]:
    return list(screen.query(AssistantMessage))


def shown(widget) -> str:
    """The plain text a Static/Markdown subtree shows (what reaches the terminal, minus styling)."""
    parts = []
    for static in [widget, *widget.query(Static)]:
        if isinstance(static, Static):
            rendered = static.render()
            parts.append(rendered.plain if isinstance(rendered, Text) else str(rendered))
    return "\n".join(parts)


def chat_chunk(*, content: str = "", reasoning: str = "", finish: str | None = None) -> dict:
    delta = {k: v for k, v in (("content", content), ("reasoning_content", reasoning)) if v}
    return {
        "id": "chatcmpl-script",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": REASONING_MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(prompt: int, completion: int, cached: int = 0) -> dict:
    return {
        "id": "chatcmpl-script",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": REASONING_MODEL,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


class Script:
    """A scripted SSE reply: `events` are sent, pausing after `hold_after` of them until `release()`."""

    def __init__(
        self, events: Iterable[dict | str], *, hold_after: int | None = None, request_id: str = "req_script"
    ):
        self.frames = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events]
        self.hold_after = hold_after
        self.request_id = request_id
        self.gate = asyncio.Event()
        self.sent = 0

    def release(self) -> None:
        self.gate.set()

    @asynccontextmanager
    async def opener(self) -> AsyncIterator[httpx.Response]:
        script = self

        class Body(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for index, frame in enumerate(script.frames):
                    if index == script.hold_after:
                        await script.gate.wait()
                    script.sent = index + 1
                    yield frame

        yield httpx.Response(
            200,
            headers={"content-type": "text/event-stream", "x-request-id": self.request_id},
            stream=Body(),
            request=httpx.Request("POST", "http://script.invalid/v1/chat/completions"),
        )

    def install(self, monkeypatch: pytest.MonkeyPatch, client) -> None:
        """Make `client.stream_chat` answer with this script, timed by a clock that ticks 0.1 s per read."""
        ticks = itertools.count()
        monkeypatch.setattr(
            client,
            "stream_chat",
            lambda request: ChatStream(self.opener(), model=request.model, clock=lambda: next(ticks) / 10),
        )


def reasoning_script(*, hold_after: int | None = None) -> Script:
    return Script(
        [
            chat_chunk(reasoning="The user wants a greeting. "),
            chat_chunk(reasoning="Keep it short."),
            chat_chunk(content="Hello! "),
            chat_chunk(content="Here is `code`:\n\n```python\nprint('hi')\n```\n"),
            chat_chunk(finish="stop"),
            usage_chunk(20, 30, cached=8),
            "[DONE]",
        ],
        hold_after=hold_after,
    )
