"""Plain http:// to a host that is not this machine is refused unless allowed, on every request of
the app's HTTP client, before anything is sent; loopback (the emulator, llama.cpp, vLLM) stays open."""

from __future__ import annotations

import httpx
import pytest
import respx

from tm_tui.api.control_plane import make_control_plane_client
from tm_tui.api.inference import make_inference_client
from tm_tui.api.login import refresh_tokens
from tm_tui.api.transport import make_http_client
from tm_tui.api.url_policy import InsecureTransportError, check_url, is_loopback_host
from tm_tui.surface import Surface

SECRET = "tmcp_url_policy_secret"


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST", "localhost.", "api.localhost", "127.0.0.1", "127.255.0.9", "::1", "[::1]",
     "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::1%lo"],
)  # fmt: skip
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    ["example.com", "10.0.0.1", "192.168.1.20", "0.0.0.0", "128.0.0.1", "::", "2001:db8::1",
     "::ffff:10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "", "fe80::1"],
)  # fmt: skip
def test_remote_hosts(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://api.example.com/v1", True),
        ("HTTP://API.EXAMPLE.COM", True),
        ("http://10.1.2.3:8000", True),
        ("http://[2001:db8::1]:8080/v1", True),
        ("http://user:pw@example.com", True),
        ("https://api.example.com", False),
        ("http://127.0.0.1:8080/v1", False),
        ("http://localhost:11434", False),
        ("http://[::1]:8000", False),
    ],
)
def test_check_url(url: str, refused: bool) -> None:
    if refused:
        with pytest.raises(InsecureTransportError) as caught:
            check_url(url, allow=False)
        assert "unencrypted" in str(caught.value)
        assert "--allow-insecure-http" in caught.value.hint
        assert "TM_TUI_ALLOW_INSECURE_HTTP=1" in caught.value.hint
    else:
        check_url(url, allow=False)
    check_url(url, allow=True)  # the user's explicit choice always wins


async def test_every_request_of_the_app_client_is_checked(router: respx.MockRouter) -> None:
    remote = router.get("http://api.example.com/v1/models").respond(200, json={"data": []})
    local = router.get("http://127.0.0.1:9/v1/models").respond(200, json={"object": "list", "data": []})
    http = make_http_client(timeout=5)
    try:
        client = make_inference_client(http, "http://api.example.com", SECRET, Surface.SERVERLESS)
        with pytest.raises(InsecureTransportError):
            await client.models()
        cp = make_control_plane_client(http, "http://api.example.com", SECRET)
        with pytest.raises(InsecureTransportError):
            await cp.profile()
        with pytest.raises(InsecureTransportError):
            await refresh_tokens(http, "http://api.example.com", SECRET)
        with pytest.raises(InsecureTransportError):  # even a URL built outside the API clients
            await http.get("http://api.example.com/v1/models")
        assert not remote.called  # refused before anything, the key above all, was sent
        await make_inference_client(http, "http://127.0.0.1:9", SECRET, Surface.SERVERLESS).models()
        assert local.called
    finally:
        await http.aclose()


async def test_allowed_explicitly_it_goes_through(router: respx.MockRouter) -> None:
    remote = router.get("http://api.example.com/v1/models").respond(200, json={"object": "list", "data": []})
    http = make_http_client(timeout=5, allow_insecure_http=True)
    try:
        await make_inference_client(http, "http://api.example.com", SECRET, Surface.SERVERLESS).models()
        assert remote.called
    finally:
        await http.aclose()


def test_the_refusal_never_names_the_secret() -> None:
    with pytest.raises(InsecureTransportError) as caught:
        check_url(f"http://user:{SECRET}@api.example.com/?key={SECRET}", allow=False)
    assert SECRET not in str(caught.value) and SECRET not in caught.value.hint
    assert isinstance(caught.value, Exception) and not isinstance(caught.value, httpx.HTTPError)
