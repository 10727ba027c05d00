"""Fixtures for the API layer tests: a mocked network, the shared client and an instant sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from tests.api.helpers import FakeSleep
from tm_tui.api.transport import make_http_client


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """Every request must hit a mocked route; nothing reaches the network."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(timeout=5.0)
    yield client
    await client.aclose()
