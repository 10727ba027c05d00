"""Helpers for the API layer tests: shared example payloads, base URLs, an instant sleep."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.shared_api import EXAMPLES

CP = "https://cp.test"
SERVERLESS = "https://serverless.test"
ON_DEMAND = "https://gateway.test"
USER_ID = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"


def _strip_notes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_notes(v) for k, v in value.items() if k != "_note"}
    if isinstance(value, list):
        return [_strip_notes(v) for v in value]
    return value


def example(name: str) -> Any:
    """A JSON example from the shared wire reference, without its `_note` annotations."""
    return _strip_notes(json.loads((EXAMPLES / name).read_text()))


def example_text(name: str) -> str:
    return (EXAMPLES / name).read_text()


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


class FakeSleep:
    """Records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
