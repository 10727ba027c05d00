"""The reliability registry: every network-facing view as a `Probe` (how to reach it, reload its data,
and see that what it showed is still there), every failure as a `Fault`. `test_fault_matrix.py`
runs each probe against each fault that applies; `tests/RELIABILITY.md` is generated from here.

A new section adds one `Probe` entry to `PROBES` (and nothing else) to join the matrix.
"""

from __future__ import annotations

import itertools
import select
import socket
import ssl
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from tm_tui.app import TmApp
from tm_tui.emulator.server import RunningEmulator
from tm_tui.screens.account import AccountScreen
from tm_tui.screens.account_key_form import NewKeyScreen
from tm_tui.store.history import MessageStatus
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.secret_once import SecretOnceScreen

from .chat_helpers import PLAIN_MODEL, answers, send
from .helpers import open_section, settle, wait_until

# Client limits the matrix runs with (env + profile): a slow server is given up on quickly.
TIMEOUT_S = 2.0
SLOW_S = 4.0  # how long a "slow" fault holds the reply back: beyond the timeouts above
FIFTY_MB = 50 * 1024 * 1024

Step = Callable[[Pilot], Awaitable[None]]


# ---- what a view shows --------------------------------------------------------------------------


def screen_text(app: TmApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def error_panels(app: TmApp) -> list[ErrorPanel]:
    """The error panels visible on the current screen."""
    return [p for p in app.screen.query(ErrorPanel) if p.info is not None and p.display and p.parent.display]


def no_error_panel(app: TmApp) -> bool:
    return not error_panels(app)


# ---- probes -------------------------------------------------------------------------------------


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def send_prompt(pilot: Pilot) -> None:
    await send(pilot, "Tell me about caches")


def last_answer_complete(app: TmApp) -> bool:
    shown = answers(app.screen)
    return bool(shown) and shown[-1].status is MessageStatus.COMPLETE


def first_answer_kept(app: TmApp) -> bool:
    shown = answers(app.screen)
    return bool(shown) and shown[0].status is MessageStatus.COMPLETE and bool(shown[0].content)


async def open_compare(pilot: Pilot) -> None:
    await open_section(pilot, "chat")
    pilot.app.screen.query_one("#prompt").replace_text("Compare caching strategies")
    await press(pilot, "ctrl+b")


async def send_compare(pilot: Pilot) -> None:
    # The prompt is cleared once sent: each load types it again.
    pilot.app.screen.query_one("#compare-prompt").replace_text("Compare caching strategies")
    await press(pilot, "enter")


def compare_panes(app: TmApp):
    from tm_tui.widgets.chat_message import AssistantMessage

    return {
        i: list(app.screen.query(f"#pane-{i} AssistantMessage").results(AssistantMessage)) for i in range(2)
    }


def compare_healthy(app: TmApp) -> bool:
    panes = compare_panes(app)
    return all(p and p[-1].status is MessageStatus.COMPLETE for p in panes.values())


def compare_kept(app: TmApp) -> bool:
    # The on-demand pane is not faulted: it answers whatever happens to the serverless one.
    [on_demand] = compare_panes(app)[1] or [None]
    return on_demand is not None and on_demand.status is MessageStatus.COMPLETE and bool(on_demand.content)


def shows(text: str) -> Callable[[TmApp], bool]:
    def check(app: TmApp) -> bool:
        return text in screen_text(app)

    check.__name__ = f"shows {text!r}"
    return check


@dataclass(frozen=True)
class Probe:
    id: str
    surface: str  # the emulator surface the faults hit
    path: str  # glob over request paths the faults hit
    open: Step  # reach the view
    load: Step  # (re)load its data as a user does
    kept: Callable[[TmApp], bool]  # what the first good load showed is still shown
    streams: bool = False  # its data arrives as a server-sent-event stream
    healthy: Callable[[TmApp], bool] = no_error_panel  # no error left once the fault is gone
    # The failure is said in place (streams: the answer is marked failed or cut short, see test_chat_failures).
    errored: Callable[[TmApp], bool] = lambda app: bool(error_panels(app))
    method: str = ""  # only requests of this HTTP method are faulted (an action among loads)
    reads_body: bool = (
        True  # False: a 2xx is all it needs (a DELETE's `{}`), so a body's shape cannot fail it
    )
    prepare: Callable[[RunningEmulator], None] | None = None  # server data the walk needs

    def route(self) -> str:
        return (f",method={self.method}" if self.method else "") + f"@{self.surface}:{self.path}"


def _open(section_id: str) -> Step:
    async def step(pilot: Pilot) -> None:
        await open_section(pilot, section_id)

    return step


def _press(*keys: str) -> Step:
    async def step(pilot: Pilot) -> None:
        await press(pilot, *keys)

    return step


async def open_tokenizer(pilot: Pilot) -> None:
    await open_section(pilot, "tokenizer")
    pilot.app.screen.query_one("#tok-text", TextArea).load_text("good text")


def _tab(section_id: str, key: str) -> Step:
    async def step(pilot: Pilot) -> None:
        await open_section(pilot, section_id)
        await press(pilot, key)

    return step


def account_screen(app: TmApp) -> AccountScreen:
    [screen] = [s for s in app.screen_stack if isinstance(s, AccountScreen)]
    return screen


def key_names(app: TmApp) -> list[str]:
    table = account_screen(app).query_one("#api-keys", DataTable)
    return [str(table.get_cell(row, "name")) for row in table.rows]


def keys_kept(app: TmApp) -> bool:
    return "laptop" in key_names(app)


async def create_key(pilot: Pilot) -> None:
    """n, a name, enter; a refused form stays open (with the error) and is sent again next time."""
    app = pilot.app
    if not isinstance(app.screen, NewKeyScreen):
        await press(pilot, "n")
    app.screen.query_one("#key-name", Input).value = "matrix"
    app.screen.query_one("#key-name", Input).focus()
    await press(pilot, "enter")
    if isinstance(app.screen, SecretOnceScreen):
        await press(pilot, "escape", "escape")  # the first esc only warns the key was not copied


def created(app: TmApp) -> bool:
    return isinstance(app.screen, AccountScreen) and no_error_panel(app)


SPARE_KEYS = 60  # each load revokes a key of its own: a first one, and two per fault (armed, cleared)
_revoked = itertools.count()


def spare_keys(emulator: RunningEmulator) -> None:
    global _revoked
    _revoked = itertools.count()
    data = emulator.control_plane.data
    for n in range(SPARE_KEYS):
        key = {"id": f"tmk_live_spare{n:04d}", "name": f"spare-{n:02d}", "scopes": ["inference"]}
        data.api_keys.append({**key, "createdAt": data.api_keys[0]["createdAt"]})
        emulator.state.inference_keys.add(key["id"])


async def revoke_key(pilot: Pilot) -> None:
    """d on the next spare key, y. Never the same key twice: a failed revoke may have been done by
    the server before the reply failed, and revoking it again would be a (correct) 404."""
    name = f"spare-{next(_revoked):02d}"
    names = key_names(pilot.app)
    assert name in names, f"{name} is not listed"
    account_screen(pilot.app).query_one("#api-keys", DataTable).move_cursor(row=names.index(name))
    await press(pilot, "d", "y")


PROBES: tuple[Probe, ...] = (
    Probe(
        "chat", "serverless", "/v1/chat/completions", _open("chat"), send_prompt, first_answer_kept,
        streams=True, healthy=last_answer_complete, errored=lambda app: not last_answer_complete(app),
    ),
    Probe(
        "compare", "serverless", "/v1/chat/completions", open_compare, send_compare, compare_kept,
        streams=True, healthy=compare_healthy, errored=lambda app: not compare_healthy(app),
    ),
    Probe("models", "serverless", "/v1/models", _open("models"), _press("r"), shows(PLAIN_MODEL)),
    Probe("status", "serverless", "*", _open("status"), _press("r"), shows("Logged in as Ada L.")),
    Probe("account", "control_plane", "*", _open("account"), _press("r"), shows("ada@example.com")),
    Probe("login", "control_plane", "/auth/cli/*", _open("account"), _press("l"), shows("ada@example.com")),
    Probe("tokenizer", "serverless", "/tokenize", open_tokenizer, _press("ctrl+t"), shows("Tokens 4  Chars 9")),
    Probe("billing", "control_plane", "/v1/billing/*", _open("billing"), _press("r"), shows("without cache")),
    Probe("support", "control_plane", "/v1/support/*", _open("support"), _press("r"), shows("Change account email")),
    Probe("deployments", "control_plane", "/v1/models*", _open("deployments"), _press("r"), shows("ada-qwen-coder")),
    Probe("api-keys", "control_plane", "/v1/users/api-keys", _tab("account", "2"), _press("r"), shows("laptop")),
    Probe(
        "key-create", "control_plane", "/v1/users/api-keys", _tab("account", "2"), create_key, keys_kept,
        healthy=created, method="POST",
    ),
    Probe(
        "key-revoke", "control_plane", "/v1/users/api-keys", _tab("account", "2"), revoke_key, keys_kept,
        method="DELETE", prepare=spare_keys, reads_body=False,
    ),
    Probe("activity", "control_plane", "/v1/activities*", _tab("account", "3"), _press("r"), shows("Signed in")),
)  # fmt: skip


# ---- faults -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    id: str
    spec: str = ""  # emulator effects (`tm_tui.emulator.faults` syntax), armed until cleared
    client: str = ""  # or a failure before the server: "refused", "dns", "tls"
    streams: bool = True  # applies to streamed replies
    replies: bool = True  # applies to plain JSON replies
    says_error: bool = True  # an error must be shown (False: the data shows, made safe)
    title: str = ""  # the title the error panel must carry (checked where it says precisely why)
    shape: bool = False  # a well-formed JSON body of the wrong shape: only fails a view that reads it
    note: str = ""

    @property
    def group(self) -> str:
        """network, http (statuses) or body: a chat walks one group per app (see `CASES`)."""
        if self.client or self.id in ("slow-first-byte", "stream-idle", "reset"):
            return "network"
        return "http" if self.id.startswith("http-") else "body"

    def applies(self, probe: Probe) -> bool:
        if self.shape and not probe.reads_body:
            return False
        return self.streams if probe.streams else self.replies


FAULTS: tuple[Fault, ...] = (
    Fault("refused", client="refused", note="connection refused (a closed port)"),
    Fault("dns", client="dns", note="DNS failure (a `.invalid` host)"),
    Fault("tls", client="tls", note="TLS failure (https to a plain-HTTP server)"),
    Fault(
        "tls-self-signed", client="tls-self-signed", title="TLS failure",
        note="a self-signed HTTPS server, no CA bundle: “TLS failure” with the --ca-bundle hint",
    ),
    Fault("slow-first-byte", f"first_byte={SLOW_S:g}", note=f"headers held {SLOW_S:g} s, timeout {TIMEOUT_S:g} s"),
    Fault("stream-idle", "stall=3", replies=False, note=f"silent after 3 tokens, idle timeout {TIMEOUT_S:g} s"),
    Fault("reset", "reset=3", note="connection cut mid-body / after 3 tokens"),
    Fault("error-event", "error=3", replies=False, note='`{"error": ...}` event mid-stream'),
    *(Fault(f"http-{code}", f"status={code}") for code in (401, 403, 404, 409, 422)),
    Fault("http-429", "status=429,retry_after=1", note="with Retry-After"),
    *(Fault(f"http-{code}", f"status={code}") for code in (500, 502, 503)),
    Fault("malformed-json", "malformed=2", note="a body / stream event that is not JSON"),
    Fault("wrong-types", "wrong_types", streams=False, shape=True, note="every JSON leaf of the wrong type"),
    Fault("missing-keys", "missing_keys", streams=False, shape=True, note="`{}` without the wrapper keys"),
    Fault("truncated", "truncate=3", note="SSE ends without finish/[DONE]; a body cut short"),
    Fault("50-mb-body", f"oversize={FIFTY_MB}", note="a 50 MB body / stream event"),
    Fault("invalid-utf8", "bad_utf8=2", says_error=False, note="shown with U+FFFD; Status says the bytes were not UTF-8"),
)  # fmt: skip


# One app walks a view's faults in turn (an app per pair would cost a start-up each). A chat view
# gets one app per group: its conversation grows by two turns a fault, and a long one slows each step.
GROUPS = ("network", "http", "body")
CASES: tuple[tuple[Probe, str], ...] = tuple(
    (probe, group) for probe in PROBES for group in (GROUPS if probe.streams else ("all",))
)


def case_id(case: tuple[Probe, str]) -> str:
    probe, group = case
    return probe.id if group == "all" else f"{probe.id}-{group}"


# ---- client-side faults: a real failure, produced by httpx itself ------------------------------


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl: no Python crypto library here)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class TlsProxy:
    """An HTTPS server with a self-signed certificate in front of one emulator port: TLS on a
    thread per connection, relayed byte for byte. `relayed` counts the handshakes that succeeded."""

    context: ssl.SSLContext
    target_port: int
    listener: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))
    relayed: int = 0

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=self.relay, args=(conn,), daemon=True).start()

    def relay(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):  # the client refused the certificate
            conn.close()
            return
        self.relayed += 1
        with tls, socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
            pairs = {tls: upstream, upstream: tls}
            try:
                while True:
                    ready, _, _ = select.select(list(pairs), [], [], 30)
                    for source in ready:
                        data = source.recv(65536)
                        while isinstance(source, ssl.SSLSocket) and source.pending():
                            data += source.recv(source.pending())
                        if not ready or not data:
                            return
                        pairs[source].sendall(data)
            except OSError:
                return


