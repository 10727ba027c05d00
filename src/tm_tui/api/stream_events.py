"""Typed events a stream yields while it arrives, and the assembled tool call."""

from __future__ import annotations

from dataclasses import dataclass

from tm_tui.api.models.base import Usage


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of tool call `index`: `arguments` is to be appended to what came before."""

    index: int
    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage


type StreamEvent = TextDelta | ReasoningDelta | ToolCallDelta | UsageReport


@dataclass(frozen=True, slots=True)
class ToolCall:
    index: int
    id: str | None
    type: str | None
    name: str
    arguments: str
