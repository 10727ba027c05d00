"""A deterministic, exactly reversible tokenizer, one vocabulary per model.

Text is split into word / number / punctuation / whitespace pieces, each piece's UTF-8 bytes are cut
into chunks of up to three bytes, and a chunk maps to an id by bijective base-256 packing followed by
a model-seeded affine permutation of the id space. Decoding inverts both steps, so any string
(astral characters, combining marks, control characters, even lone surrogates) round-trips exactly.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

CHUNK_BYTES = 3
# Ids of chunks of 1, 2 and 3 bytes occupy consecutive ranges starting at these offsets.
_OFFSETS = (0, 0, 256, 256 + 256**2)
VOCAB_SIZE = 256 + 256**2 + 256**3

# No look-arounds: the pieces of a text prefix are then the same pieces, the last one possibly cut short,
# so cutting generated text at a token boundary never re-tokenises into more tokens.
_PIECE = re.compile(r"\s?[^\W\d_]+|\s?\d{1,3}|\s?[^\s\w]+|\s+|[\s\S]", re.UNICODE)


def _hex_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    bad = error.object[error.start : error.end]
    return "".join(f"<0x{b:02X}>" for b in bad), error.end


codecs.register_error("tm_emulator_hex", _hex_bytes)


class UnknownToken(ValueError):
    """An id that no chunk of this vocabulary maps to."""


class Tokenizer:
    def __init__(self, model: str, max_model_len: int) -> None:
        self.model = model
        self.max_model_len = max_model_len
        digest = hashlib.sha256(model.encode()).digest()
        mult = int.from_bytes(digest[:8]) % VOCAB_SIZE | 1
        while math.gcd(mult, VOCAB_SIZE) != 1:
            mult += 2
        self._mult = mult
        self._inv = pow(mult, -1, VOCAB_SIZE)
        self._shift = int.from_bytes(digest[8:16]) % VOCAB_SIZE

    # ---- core mapping ----

    def chunks(self, text: str) -> list[bytes]:
        """The byte chunk behind each token of `text`."""
        out: list[bytes] = []
        for piece in _PIECE.findall(text):
            data = piece.encode("utf-8", "surrogatepass")
            out.extend(data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))
        return out

    def _chunk_id(self, chunk: bytes) -> int:
        raw = _OFFSETS[len(chunk)] + int.from_bytes(chunk)
        return (raw * self._mult + self._shift) % VOCAB_SIZE

    def _id_chunk(self, token_id: int) -> bytes:
        if not isinstance(token_id, int) or not 0 <= token_id < VOCAB_SIZE:
            raise UnknownToken(f"token id {token_id!r} is outside the vocabulary (0..{VOCAB_SIZE - 1})")
        raw = ((token_id - self._shift) * self._inv) % VOCAB_SIZE
        length = 3 if raw >= _OFFSETS[3] else 2 if raw >= _OFFSETS[2] else 1
        return (raw - _OFFSETS[length]).to_bytes(length)

    # ---- public API ----

    def encode(self, text: str) -> list[int]:
        return [self._chunk_id(c) for c in self.chunks(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Exact inverse of `encode`; ids from a cut-off sequence decode partial bytes as U+FFFD."""
        data = b"".join(self._id_chunk(i) for i in ids)
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return data.decode("utf-8", "replace")

    def count(self, text: str) -> int:
        return len(self.chunks(text))

    def token_strs(self, ids: Iterable[int]) -> list[str]:
        """Each token's text; bytes that are not complete UTF-8 on their own show as `<0xNN>`."""
        return [self._id_chunk(i).decode("utf-8", "tm_emulator_hex") for i in ids]

    def pieces(self, text: str) -> list[tuple[str, int]]:
        """`text` cut into streamable deltas: (valid text, number of tokens it spans).

        A token may end inside a multi-byte character; its bytes then travel with the next token.
        """
        out: list[tuple[str, int]] = []
        pending, n = b"", 0
        for chunk in self.chunks(text):
            pending += chunk
            n += 1
            try:
                out.append((pending.decode("utf-8", "surrogatepass"), n))
            except UnicodeDecodeError:
                continue
            pending, n = b"", 0
        return out

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text`, cut at a character boundary, of at most `max_tokens` tokens."""
        consumed, kept = 0, []
        for piece, n in self.pieces(text):
            if consumed + n > max_tokens:
                break
            kept.append(piece)
            consumed += n
        return "".join(kept)


@lru_cache(maxsize=64)
def tokenizer_for(model: str, max_model_len: int) -> Tokenizer:
    return Tokenizer(model, max_model_len)


# ---- chat template ----


def message_text(content: Any) -> str:
    """A message's `content` as text: a string, or the text parts of a content-part list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return str(content)


def _message_block(message: Mapping[str, Any]) -> str:
    body = message_text(message.get("content"))
    for key in ("reasoning", "reasoning_content"):
        if isinstance(message.get(key), str):
            body = f"<think>{message[key]}</think>{body}"
            break
    if message.get("tool_calls"):
        body += "\n<tool_calls>" + _compact(message["tool_calls"]) + "</tool_calls>"
    role = str(message.get("role", "user"))
    if message.get("tool_call_id"):
        role += f" {message['tool_call_id']}"
    return f"<|im_start|>{role}\n{body}<|im_end|>\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def chat_prompt(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Any] | None = None,
    *,
    add_generation_prompt: bool = True,
) -> str:
    """The prompt text a chat request is tokenised as (prompt_tokens counts these tokens)."""
    text = ""
    if tools:
        text += "<|im_start|>tools\n" + _compact(list(tools)) + "<|im_end|>\n"
    text += "".join(_message_block(m) for m in messages)
    if add_generation_prompt:
        text += "<|im_start|>assistant\n"
    return text
