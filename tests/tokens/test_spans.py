"""Token spans: any text laid out from its tokens' bytes comes back whole, with every token placed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tm_tui.api.token_pieces import pieces_from_strs
from tm_tui.emulator.tokenizer import tokenizer_for
from tm_tui.tokens.analysis import common_prefix, differences, format_chat, parse_chat, parse_ids
from tm_tui.tokens.spans import layout

TOK = tokenizer_for("test/model", 4096)
# Valid text only: what a text area can hold (no lone surrogates).
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)


@given(text=texts)
@settings(max_examples=300)
def test_layout_rebuilds_the_text_and_places_every_token(text: str) -> None:
    ids = TOK.encode(text)
    laid = layout(ids, pieces_from_strs(TOK.token_strs(ids), text))
    assert laid.text == text and not laid.raw
    for span in laid.spans:
        assert 0 <= span.start < span.end <= len(text)
        chars = text[span.start : span.end].encode()
        if span.whole:
            assert chars == span.data
        else:  # part of a character: its bytes are inside the characters it spans
            assert span.data in chars
        group = laid.group(span.index)
        assert span.index in group


def test_partial_bytes_at_the_end_are_shown_as_raw_bytes_not_replacement_characters() -> None:
    laid = layout([1, 2], [b"ok", b"\xf0\x9f"])
    assert "\ufffd" not in laid.text
    assert laid.display(0, len(laid.text)) == "ok<0xF0><0x9F>"
    assert not laid.spans[1].whole and (laid.spans[1].start, laid.spans[1].end) == (2, 4)


def test_an_emoji_split_over_three_tokens_is_one_group() -> None:
    laid = layout([1, 2, 3, 4], [b"\xf0", b"\x9f\xa6", b"\x9c", b"!"])
    assert laid.text == "🦜!"
    assert [list(laid.group(i)) for i in range(4)] == [[0, 1, 2], [0, 1, 2], [0, 1, 2], [3]]
    assert [(s.start, s.end, s.whole) for s in laid.spans] == [
        (0, 1, False),
        (0, 1, False),
        (0, 1, False),
        (1, 2, True),
    ]


def test_without_token_texts_ids_stand_in() -> None:
    laid = layout([5, 6], None)
    assert laid.text == "[5][6]" and laid.spans[0].data is None


@pytest.mark.parametrize(
    ("typed", "ids"),
    [("1, 2, 3", [1, 2, 3]), ("1 2\n3", [1, 2, 3]), ("[1,2, 3]", [1, 2, 3]), ("[4]", [4])],
)
def test_parse_ids(typed: str, ids: list[int]) -> None:
    assert parse_ids(typed) == ids


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type some"),
        ("1, two", "'two' is not a token id"),
        ("[1, 2.5]", "integers only"),
        ("[1,", "Not a JSON array"),
    ],
)
def test_bad_ids_say_why(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ids(typed)


def test_chat_text_round_trips() -> None:
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "line one\nline two"}]
    assert parse_chat(format_chat(chat)) == chat
    assert parse_chat("just text") == [{"role": "user", "content": "just text"}]


def test_prefix_and_differences() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2 and common_prefix([], [1]) == 0
    assert differences("abc", "abd") == [("equal", "ab", "ab"), ("replace", "c", "d")]
