"""The emulator tokenizer: exact round trips, stable ids, budgets that never overshoot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tm_tui.emulator.tokenizer import VOCAB_SIZE, Tokenizer, UnknownToken, chat_prompt, tokenizer_for

MODEL = "MiniMaxAI/MiniMax-M2.5"
# Any code point, lone surrogates included (JSON can carry them).
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return tokenizer_for(MODEL, 196_608)


@given(text=any_text)
@settings(max_examples=300)
def test_round_trip_is_exact_for_any_text(text: str) -> None:
    tok = tokenizer_for(MODEL, 196_608)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert tok.count(text) == len(ids)
    assert all(0 <= i < VOCAB_SIZE for i in ids)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello world",
        "😀🧑‍🚀 emoji",
        "e\u0301 combining",
        "\x00\x1b[31m\x7f control",
        "\ud800 lone",
        "日本語テキスト",
    ],
)
def test_round_trip_examples(tok: Tokenizer, text: str) -> None:
    assert tok.decode(tok.encode(text)) == text


def test_ids_are_deterministic_and_model_specific(tok: Tokenizer) -> None:
    again = Tokenizer(MODEL, 196_608)
    other = Tokenizer("openai/gpt-oss-120b", 131_072)
    assert again.encode("Hello world") == tok.encode("Hello world")
    assert other.encode("Hello world") != tok.encode("Hello world")
    assert other.count("Hello world") == tok.count("Hello world")


def test_token_strs_show_partial_utf8_as_hex(tok: Tokenizer) -> None:
    ids = tok.encode("Hi 😀")
    strs = tok.token_strs(ids)
    assert strs[0] == "Hi"
    assert "<0xF0>" in "".join(strs)  # the emoji's 4 bytes straddle two 3-byte tokens
    assert len(strs) == len(ids)


def test_unknown_ids_are_rejected(tok: Tokenizer) -> None:
    with pytest.raises(UnknownToken):
        tok.decode([VOCAB_SIZE])
    with pytest.raises(UnknownToken):
        tok.decode([-1])


@given(text=any_text, budget=st.integers(min_value=0, max_value=60))
@settings(max_examples=300)
def test_truncate_respects_the_budget_and_stays_a_prefix(text: str, budget: int) -> None:
    tok = tokenizer_for(MODEL, 196_608)
    cut = tok.truncate(text, budget)
    assert text.startswith(cut)
    assert tok.count(cut) <= budget
    if tok.count(text) <= budget:
        assert cut == text


@given(text=any_text)
def test_stream_pieces_rebuild_the_text_and_its_count(text: str) -> None:
    tok = tokenizer_for(MODEL, 196_608)
    pieces = tok.pieces(text)
    assert "".join(p for p, _ in pieces) == text
    assert sum(n for _, n in pieces) == tok.count(text)


def test_chat_template_wraps_roles_and_adds_generation_prompt() -> None:
    text = chat_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert (
        text
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    parts = chat_prompt(
        [{"role": "user", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]}]
    )
    assert "AB" in parts
    assert not chat_prompt([{"role": "user", "content": "x"}], add_generation_prompt=False).endswith(
        "assistant\n"
    )
