"""Each token's bytes, from the `token_strs` a vLLM-style server returns.

Servers spell a token's text in one of three ways: plain text with `<0xNN>` for bytes that are not a
whole character (Tensormesh, the emulator, SentencePiece byte fallback), SentencePiece's `▁` for a
space, or GPT-2's byte-level alphabet (`Ġ` for a space, `ð` for 0xF0...). Which one is used is not
announced, so every spelling is tried and the one whose bytes rebuild the tokenized text wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

_BYTE_ESCAPE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


def _escaped(piece: str) -> bytes | None:
    if "<0x" not in piece:
        return piece.encode("utf-8", "surrogatepass")
    out = bytearray()
    last = 0
    for match in _BYTE_ESCAPE.finditer(piece):
        out += piece[last : match.start()].encode("utf-8", "surrogatepass")
        out.append(int(match.group(1), 16))
        last = match.end()
    out += piece[last:].encode("utf-8", "surrogatepass")
    return bytes(out)


def _sentencepiece(piece: str) -> bytes | None:
    return _escaped(piece.replace("\u2581", " "))


@cache
def _byte_alphabet() -> dict[str, int]:
    """GPT-2's byte-to-printable-character table, inverted (character → byte)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


def _byte_level(piece: str) -> bytes | None:
    table = _byte_alphabet()
    try:
        return bytes(table[ch] for ch in piece)
    except KeyError:
        return None


SPELLINGS: tuple[Callable[[str], bytes | None], ...] = (_escaped, _sentencepiece, _byte_level)


def pieces_from_strs(token_strs: Sequence[str], text: str | None = None) -> list[bytes]:
    """The bytes of each token. With `text` (what was tokenized), the spelling that rebuilds it exactly
    wins; otherwise (a chat, rendered by the server) the first that yields valid UTF-8."""
    target = text.encode("utf-8", "surrogatepass") if text is not None else None
    candidates: list[list[bytes]] = []
    for spelling in SPELLINGS:
        spelt = [spelling(s) for s in token_strs]
        done = [p for p in spelt if p is not None]
        if len(done) != len(spelt):
            continue
        joined = b"".join(done)
        if target is not None and joined.endswith(target):  # a BOS token may come first
            return done
        candidates.append(done)
    for pieces in candidates:
        try:
            b"".join(pieces).decode("utf-8")
        except UnicodeDecodeError:
            continue
        return pieces
    return candidates[0] if candidates else [s.encode("utf-8", "surrogatepass") for s in token_strs]


def piece_from_llama(piece: object) -> bytes:
    """llama.cpp's `with_pieces`: a string, or a list of byte values for a partial character."""
    if isinstance(piece, str):
        return piece.encode("utf-8", "surrogatepass")
    if isinstance(piece, list) and all(isinstance(b, int) and 0 <= b < 256 for b in piece):
        return bytes(piece)
    raise ValueError(f"unexpected token piece {piece!r:.40}")
