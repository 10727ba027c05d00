"""The playground's sampling and reasoning parameters: parsed from text fields, validated, and mapped
onto the request body of each mode.

The parameters panel holds strings; `validate_params` turns them into a `Params` plus one human
message per bad field, and `Params.to_raw` turns them back (presets and history store the raw form,
so a value always reloads exactly as the user typed it in meaning). An empty field means "not sent":
the server's default applies.
"""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass
from typing import Any, Literal

from tm_tui.chat.modes import Mode

MAX_STOP_SEQUENCES = 4
MIN_THINKING_BUDGET = 1024
REASONING_EFFORTS = ("low", "medium", "high")
_UNSET_WORDS = frozenset({"", "none", "default"})
_OFF_WORDS = frozenset({"off", "disabled", "disable", "false", "no", "0"})
_ON_WORDS = frozenset({"on", "enabled", "enable", "true", "yes", "1"})
_INT64 = 2**63

Thinking = int | Literal["disabled"]


@dataclass(frozen=True)
class ParamField:
    key: str
    label: str
    hint: str


# In panel order; `key` is both the raw-dict key and the `Params` attribute.
PARAM_FIELDS: tuple[ParamField, ...] = (
    ParamField("temperature", "Temperature", "0–2"),
    ParamField("top_p", "Top p", "greater than 0, up to 1"),
    ParamField("top_k", "Top k", "whole number, -1 = off"),
    ParamField("max_tokens", "Max tokens", "whole number ≥ 1"),
    ParamField("seed", "Seed", "whole number"),
    ParamField("stop", "Stop sequences", r"up to 4, comma-separated; \n \t \, \\ escapes"),
    ParamField("presence_penalty", "Presence penalty", "-2 to 2"),
    ParamField("frequency_penalty", "Frequency penalty", "-2 to 2"),
    ParamField("reasoning_effort", "Reasoning effort", "low, medium or high"),
    ParamField("thinking_budget", "Thinking budget", f"tokens ≥ {MIN_THINKING_BUDGET}, or off"),
    ParamField("json_mode", "JSON output", "on/off"),
)


@dataclass(frozen=True)
class Params:
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning_effort: str | None = None
    thinking_budget: Thinking | None = None
    json_mode: bool = False

    def to_request_fields(self, mode: Mode | str) -> dict[str, Any]:
        """The body fields these parameters set in `mode`; unset ones are left out.

        Fields a mode has no place for are dropped (see `unsupported_in`).
        """
        mode = Mode(mode)
        fields: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p}
        if mode is Mode.RESPONSES:
            fields["max_output_tokens"] = self.max_tokens
            if self.reasoning_effort:
                fields["reasoning"] = {"effort": self.reasoning_effort}
            if self.json_mode:
                fields["text"] = {"format": {"type": "json_object"}}
            return _present(fields)
        fields |= {
            "top_k": self.top_k,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": list(self.stop) or None,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
        }
        if mode is Mode.CHAT:
            fields["reasoning_effort"] = self.reasoning_effort
            if self.thinking_budget == "disabled":
                fields["thinking"] = {"type": "disabled"}
            elif self.thinking_budget is not None:
                fields["thinking"] = {"type": "enabled", "budget_tokens": self.thinking_budget}
            if self.json_mode:
                fields["response_format"] = {"type": "json_object"}
        return _present(fields)

    def unsupported_in(self, mode: Mode | str) -> list[str]:
        """Keys of parameters that are set but have no field in `mode` (for a warning in the panel)."""
        supported = _SUPPORTED[Mode(mode)]
        return [f.key for f in PARAM_FIELDS if f.key not in supported and _is_set(getattr(self, f.key))]

    def to_raw(self) -> dict[str, str]:
        """The text-field form `validate_params` reads back to an equal `Params`."""
        raw = {f.key: "" for f in PARAM_FIELDS}
        for key in (
            "temperature",
            "top_p",
            "top_k",
            "max_tokens",
            "seed",
            "presence_penalty",
            "frequency_penalty",
        ):
            value = getattr(self, key)
            raw[key] = "" if value is None else repr(value)
        raw["stop"] = format_stop_sequences(self.stop)
        raw["reasoning_effort"] = self.reasoning_effort or ""
        raw["thinking_budget"] = "" if self.thinking_budget is None else str(self.thinking_budget)
        raw["json_mode"] = "on" if self.json_mode else ""
        return raw


