"""The streams over a real loopback socket: what httpx raises when a server cuts or stalls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from tm_tui.api.errors import StreamError
from tm_tui.api.streaming import ChatStream, TextDelta


def event(content: str) -> bytes:
    payload = {"id": "c1", "choices": [{"index": 0, "delta": {"content": content}}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


@dataclass
class RawServer:
    """Answers one request with chunked SSE, then cuts the connection or goes silent."""

    chunks: list[bytes]
    then: str  # "cut" | "hang"
    client_gone: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # request line and headers; the body is ignored
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"x-request-id: sock-1\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        for chunk in self.chunks:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        if self.then == "hang":
            await reader.read()  # returns b"" once the client has closed its end
            self.client_gone.set()
        writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[list[bytes], str], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(chunks: list[bytes], then: str) -> RawServer:
        raw = RawServer(chunks, then)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        raw.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat/completions"
        return raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_server_cutting_the_connection_keeps_partial(raw_server) -> None:
    raw = await raw_server([event("Hel"), event("lo")], "cut")
    async with httpx.AsyncClient() as client:
        stream = ChatStream(client.stream("POST", raw.url, json={}), model="m")
        with pytest.raises(StreamError) as raised:
            async with stream:
                async for _ in stream:
                    pass
    assert raised.value.message.startswith("connection lost")
    assert (raised.value.partial_text, raised.value.request_id) == ("Hello", "sock-1")


async def test_stop_while_the_server_is_silent_closes_the_socket(raw_server) -> None:
    raw = await raw_server([event("Part")], "hang")
    # no idle timeout: only stop() can end the wait
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=None)) as client:
        stream = ChatStream(client.stream("POST", raw.url, json={}), model="m")
        first = asyncio.Event()

        async def consume() -> None:
            async with stream:
                async for item in stream:
                    assert item == TextDelta("Part")
                    first.set()

        consumer = asyncio.create_task(consume())
        await first.wait()
        stream.stop()
        async with asyncio.timeout(30):  # a guard, not a measurement: a broken stop() waits forever
            await consumer
        await raw.client_gone.wait()  # the server saw the connection close
    assert (stream.result.content, stream.result.stopped, stream.result.error) == ("Part", True, None)


async def test_silent_server_hits_the_idle_timeout(raw_server) -> None:
    raw = await raw_server([event("Part")], "hang")
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.2)) as client:
        stream = ChatStream(client.stream("POST", raw.url, json={}), model="m")
        with pytest.raises(StreamError) as raised:
            async with stream:
                async for _ in stream:
                    pass
        await raw.client_gone.wait()
    assert raised.value.message.startswith("stream idle timeout")
    assert raised.value.partial_text == "Part"
