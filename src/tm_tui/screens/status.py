"""Status section: health, version and round-trip latency of the three surfaces.

Each surface is checked by its own worker (a refresh cancels a stale check of the same surface) and
shows a spinner until its `Checked` message arrives; one handler updates the row. Checks work
without credentials where the surface allows: serverless health/version are public on the real
host, and the control plane is at least probed for reachability when nobody is logged in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tm_tui import text_safety
from tm_tui.api.errors import NotFound, TmError
from tm_tui.screens.sections import SectionScreen
from tm_tui.state import ContextChanged
from tm_tui.surface import Surface
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel

if TYPE_CHECKING:
    from tm_tui.api.inference import InferenceClient
    from tm_tui.session import Session

CONTROL_PLANE = "control_plane"
# Rows: the two inference surfaces, then the control plane.
SURFACES: tuple[tuple[str, str], ...] = (
    (Surface.SERVERLESS, "Serverless inference"),
    (Surface.ON_DEMAND, "On-demand inference"),
    (CONTROL_PLANE, "Control plane"),
)


NOT_UTF8 = "The server sent bytes that are not UTF-8: they show as \ufffd."


@dataclass(frozen=True)
class SurfaceStatus:
    url: str
    health: str | None = None
    version: str | None = None
    version_note: str | None = None  # why there is no version: the route is optional (llama-server)
    latency_s: float | None = None
    note: str | None = None  # why there is nothing to check, or a caveat
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.health is not None


async def check_surface(session: Session, surface: str, clock: Callable[[], float]) -> SurfaceStatus:
    """Check one surface; a failed call raises its typed error."""
    if surface == CONTROL_PLANE:
        return await _check_control_plane(session, clock)
    settings = session.settings
    url = _url_of(session, surface)
    client = session.inference(surface)
    if client is None:
        return SurfaceStatus(url, note=session.inference_reason(surface))
    started = clock()
    health = await client.health()
    latency = clock() - started
    version, version_note, version_bad = await _version(client)
    notes = []
    if health.not_utf8 or version_bad:
        notes.append(NOT_UTF8)
    if not settings.inference_api_key.value:
        notes.append("No inference API key: only the public endpoints can answer.")
    return SurfaceStatus(url, health.status, version, version_note, latency, "\n".join(notes) or None)


async def _version(client: InferenceClient) -> tuple[str | None, str | None, bool]:
    """The server's version, or why there is none, and whether its bytes were not UTF-8. Health alone
    decides up/down, so a server without `/version` (llama-server answers 404) or with a broken one is still up."""
    try:
        version = await client.version()
    except NotFound:
        return None, "not provided", False
    except TmError as exc:
        return None, f"unavailable ({exc})", False
    return version.version, None, version.not_utf8


async def _check_control_plane(session: Session, clock: Callable[[], float]) -> SurfaceStatus:
    url = session.settings.control_plane_base_url.value
    client = session.control_plane
    started = clock()
    if client is None:
        status = await session.probe_control_plane()
        return SurfaceStatus(
            url, f"reachable (HTTP {status})", latency_s=clock() - started, note=session.control_plane_reason
        )
    user = await client.profile()
    latency = clock() - started
    who = user.display_name or user.user_email or user.id or "unknown user"
    return SurfaceStatus(url, "ok", latency_s=latency, note=f"Logged in as {who}")


class StatusRow(Vertical):
    """One surface: title and URL, then health/version/latency, or an error panel in place."""

    def __init__(self, surface: str, title: str) -> None:
        super().__init__(id=f"row-{surface}", classes="status-row")
        self.surface = surface
        self.title = title
        self.status: SurfaceStatus | None = None

    def compose(self) -> ComposeResult:
        # One text widget per row (the error panel is mounted only when needed): this screen is
        # often the first frame, where every widget costs start-up time.
        yield Static(self._summary(), classes="status-summary", markup=False)

    def show(self, status: SurfaceStatus) -> None:
        self.status = status
        self.set_class(status.ok, "-ok")
        self.set_class(status.error is not None, "-error")
        self.set_class(status.error is None and not status.ok, "-off")
        self.query_one(".status-summary", Static).update(self._summary())
        panels = self.query(ErrorPanel)
        if status.error is None:
            panels.remove()
        elif panels:
            panels.first().show_error(status.error)
        else:
            self.mount(ErrorPanel(status.error))

    def _summary(self) -> Text:
        text = Text.assemble((f"{self.title:<24}", "bold"))
        status = self.status
        if status is None:
            return text.append("\nwaiting for settings…", "italic")
        text.append(text_safety.display_url(status.url), "underline").append("\n")
        if status.error is not None:
            return text.append("✗ failed", "bold")
        if status.health is not None:
            text.append("● ", "bold").append(f"health {sanitize(status.health)}")
        if status.version:
            text.append(f"  ·  version {sanitize(status.version)}")
        elif status.version_note:
            text.append(f"  ·  version: {sanitize(status.version_note)}")
        if status.latency_s is not None:
            text.append(f"  ·  {status.latency_s * 1000:.0f} ms")
        if status.note:
            text.append(("\n" if status.health else "") + sanitize(status.note), "italic")
        return text


class StatusScreen(SectionScreen):
    SECTION_ID = "status"
    CSS_PATH = Path(__file__).with_name("status.tcss")
    AUTO_FOCUS = None  # nothing to type into; focusing the list would only redraw the footer
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="status.refresh", tooltip="Check every surface again"),
    ]

    class Checked(Message):
        def __init__(self, surface: str, status: SurfaceStatus) -> None:
            super().__init__()
            self.surface = surface
            self.status = status

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="status-rows"):
            for surface, title in SURFACES:
                yield StatusRow(surface, title)

    def session_changed(self, session: Session) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        session = self.app.session
        if session is None:
            return
        for surface, _ in SURFACES:
            self.query_one(f"#row-{surface}", StatusRow).loading = True
            self.run_worker(self._check(session, surface), group=f"check-{surface}", exclusive=True)

    async def _check(self, session: Session, surface: str) -> None:
        from tm_tui.api.errors import TmError

        try:
            status = await check_surface(session, surface, self.app.clock)
        except TmError as error:
            status = SurfaceStatus(_url_of(session, surface), error=error)
        except Exception as error:
            self.post_message(self.Checked(surface, SurfaceStatus(_url_of(session, surface), error=error)))
            raise  # also logged and reported by the app
        self.post_message(self.Checked(surface, status))
        if surface == CONTROL_PLANE:
            self.post_message(ContextChanged())  # a 401 may have refreshed or expired the login

    def on_status_screen_checked(self, message: StatusScreen.Checked) -> None:
        row = self.query_one(f"#row-{message.surface}", StatusRow)
        row.loading = False
        row.show(message.status)


def _url_of(session: Session, surface: str) -> str:
    s = session.settings
    return {
        Surface.SERVERLESS: s.serverless_base_url,
        Surface.ON_DEMAND: s.on_demand_base_url,
        CONTROL_PLANE: s.control_plane_base_url,
    }[surface].value