_SAMPLING = {"temperature", "top_p", "max_tokens"}
_SUPPORTED: dict[Mode, set[str]] = {
    Mode.CHAT: {f.key for f in PARAM_FIELDS},
    Mode.COMPLETION: _SAMPLING | {"top_k", "seed", "stop", "presence_penalty", "frequency_penalty"},
    Mode.RESPONSES: _SAMPLING | {"reasoning_effort", "json_mode"},
}


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _is_set(value: object) -> bool:
    return value not in (None, (), False)


# --- parsing ------------------------------------------------------------------------------------


class _Invalid(ValueError):
    """A field's value is wrong; the message is shown to the user as is."""


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _Invalid(f"{name} must be a number") from None
    if not math.isfinite(value):
        raise _Invalid(f"{name} must be a finite number")
    return value


def _whole(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _Invalid(f"{name} must be a whole number") from None
    if not -_INT64 <= value < _INT64:
        raise _Invalid(f"{name} is too large")
    return value


def _between(low: float, high: float, *, low_open: bool = False) -> Any:
    def parse(text: str, name: str) -> float:
        value = _number(text, name)
        below = value <= low if low_open else value < low
        if below or value > high:
            if low_open:
                raise _Invalid(f"{name} must be greater than {low:g} and at most {high:g}")
            raise _Invalid(f"{name} must be between {low:g} and {high:g}")
        return value

    return parse


def _at_least(minimum: int) -> Any:
    def parse(text: str, name: str) -> int:
        value = _whole(text, name)
        if value < minimum:
            raise _Invalid(f"{name} must be at least {minimum}")
        return value

    return parse


def _effort(text: str, name: str) -> str | None:
    value = text.lower()
    if value in _UNSET_WORDS:
        return None
    if value not in REASONING_EFFORTS:
        raise _Invalid(f"{name} must be one of {', '.join(REASONING_EFFORTS)} (or empty)")
    return value


def _thinking(text: str, name: str) -> Thinking:
    if text.lower() in _OFF_WORDS:
        return "disabled"
    try:
        value = int(text)
    except ValueError:
        raise _Invalid(f"{name} must be a number of tokens (at least {MIN_THINKING_BUDGET}) or off") from None
    if value < MIN_THINKING_BUDGET:
        raise _Invalid(f"{name} must be at least {MIN_THINKING_BUDGET} tokens (or off)")
    return value


def _switch(text: str, name: str) -> bool:
    value = text.lower()
    if value in _ON_WORDS:
        return True
    if value in _OFF_WORDS:
        return False
    raise _Invalid(f"{name} must be on or off")


def _stops(text: str, name: str) -> tuple[str, ...]:
    stops = parse_stop_sequences(text)
    if len(stops) > MAX_STOP_SEQUENCES:
        raise _Invalid(f"at most {MAX_STOP_SEQUENCES} {name} are allowed, got {len(stops)}")
    return stops


_PARSERS: dict[str, tuple[str, Any]] = {
    "temperature": ("temperature", _between(0, 2)),
    "top_p": ("top_p", _between(0, 1, low_open=True)),
    "top_k": ("top_k", _at_least(-1)),
    "max_tokens": ("max_tokens", _at_least(1)),
    "seed": ("seed", _whole),
    "stop": ("stop sequences", _stops),
    "presence_penalty": ("presence penalty", _between(-2, 2)),
    "frequency_penalty": ("frequency penalty", _between(-2, 2)),
    "reasoning_effort": ("reasoning effort", _effort),
    "thinking_budget": ("thinking budget", _thinking),
    "json_mode": ("JSON output", _switch),
}


def validate_params(raw: dict[str, str]) -> tuple[Params, dict[str, str]]:
    """Parse the panel's text fields. Returns the valid values and `{field: message}` for the rest.

    Blank fields and fields that fail are left at their defaults; unknown keys are ignored (a preset
    written by a newer version still loads).
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, (name, parse) in _PARSERS.items():
        text = str(raw.get(key) or "").strip() if key != "stop" else str(raw.get(key) or "")
        if not text.strip():
            continue
        try:
            values[key] = parse(text, name)
        except _Invalid as exc:
            errors[key] = str(exc)
    return Params(**values), errors


# --- stop sequences -----------------------------------------------------------------------------

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    ",": ",",
    "s": " ",
    '"': '"',
    "'": "'",
    "0": "\0",
    "[": "[",
}
_ESCAPE_OUT = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", ",": "\\,", "\0": "\\0"}


def parse_stop_sequences(text: str) -> tuple[str, ...]:
    r"""Comma-separated sequences with escapes: `\n \t \r \\ \, \[ \s` (space) `\0 \xHH \uHHHH`.

    Unescaped spaces around each item are trimmed, so `###, END` is two sequences; write `\s` for a
    space that matters at an edge. A JSON array of strings is accepted as well.
    """
    if text.strip().startswith("["):
        try:
            listed = json.loads(text)
        except ValueError:
            raise _Invalid("stop sequences look like a JSON list but are not valid JSON") from None
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise _Invalid("a JSON list of stop sequences must hold only strings")
        return _non_empty(listed)

    items: list[list[tuple[str, bool]]] = [[]]  # (char, escaped) so trimming spares escaped spaces
    chars = iter(enumerate(text))
    for index, char in chars:
        if char == ",":
            items.append([])
        elif char != "\\":
            items[-1].append((char, False))
        else:
            _, code = next(chars, (index, ""))
            if code in _ESCAPES:
                items[-1].append((_ESCAPES[code], True))
            elif code in ("x", "u"):
                width = 2 if code == "x" else 4
                digits = "".join(next(chars, (0, ""))[1] for _ in range(width))
                if len(digits) != width or not all(c in string.hexdigits for c in digits):
                    raise _Invalid(f"\\{code} in stop sequences needs {width} hex digits")
                if 0xD800 <= int(digits, 16) <= 0xDFFF:
                    raise _Invalid(f"\\{code}{digits} in stop sequences is not a character")
                items[-1].append((chr(int(digits, 16)), True))
            elif code == "":
                raise _Invalid("stop sequences end with a lone backslash (write \\\\ for one)")
            else:
                raise _Invalid(f"unknown escape \\{code} in stop sequences")
    return _non_empty(["".join(c for c, _ in _trim(item)) for item in items])


def _trim(item: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    start, end = 0, len(item)
    while start < end and item[start][0].isspace() and not item[start][1]:
        start += 1
    while end > start and item[end - 1][0].isspace() and not item[end - 1][1]:
        end -= 1
    return item[start:end]


def _non_empty(items: list[str]) -> tuple[str, ...]:
    if len(items) > 1 and any(not item for item in items):
        raise _Invalid("stop sequences must not be empty (check for a doubled or trailing comma)")
    return tuple(item for item in items if item)


def format_stop_sequences(stops: tuple[str, ...] | list[str]) -> str:
    """The inverse of `parse_stop_sequences`."""
    return ", ".join(_escape_stop(stop) for stop in stops)


def _escape_stop(stop: str) -> str:
    out = []
    for index, char in enumerate(stop):
        if char in _ESCAPE_OUT:
            out.append(_ESCAPE_OUT[char])
        elif char == "[" and index == 0:  # a leading bracket would read as a JSON list
            out.append("\\[")
        elif char.isspace() and (index == 0 or index == len(stop) - 1):
            out.append("\\s" if char == " " else f"\\u{ord(char):04x}")
        elif not char.isprintable():
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else char)
        else:
            out.append(char)
    return "".join(out)
