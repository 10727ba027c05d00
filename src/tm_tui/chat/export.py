"""A saved conversation as Markdown (for reading) and as JSON in OpenAI `messages` form (for replay).

Model output goes into the file verbatim: it is a document, not a terminal. Nothing secret is in a
conversation record (keys live in the credential store), so nothing needs redacting here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tm_tui.chat.conversation import request_messages
from tm_tui.chat.cost import conversation_cost, format_usd
from tm_tui.chat.metrics import TurnMetrics, summary_parts
from tm_tui.chat.modes import Mode
from tm_tui.chat.params import validate_params
from tm_tui.store.history import Conversation, MessageStatus, StoredMessage

_STATUS_NOTES = {
    MessageStatus.STOPPED: "stopped by the user",
    MessageStatus.ERROR: "failed",
    MessageStatus.TRUNCATED: "truncated",
    MessageStatus.INTERRUPTED: "interrupted (the app closed mid-answer)",
    MessageStatus.STREAMING: "still streaming",
}


def to_openai_json(conversation: Conversation, *, include_reasoning: bool = False) -> str:
    """`{"model": ..., "messages": [...], <parameters>}` — a chat completions body minus streaming."""
    body: dict[str, Any] = {
        "model": conversation.model or "",
        "messages": request_messages(
            conversation.messages, conversation.system_prompt, include_reasoning=include_reasoning
        ),
    }
    body |= validate_params(conversation.params)[0].to_request_fields(Mode.CHAT)
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def to_markdown(conversation: Conversation) -> str:
    params = validate_params(conversation.params)[0].to_request_fields(conversation.mode)
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    lines += [
        f"- Model: `{conversation.model or 'unknown'}`",
        f"- Mode: {conversation.mode.value}",
        *([f"- Surface: {conversation.surface}"] if conversation.surface else []),
        f"- Started: {_when(conversation.created)}",
    ]
    if params:
        lines.append(
            "- Parameters: " + ", ".join(f"`{key}={json.dumps(value)}`" for key, value in params.items())
        )
    total = conversation_cost(
        TurnMetrics.from_dict(m.metrics).cost for m in conversation.messages if m.role == "assistant"
    )
    if total.priced_turns:
        note = "" if total.complete else f" ({total.unpriced_turns} answers without a known cost)"
        lines.append(f"- Cost: {format_usd(total.total)}{note}")
    lines.append("")
    if conversation.system_prompt.strip():
        lines += ["## System", "", conversation.system_prompt, ""]
    for message in conversation.messages:
        lines += _message_lines(message)
    return "\n".join(lines).rstrip() + "\n"


def _message_lines(message: StoredMessage) -> list[str]:
    heading = message.role.capitalize()
    if message.role == "assistant" and message.model:
        heading += f" · `{message.model}`"
    lines = [f"## {heading}", ""]
    if message.reasoning:
        lines += ["<details>", "<summary>Reasoning</summary>", "", message.reasoning, "", "</details>", ""]
    if message.content:
        lines += [message.content, ""]
    note = _STATUS_NOTES.get(message.status)
    if note:
        lines += [f"> _{note}{': ' + message.error if message.error else ''}_", ""]
    if message.role == "assistant" and message.metrics:
        lines += [f"_{_metrics_line(TurnMetrics.from_dict(message.metrics))}_", ""]
    return lines


def _metrics_line(metrics: TurnMetrics) -> str:
    return " · ".join(text for text, _caveat in summary_parts(metrics))


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
