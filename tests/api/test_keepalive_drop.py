"""A kept-alive connection the server drops without a reply, over a real loopback socket.

Both callers that resend after such a drop, a plain `Transport` POST and the tokenizer client, go
through the transport's single resend path (`_send_fresh`); this proves each really retries.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tm_tui.api.inference import make_inference_client
from tm_tui.api.tokenizer import TokenizerClient
from tm_tui.api.transport import Transport, make_http_client


@dataclass
class DroppingServer:
    """Answers the first request of each connection (keep-alive) and drops the connection on the
    second one after reading it, without a byte of reply: what llama-server does after a stream."""

    connections: int = 0
    answered: int = 0
    dropped: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        for served in range(2):
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if not line:
                break
            await reader.readexactly(length)
            if served == 1:
                self.dropped += 1
                break
            self.answered += 1
            body = json.dumps({"tokens": [7, 8], "token_strs": ["a", "b"]}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        writer.close()


@pytest.fixture
async def dropping() -> AsyncIterator[tuple[DroppingServer, str]]:
    raw = DroppingServer()
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    yield raw, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
    await server.wait_closed()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(timeout=5.0)
    yield client
    await client.aclose()


async def test_a_plain_post_is_sent_again_after_a_dropped_keep_alive(dropping, http) -> None:
    raw, url = dropping
    transport = Transport(http, url)  # no retries configured: only the stale-connection resend
    for _ in range(2):
        reply = await transport.request("POST", "/x", json={})
        assert reply.data["tokens"] == [7, 8]
    assert (raw.answered, raw.dropped, raw.connections) == (2, 1, 2)


async def test_the_tokenizer_is_sent_again_after_a_dropped_keep_alive(dropping, http) -> None:
    raw, url = dropping
    tokenizer = TokenizerClient(make_inference_client(http, url, "key"))
    for _ in range(2):
        assert (await tokenizer.tokenize("m", text="ab")).ids == [7, 8]
    assert (raw.answered, raw.dropped, raw.connections) == (2, 1, 2)
