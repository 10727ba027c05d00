"""Parameter parsing, the messages users see for bad values, and the request fields of each mode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tm_tui.chat.modes import Mode
from tm_tui.chat.params import (
    PARAM_FIELDS,
    Params,
    format_stop_sequences,
    parse_stop_sequences,
    validate_params,
)


def test_empty_fields_mean_nothing_is_sent() -> None:
    params, errors = validate_params({field.key: "  " for field in PARAM_FIELDS})
    assert (params, errors) == (Params(), {})
    assert params.to_request_fields(Mode.CHAT) == {}


def test_valid_values_parse() -> None:
    raw = {
        "temperature": " 0.7 ", "top_p": "1", "top_k": "-1", "max_tokens": "256", "seed": "-42",
        "stop": r"###, \nUser:", "presence_penalty": "-2", "frequency_penalty": "2e0",
        "reasoning_effort": "High", "thinking_budget": "2048", "json_mode": "on", "unknown_future_key": "x",
    }  # fmt: skip
    params, errors = validate_params(raw)
    assert errors == {}
    assert params == Params(
        temperature=0.7, top_p=1.0, top_k=-1, max_tokens=256, seed=-42, stop=("###", "\nUser:"),
        presence_penalty=-2.0, frequency_penalty=2.0, reasoning_effort="high", thinking_budget=2048,
        json_mode=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("temperature", "2.01", "temperature must be between 0 and 2"),
        ("temperature", "-0.1", "temperature must be between 0 and 2"),
        ("temperature", "warm", "temperature must be a number"),
        ("temperature", "nan", "temperature must be a finite number"),
        ("temperature", "inf", "temperature must be a finite number"),
        ("top_p", "0", "top_p must be greater than 0 and at most 1"),
        ("top_p", "1.5", "top_p must be greater than 0 and at most 1"),
        ("top_k", "-2", "top_k must be at least -1"),
        ("top_k", "4.5", "top_k must be a whole number"),
        ("max_tokens", "0", "max_tokens must be at least 1"),
        ("max_tokens", "ten", "max_tokens must be a whole number"),
        ("seed", "1.5", "seed must be a whole number"),
        ("seed", str(2**70), "seed is too large"),
        ("presence_penalty", "2.5", "presence penalty must be between -2 and 2"),
        ("frequency_penalty", "-3", "frequency penalty must be between -2 and 2"),
        ("reasoning_effort", "extreme", "reasoning effort must be one of low, medium, high (or empty)"),
        ("thinking_budget", "512", "thinking budget must be at least 1024 tokens (or off)"),
        ("thinking_budget", "lots", "thinking budget must be a number of tokens (at least 1024) or off"),
        ("json_mode", "maybe", "JSON output must be on or off"),
        ("stop", "a,b,c,d,e", "at most 4 stop sequences are allowed, got 5"),
        ("stop", "a,,b", "stop sequences must not be empty (check for a doubled or trailing comma)"),
        ("stop", "a,", "stop sequences must not be empty (check for a doubled or trailing comma)"),
        ("stop", r"\q", r"unknown escape \q in stop sequences"),
        ("stop", "end\\", r"stop sequences end with a lone backslash (write \\ for one)"),
        ("stop", r"\x4", r"\x in stop sequences needs 2 hex digits"),
        ("stop", r"\ud800", r"\ud800 in stop sequences is not a character"),
        ("stop", "[1, 2]", "a JSON list of stop sequences must hold only strings"),
        ("stop", "[oops", "stop sequences look like a JSON list but are not valid JSON"),
    ],
)
def test_each_bad_value_gets_a_clear_message(key: str, value: str, message: str) -> None:
    params, errors = validate_params({key: value, "max_tokens" if key != "max_tokens" else "seed": "5"})
    assert errors == {key: message}
    assert getattr(params, key) == getattr(Params(), key)  # the bad field is not used


def test_all_errors_are_reported_together() -> None:
    _, errors = validate_params({"temperature": "9", "top_p": "0", "max_tokens": "-1"})
    assert set(errors) == {"temperature", "top_p", "max_tokens"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("###", ("###",)),
        (r"  END ,  \n\nUser: ", ("END", "\n\nUser:")),
        (r"a\,b, c\\d", ("a,b", "c\\d")),
        (r"\sspace\s", (" space ",)),
        (r"\t\r\0\x41\u00e9", ("\t\r\0Aé",)),
        (r'["a, b", "\n"]', ("a, b", "\n")),
        (r"\"quoted\'", ("\"quoted'",)),
    ],
)
def test_stop_sequence_syntax(text: str, expected: tuple[str, ...]) -> None:
    assert parse_stop_sequences(text) == expected


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_stop_sequences_round_trip(stops: list[str]) -> None:
    assert parse_stop_sequences(format_stop_sequences(stops)) == tuple(stops)


_NUMBERS = st.floats(allow_nan=False, allow_infinity=False)


@given(
    temperature=st.none() | st.floats(0, 2),
    top_p=st.none() | st.floats(0, 1, exclude_min=True),
    top_k=st.none() | st.integers(-1, 10**6),
    seed=st.none() | st.integers(-(2**63), 2**63 - 1),
    stop=st.lists(st.text(min_size=1, max_size=8), max_size=4).map(tuple),
    penalty=st.none() | st.floats(-2, 2),
    effort=st.sampled_from([None, "low", "medium", "high"]),
    thinking=st.none() | st.just("disabled") | st.integers(1024, 10**6),
    json_mode=st.booleans(),
)
def test_params_survive_their_text_form(
    temperature, top_p, top_k, seed, stop, penalty, effort, thinking, json_mode
) -> None:
    params = Params(
        temperature=temperature, top_p=top_p, top_k=top_k, max_tokens=100, seed=seed, stop=stop,
        presence_penalty=penalty, frequency_penalty=penalty, reasoning_effort=effort,
        thinking_budget=thinking, json_mode=json_mode,
    )  # fmt: skip
    assert validate_params(params.to_raw()) == (params, {})


FULL = Params(
    temperature=0.5, top_p=0.9, top_k=40, max_tokens=128, seed=7, stop=("END",), presence_penalty=0.1,
    frequency_penalty=0.2, reasoning_effort="low", thinking_budget=4096, json_mode=True,
)  # fmt: skip


def test_chat_fields() -> None:
    assert FULL.to_request_fields(Mode.CHAT) == {
        "temperature": 0.5, "top_p": 0.9, "top_k": 40, "max_tokens": 128, "seed": 7, "stop": ["END"],
        "presence_penalty": 0.1, "frequency_penalty": 0.2, "reasoning_effort": "low",
        "thinking": {"type": "enabled", "budget_tokens": 4096}, "response_format": {"type": "json_object"},
    }  # fmt: skip
    assert FULL.unsupported_in(Mode.CHAT) == []


def test_thinking_can_be_switched_off_explicitly() -> None:
    params, _ = validate_params({"thinking_budget": "off"})
    assert params.to_request_fields("chat") == {"thinking": {"type": "disabled"}}


def test_completion_fields_leave_out_chat_only_ones() -> None:
    fields = FULL.to_request_fields(Mode.COMPLETION)
    assert fields == {
        "temperature": 0.5, "top_p": 0.9, "top_k": 40, "max_tokens": 128, "seed": 7, "stop": ["END"],
        "presence_penalty": 0.1, "frequency_penalty": 0.2,
    }  # fmt: skip
    assert FULL.unsupported_in(Mode.COMPLETION) == ["reasoning_effort", "thinking_budget", "json_mode"]


def test_responses_fields_use_the_responses_names() -> None:
    assert FULL.to_request_fields(Mode.RESPONSES) == {
        "temperature": 0.5, "top_p": 0.9, "max_output_tokens": 128, "reasoning": {"effort": "low"},
        "text": {"format": {"type": "json_object"}},
    }  # fmt: skip
    assert FULL.unsupported_in(Mode.RESPONSES) == [
        "top_k", "seed", "stop", "presence_penalty", "frequency_penalty", "thinking_budget",
    ]  # fmt: skip


def test_every_field_is_described_once() -> None:
    keys = [field.key for field in PARAM_FIELDS]
    assert len(keys) == len(set(keys)) == len(Params.__dataclass_fields__)
    assert set(keys) == set(Params.__dataclass_fields__)
