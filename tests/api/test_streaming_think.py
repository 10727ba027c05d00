"""Leading <think> blocks: the whole-reply helper and the streaming filter agree for any split."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tm_tui.api.reasoning import LeadingThinkFilter, split_leading_think
from tm_tui.api.stream_events import ReasoningDelta, TextDelta


@pytest.mark.parametrize(
    ("text", "reasoning", "content"),
    [
        ("Hello", "", "Hello"),
        ("", "", ""),
        ("<think>plan</think>\n\nHello", "plan", "Hello"),
        ("\n <think> a </think> <think></think>\n<think>b\n</think>  Hi", "a\n\nb", "Hi"),
        ("Hi <think>x</think>", "", "Hi <think>x</think>"),  # not leading: stays content
        ("<think>cut while thinking", "cut while thinking", ""),  # never closed: still reasoning
        ("<think>a</think>b<think>c</think>", "a", "b<think>c</think>"),
        ("  <thin", "", "  <thin"),  # an unfinished opening tag is content
        ("<think>x</thi", "x</thi", ""),
        ("   ", "", "   "),
        ("<think>x</think>   ", "x", ""),
    ],
)
def test_split_leading_think(text: str, reasoning: str, content: str) -> None:
    assert split_leading_think(text) == (reasoning, content)


def test_reasoning_is_streamed_before_the_block_closes() -> None:
    think = LeadingThinkFilter()
    assert think.feed("<think>step one") == [ReasoningDelta("step one")]
    assert think.feed(" then</th") == [ReasoningDelta(" then")]  # "</th" is held back
    assert think.feed("ink>Answer") == [TextDelta("Answer")]
    assert think.feed(" <think>more") == [TextDelta(" <think>more")]
    assert think.finish() == []


_fragments = st.sampled_from(
    ["<think>", "</think>", "<th", "ink>", "</", "think>", " ", "\n", "a", "b c", "é😀"]
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_fragments, max_size=12), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_any_split_matches_the_whole_text(parts: list[str], cuts: list[int]) -> None:
    text = "".join(parts)
    bounds = [0, *sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    think = LeadingThinkFilter()
    pieces = [
        piece for start, end in zip(bounds, bounds[1:], strict=False) for piece in think.feed(text[start:end])
    ]
    pieces += think.finish()
    reasoning = "".join(p.text for p in pieces if isinstance(p, ReasoningDelta))
    content = "".join(p.text for p in pieces if isinstance(p, TextDelta))
    assert (reasoning, content) == split_leading_think(text)
    assert all(piece.text for piece in pieces)  # no empty events


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_fragments, max_size=12))
def test_agrees_with_the_official_sdk_when_blocks_are_closed(parts: list[str]) -> None:
    from tensormesh._reasoning import normalize_leading_reasoning_content

    text = "".join(parts)
    sdk_content, sdk_reasoning = normalize_leading_reasoning_content(text, None)
    sdk_content = sdk_content or ""
    assume(not sdk_content.lstrip().startswith("<think>"))
    # an unclosed leading block: the SDK shows it as content, we as reasoning (documented)
    assert split_leading_think(text) == (sdk_reasoning or "", sdk_content)
