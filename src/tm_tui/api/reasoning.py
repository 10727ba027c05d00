"""Reasoning that leaks into content as leading `<think>` blocks, streamed or whole (§3.2, §5.2)."""

from __future__ import annotations

from tm_tui.api.stream_events import ReasoningDelta, TextDelta

_OPEN, _CLOSE = "<think>", "</think>"


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class LeadingThinkFilter:
    """Moves leading `<think>…</think>` blocks of streamed content into reasoning.

    Tags may be split across chunks. Like the SDK (`tensormesh/_reasoning.py`): whitespace
    around the blocks is dropped, several leading blocks are joined by a blank line, and a
    `<think>` after visible text stays content. Unlike the SDK, a block never closed (the
    answer was cut while thinking) counts as reasoning rather than content.
    """

    def __init__(self) -> None:
        self._mode = "prefix"  # prefix: before or between blocks; think: inside one; visible
        self._buffer = ""  # text not yet decided on
        self._closed_block = False
        self._block_has_text = False
        self._reasoned = False

    @property
    def passes_through(self) -> bool:
        """Past the leading blocks: from now on `feed(text)` is `[TextDelta(text)]`."""
        return self._mode == "visible"

    def feed(self, text: str) -> list[TextDelta | ReasoningDelta]:
        if self._mode == "visible":
            return [TextDelta(text)] if text else []
        self._buffer += text
        out: list[TextDelta | ReasoningDelta] = []
        if self._mode == "think":
            self._read_block(out)
        while self._mode == "prefix":
            stripped = self._buffer.lstrip()
            if stripped.startswith(_OPEN):
                self._buffer = stripped[len(_OPEN) :]
                self._mode, self._block_has_text = "think", False
                self._read_block(out)
            elif not stripped or _OPEN.startswith(stripped):
                break  # undecided until more text arrives
            else:
                self._show(out)
        return out

    def finish(self) -> list[TextDelta | ReasoningDelta]:
        out: list[TextDelta | ReasoningDelta] = []
        if self._mode == "think":
            self._reason(self._buffer.rstrip(), out)
        elif self._mode == "prefix":
            self._show(out)
        self._mode, self._buffer = "visible", ""
        return out

    def _read_block(self, out: list[TextDelta | ReasoningDelta]) -> None:
        end = self._buffer.find(_CLOSE)
        if end >= 0:
            self._reason(self._buffer[:end].rstrip(), out)
            self._buffer = self._buffer[end + len(_CLOSE) :]
            self._mode, self._closed_block = "prefix", True
            return
        # Hold back a possible partial closing tag and trailing whitespace (dropped if the block ends).
        keep = _partial_tag_suffix(self._buffer, _CLOSE)
        ready = self._buffer[: len(self._buffer) - keep].rstrip()
        self._reason(ready, out)
        self._buffer = self._buffer[len(ready) :]

    def _reason(self, text: str, out: list[TextDelta | ReasoningDelta]) -> None:
        if not self._block_has_text:
            text = text.lstrip()
            if not text:
                return
            if self._reasoned:
                text = "\n\n" + text
            self._block_has_text = self._reasoned = True
        if text:
            out.append(ReasoningDelta(text))

    def _show(self, out: list[TextDelta | ReasoningDelta]) -> None:
        visible = self._buffer.lstrip() if self._closed_block else self._buffer
        self._mode, self._buffer = "visible", ""
        if visible:
            out.append(TextDelta(visible))


def split_leading_think(text: str) -> tuple[str, str]:
    """(reasoning, content) of a whole reply whose content may start with `<think>` blocks."""
    think = LeadingThinkFilter()
    pieces = think.feed(text) + think.finish()
    reasoning = "".join(piece.text for piece in pieces if isinstance(piece, ReasoningDelta))
    content = "".join(piece.text for piece in pieces if isinstance(piece, TextDelta))
    return reasoning, content