@contextmanager
def tls_proxy(cert: Path, key: Path, target_port: int) -> Iterator[TlsProxy]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    proxy = TlsProxy(context, target_port)
    threading.Thread(target=proxy.serve, daemon=True).start()
    try:
        yield proxy
    finally:
        proxy.listener.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ClientFaults:
    """Sends the requests for one emulator port somewhere that fails for real: a closed port, a host
    that does not resolve, TLS to a plain-HTTP server, or a self-signed HTTPS server in front of the
    port (`tls_port`). Installed under every httpx transport."""

    port: int = 0
    mode: str = ""
    tls_port: int = 0
    closed_port: int = field(default_factory=_closed_port)

    def rewrite(self, request: httpx.Request) -> None:
        if not self.mode or request.url.port != self.port:
            return
        if self.mode == "refused":
            request.url = request.url.copy_with(port=self.closed_port)
        elif self.mode == "dns":
            request.url = request.url.copy_with(host="tm-tui-fault.invalid")
        elif self.mode == "tls":
            request.url = request.url.copy_with(scheme="https")
        elif self.mode == "tls-self-signed":
            request.url = request.url.copy_with(scheme="https", host="127.0.0.1", port=self.tls_port)


@contextmanager
def client_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFaults]:
    faults = ClientFaults()
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def handle(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        faults.rewrite(request)
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    yield faults


async def until(pilot: Pilot, check: Callable[[TmApp], bool], what: str) -> None:
    try:
        await wait_until(pilot, lambda: check(pilot.app), what)
    except AssertionError as error:
        raise AssertionError(f"{error}; the screen shows:\n{screen_text(pilot.app)}") from None
