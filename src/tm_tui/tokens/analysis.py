"""What the Tokenizer section computes from token lists: ids typed by the user, chats written as text,
counts and costs, the common prefix of two token lists, a round trip's differences. No Textual here."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tm_tui.chat.cost import PER_TOKENS, Pricing

ROLES = ("system", "user", "assistant", "developer", "tool")
_ROLE_LINE = re.compile(rf"^({'|'.join(ROLES)})\s*:\s?(.*)$", re.IGNORECASE)
_ID_SEPARATORS = re.compile(r"[\s,;]+")


def parse_ids(text: str) -> list[int]:
    """Token ids as typed: a JSON array, or numbers separated by commas, spaces or newlines."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("Type some token ids first.")
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Not a JSON array: {exc.msg} (column {exc.colno}).") from None
        if not isinstance(value, list) or not all(type(v) is int for v in value):
            raise ValueError("The JSON array must hold integers only.")
        ids = value
    else:
        ids = []
        for word in _ID_SEPARATORS.split(stripped.strip("[]")):
            if not word:
                continue
            if not re.fullmatch(r"\d+", word):
                raise ValueError(f"{word[:20]!r} is not a token id (a whole number ≥ 0).")
            ids.append(int(word))
    if any(i < 0 for i in ids):
        raise ValueError("Token ids are never negative.")
    return ids


def parse_chat(text: str) -> list[dict[str, str]]:
    """A chat written as text: a line `role: …` starts a message (system, user, assistant, developer,
    tool); following lines continue it. Text before the first role line is a user message."""
    messages: list[dict[str, str]] = []
    for line in text.split("\n"):
        match = _ROLE_LINE.match(line)
        if match:
            messages.append({"role": match.group(1).lower(), "content": match.group(2)})
        elif messages:
            messages[-1]["content"] += "\n" + line
        elif line.strip():
            messages.append({"role": "user", "content": line})
    return messages


def format_chat(messages: Sequence[Mapping[str, Any]]) -> str:
    """The editor text of a chat (the inverse of `parse_chat` for text contents)."""
    return "\n".join(f"{m.get('role', 'user')}: {_content_text(m.get('content'))}" for m in messages)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return "" if content is None else str(content)


def chat_messages(body: Mapping[str, Any]) -> list[dict[str, str]] | str | None:
    """What a Chat request body asks the model: its messages, or its prompt / input text."""
    if isinstance(body.get("messages"), list):
        return [
            {"role": str(m.get("role", "user")), "content": _content_text(m.get("content"))}
            for m in body["messages"]
            if isinstance(m, Mapping)
        ]
    for key in ("prompt", "input"):
        value = body.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(m, Mapping) for m in value):
            return chat_messages({"messages": value})
    return None


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens the two lists share (what a prefix / KV cache can reuse)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class InputCost:
    full: Decimal | None  # every token at the input price
    cached: Decimal | None  # every token at the cached price (the input price when there is none)


def input_cost(tokens: int, price: Pricing | None) -> InputCost:
    if price is None:
        return InputCost(None, None)
    cached = price.input if price.cached is None else price.cached
    return InputCost(Decimal(tokens) * price.input / PER_TOKENS, Decimal(tokens) * cached / PER_TOKENS)


def prefix_saving(reused: int, price: Pricing | None) -> Decimal | None:
    """What reusing `reused` cached tokens saves against paying the input price for them."""
    if price is None:
        return None
    cost = input_cost(reused, price)
    return None if cost.full is None or cost.cached is None else cost.full - cost.cached


def differences(expected: str, got: str) -> list[tuple[str, str, str]]:
    """(tag, expected part, got part) runs; tag is `equal`, `replace`, `delete` or `insert`."""
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    return [(tag, expected[a1:a2], got[b1:b2]) for tag, a1, a2, b1, b2 in matcher.get_opcodes()]
