"""The chat playground's modes: which inference API a conversation talks to. Standard library only
(the history store records a conversation's mode with it)."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    CHAT = "chat"  # /v1/chat/completions
    COMPLETION = "completion"  # /v1/completions
    RESPONSES = "responses"  # /v1/responses
